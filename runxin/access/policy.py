"""The access policy table: for every route, which role may use it (GET, POST) on which relation.

One row per URL name. The matrix test (access/tests/test_access_matrix.py) walks every route as every role,
a signed-in stranger and an anonymous visitor, with real objects of each relation, GET and POST, and
compares each answer with this table; a route without a row fails the build.

A *relation* is where the object a URL names sits, seen from the person asking. Each role's person sits at
the role's usual place (REACH_OF below: a head teacher at 七年级(1)班, a grade leader at 七年级, school roles
at its school, the centre staff at its district, city roles at the city, a mentor paired with one student of
the class; partner institutions at their own unit, outside the school tree):

  own_class       the person's own class (their student, their own child, themself)
  same_grade      another class of the same grade, same school
  other_grade     a class of another grade, same school
  other_school    another school of the same district
  other_district  a school of another district
  none            the URL names no student-bound object (a list, a form, one's own inbox)

"Allowed" is what the person can use (any answer but 403/404/405 or the sign-in page, never a 500);
"refused" is one of those. This table states intent: the roles are written out, not derived from
roles.py, so a change to the catalogue that opens a page shows up here as a failing row.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import roles

OWN_CLASS, SAME_GRADE, OTHER_GRADE, OTHER_SCHOOL, OTHER_DISTRICT, NONE = (
    "own_class", "same_grade", "other_grade", "other_school", "other_district", "none")
STUDENT_RELATIONS = (OWN_CLASS, SAME_GRADE, OTHER_GRADE, OTHER_SCHOOL, OTHER_DISTRICT)
RELATIONS = (*STUDENT_RELATIONS, NONE)

STRANGER = "stranger"  # signed in, no role at all
ANONYMOUS = "anonymous"
IDENTITIES = (*roles.ROLES, STRANGER, ANONYMOUS)
SIGNED_IN_IDENTITIES = frozenset(IDENTITIES) - {ANONYMOUS}

_CLASS = frozenset({OWN_CLASS})
_GRADE = frozenset({OWN_CLASS, SAME_GRADE})
_SCHOOL = frozenset({OWN_CLASS, SAME_GRADE, OTHER_GRADE})
_DISTRICT = _SCHOOL | {OTHER_SCHOOL}
_CITY = frozenset(STUDENT_RELATIONS)

# Which relations each role's reach opens, for the person the matrix signs in as (see the module docstring).
REACH_OF: dict[str, frozenset[str]] = {
    "city_admin": _CITY, "centre_staff": _DISTRICT, "school_leader": _SCHOOL, "psych_teacher": _SCHOOL,
    "head_teacher": _CLASS, "grade_leader": _GRADE, "mentor": _CLASS, "psych_committee": _CLASS,
    "hotline_operator": _CITY, "hospital": frozenset(), "society_partner": frozenset(), "student": _CLASS,
    "parent": _CLASS, "supervisor": _CITY, "system_admin": _CITY, "security_admin": _CITY, "audit_admin": _CITY, STRANGER: frozenset(), ANONYMOUS: frozenset(),
}

# The roles that hold a permission, written out (policy, not a copy of roles.py: test_policy_table.py
# shows where the two differ).
STAFF_MANAGE = {"school_leader", "security_admin"}
MENTOR_PAIR = {"school_leader", "psych_teacher"}
ORG_BROWSE = {"city_admin", "centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader",
              "supervisor", "system_admin", "security_admin"}
ROLLOVER = {"city_admin", "school_leader"}
ORG_MANAGE = {"city_admin", "system_admin"}
ROSTER = {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor",
          "hotline_operator"}
PROFILE = {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"}
ROSTER_IMPORT = {"centre_staff", "school_leader", "psych_teacher"}
STAFF_IMPORT = {"school_leader", "psych_teacher", "security_admin"}
AUDIT = {"audit_admin"}
SCREENING_PROGRESS = {"city_admin", "centre_staff", "school_leader", "psych_teacher", "head_teacher",
                      "grade_leader"}
SCREENING_MANAGE = {"city_admin", "centre_staff", "psych_teacher"}
SCREENING_RESULTS = {"centre_staff", "psych_teacher"}
INSTRUMENTS = {"city_admin", "system_admin"}
# Students' accounts (accounts/students.py): issue and print for the class or the school; a new first
# password from the student's head teacher or the school's psychology teacher.
STUDENT_ACCOUNTS = {"school_leader", "psych_teacher", "head_teacher"}
STUDENT_ACCOUNT_RESET = {"psych_teacher", "head_teacher"}
ALERT_QUEUE = {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor",
               "hotline_operator"}
ALERT_RAISE = ALERT_QUEUE
ALERT_OVERVIEW = {"city_admin", "centre_staff", "school_leader", "psych_teacher", "supervisor"}
ALERT_DAILY = {"centre_staff", "school_leader", "psych_teacher", "supervisor"}
ALERT_EXPORT = {"centre_staff"}
ALERT_LEVELS = {"city_admin"}
PARENT_INVITE = {"school_leader", "psych_teacher", "head_teacher"}
INBOX = {"city_admin", "centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor",
         "hotline_operator", "hospital", "society_partner", "supervisor", "system_admin", "security_admin",
         "audit_admin"}

# Key students (重点学生): the categories and reasons are for the care team of the student's class and school,
# not for a mentor (who sees the flag at profile level); the head teacher appoints the class's committee.
KEY_VIEW = {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader"}
KEY_MARK = {"psych_teacher", "head_teacher"}
COMMITTEE = {"head_teacher"}
GROUPS_MANAGE = {"city_admin", "system_admin"}
GUARDIAN_CONTACT = {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"}
READINESS = {"city_admin", "centre_staff", "school_leader", "system_admin", "security_admin"}


@dataclass(frozen=True)
class Access:
    """Who may use a route by one method: identity → the relations on which it may."""

    allowed: dict[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, identity: str, relation: str) -> bool:
        return relation in self.allowed.get(identity, frozenset())


NOBODY = Access()


def on_none(identities: Iterable[str]) -> Access:
    """A route that names no student-bound object, open to these identities."""
    return Access({who: frozenset({NONE}) for who in identities})


def within_reach(identities: Iterable[str], *, reach: dict[str, frozenset[str]] | None = None) -> Access:
    """A route naming an object: open to these identities on the relations their reach opens."""
    reach = reach or {}
    return Access({who: reach.get(who, REACH_OF[who]) for who in identities})


def everywhere(identities: Iterable[str]) -> Access:
    """Open to these identities whatever the object's relation (the URL names it but the page is theirs)."""
    return Access({who: frozenset(RELATIONS) for who in identities})


@dataclass(frozen=True)
class Route:
    """One row. `objects` names what the URL's ids point to (the matrix builds one per relation);
    None means the route names no student-bound object and is asked with relation `none`."""

    objects: str | None
    get: Access
    post: Access


def page(identities, *, posts: bool = True) -> Route:
    """A page without a student-bound object: a list, a form. Most pages answer a POST as they answer a
    GET (a form that is not valid is shown again); posts=False for those that refuse POST (405)."""
    access = on_none(identities)
    return Route(None, access, access if posts else NOBODY)


def action(identities) -> Route:
    """A POST-only endpoint without a student-bound object."""
    return Route(None, NOBODY, on_none(identities))


def record(objects: str, identities, *, posts: bool = True, reach=None) -> Route:
    """A page about one object (a student, a warning, a class …), open within reach."""
    access = within_reach(identities, reach=reach)
    return Route(objects, access, access if posts else NOBODY)


def record_action(objects: str, identities, *, reach=None) -> Route:
    """A POST-only step on one object."""
    return Route(objects, NOBODY, within_reach(identities, reach=reach))


EVERYONE = frozenset(IDENTITIES)
SIGNED_IN = SIGNED_IN_IDENTITIES

# Reach differences that are policy, not accident:
# - the warning pages: the hotline sees only the warnings it reported (none in the matrix world).
WARNING_REACH = {"hotline_operator": frozenset()}
# - a campaign belongs to its school: a head teacher opens the campaign of the school (its pages then show
#   the head teacher's own class only), whichever class of the school the matrix names.
CAMPAIGN_REACH = {"head_teacher": _SCHOOL, "grade_leader": _SCHOOL}
# - a school's daily report is the school's: the district centre and the supervisor read their district's
#   or city's report (which lists the schools), not a school's own.
SCHOOL_DAILY_REACH = {"centre_staff": frozenset(), "supervisor": frozenset()}
# The steps on a warning (the matrix asks to acknowledge; a refusal by the level's policy is a message, not a 403).
ALERT_HANDLE = {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader"}
GRANT_APPROVERS = {"centre_staff", "security_admin"}  # approve clinical-role grants (the level above)
ANY_ROLE = frozenset(roles.ROLES)
# Staff: every role but the student side's own (a student, a parent, a class psych committee member).
STAFF_ROLES = ANY_ROLE - {"student", "parent", "psych_committee"}

# Whose names a person may see on any page (the role × relation part of the table): the students the role's
# roster reach opens, a student themself, a parent's own child, and nobody's for the others. The matrix reads
# every page it is allowed and fails on a name from outside this.
SEES_NAMES: dict[str, frozenset[str]] = {
    **{who: REACH_OF[who] for who in ROSTER}, "student": _CLASS, "parent": _CLASS,
}


def sees_name(identity: str, relation: str) -> bool:
    return relation in SEES_NAMES.get(identity, frozenset())

ROUTES: dict[str, Route] = {
    # --- public and any signed-in user
    "set_language": page(EVERYONE),
    "accounts:login": page(EVERYONE),
    "accounts:logout": action(EVERYONE),  # signs out and goes to the sign-in page (counted as allowed)
    "accounts:otp_setup": page(SIGNED_IN),
    "accounts:otp_verify": page(SIGNED_IN),
    "accounts:password_change": page(SIGNED_IN),
    "front:home": page(SIGNED_IN),
    # The go-live checklist (front/readiness.py): counts and the names of staff and units, no student.
    "front:readiness": page(READINESS, posts=False),
    "front:readiness_unit": record("school", READINESS, posts=False),
    # Signed only at the city (the city administrator); the matrix names schools, where nobody signs.
    "front:readiness_review": record_action("school", ()),
    "screening:code_entry": page(EVERYONE),
    "screening:code_landing": page(EVERYONE),
    # The questionnaire pages are declared public but work only with a class code's pass (a signed cookie
    # scoped to /screening/): without one they refuse everybody, signed in or not (403).
    "screening:take": page(()),
    "screening:take_consent": page(()),
    "screening:take_review": page(()),
    "screening:take_submit": page(()),
    "screening:take_done": page(()),
    "screening:take_leave": page(()),
    "screening:take_intro": page(()),
    "screening:take_page": page(()),
    "screening:take_item": page(()),
    # A guardian's consent link works with its own token only; the matrix asks with one that is not (404).
    "screening:guardian_consent": page(()),
    # Published instrument definitions and code systems as FHIR, for anyone (a hospital's system).
    "screening:fhir_questionnaire": page(EVERYONE),
    "screening:fhir_code_system": page(EVERYONE),
    "screening:fhir_instrument_code_system": page(EVERYONE),
    "screening:fhir_naming_system": page(EVERYONE),
    # --- staff and roles (the school leader within the school, the security administrator city-wide)
    "accounts:staff_list": page(STAFF_MANAGE),
    "accounts:staff_create": page(STAFF_MANAGE),
    "accounts:staff_unit_options": page(STAFF_MANAGE),
    "accounts:staff_detail": record("staff", STAFF_MANAGE),
    "accounts:assignment_add": record_action("staff", STAFF_MANAGE),
    "accounts:assignment_end": record_action("staff", STAFF_MANAGE),
    "accounts:user_deactivate": record_action("staff", STAFF_MANAGE),
    "accounts:user_reactivate": record_action("staff", STAFF_MANAGE),
    "accounts:user_unlock": record_action("staff", STAFF_MANAGE),
    "accounts:second_factor_reset": record_action("staff", STAFF_MANAGE),
    "accounts:password_reset": record_action("staff", STAFF_MANAGE),
    # Grants of clinical roles wait for the level above (issue 9, item 1); the matrix asks with an id that
    # exists nowhere, so these rows prove refusal only.
    "accounts:grant_approvals": page(GRANT_APPROVERS),
    "accounts:grant_approve": action(()),  # an id that exists nowhere: 403
    "accounts:grant_refuse": action(GRANT_APPROVERS),  # … back to the list
    "accounts:mentor_list": page(MENTOR_PAIR),
    "accounts:mentor_detail": record("mentor", MENTOR_PAIR),
    "accounts:mentor_pair_add": record_action("mentor", MENTOR_PAIR),
    "accounts:mentor_pair_end": record_action("mentor", MENTOR_PAIR),
    # Students' accounts. Issuing for a whole school is the school's: a head teacher issues for the class.
    "accounts:student_accounts_home": page(STUDENT_ACCOUNTS, posts=False),
    "accounts:student_accounts_issue_school": record_action("school", STUDENT_ACCOUNTS,
                                                            reach={"head_teacher": frozenset()}),
    "accounts:student_accounts": record("class", STUDENT_ACCOUNTS, posts=False),
    "accounts:student_accounts_issue": record_action("class", STUDENT_ACCOUNTS),
    "accounts:student_accounts_sheet": record("class", STUDENT_ACCOUNTS, posts=False),
    "accounts:student_account_reset": record_action("student", STUDENT_ACCOUNT_RESET),
    # Parents (accounts/parents.py): phone and SMS code, or the printed invitation code, open to anyone (the
    # code page without a phone in the session goes back to the phone page). The class's invitation letters
    # are printed by its head teacher and the school's leader and psychology teacher.
    "accounts:parent_login": page(EVERYONE),
    "accounts:parent_code": page(EVERYONE),
    "accounts:parent_invitation": page(EVERYONE),
    "accounts:parent_invitations": record("class", PARENT_INVITE),
    # "Ask the parents to call": whoever may see the guardians' numbers of the student (家校联系).
    "accounts:parent_call_request": record_action("student", GUARDIAN_CONTACT),
    "front:family": page({"parent"}, posts=False),
    # --- the region tree and the school year
    "org:tree": page(ORG_BROWSE),
    "org:unit": record("class", ORG_BROWSE),
    "org:children": record("class", ORG_BROWSE),
    "org:rollover": page(ROLLOVER),
    "org:unit_add": record("school", ORG_MANAGE),
    "org:unit_edit": record("class", ORG_MANAGE),
    "org:unit_move": record("class", ORG_MANAGE),
    "org:unit_deactivate": record_action("class", ORG_MANAGE),
    "org:service_groups": record("district", ORG_MANAGE),
    "org:service_group": record("service_group", ORG_MANAGE),
    "org:rollover_run": record("rollover_run", ROLLOVER),
    # --- students
    # A partner clinician's list holds only the students referred to their unit (reach "referred").
    "people:student_list": page(ROSTER | {"hospital"}),
    # the class picker of a school in reach: empty for a partner clinician (who reaches referred students only)
    "people:class_options": page(ROSTER | {"hospital"}),
    "people:student_detail": record("student", ROSTER),
    "people:key_mark": record_action("student", KEY_MARK),
    "people:key_end": record_action("student", KEY_MARK),
    "people:key_students": page(KEY_VIEW),
    "people:key_categories": page(GROUPS_MANAGE),
    "people:class_committee": record("class", COMMITTEE),
    "people:committee_appoint": record_action("class", COMMITTEE),
    "people:committee_end": record_action("class", COMMITTEE),
    "access:break_glass": page(PROFILE),
    # --- imports
    "imports:roster_upload": page(ROSTER_IMPORT),
    "imports:staff_upload": page(STAFF_IMPORT),
    "imports:units_upload": page(ORG_MANAGE),
    "imports:units_template": page(ORG_MANAGE, posts=False),
    "imports:template": page(SIGNED_IN, posts=False),
    # The matrix's batches are roster (student) imports: the staff importers do not open them. Nothing was
    # rejected and the uploaded file is not on disk, so those two rows prove refusal only.
    "imports:batch_detail": record("batch", ROSTER_IMPORT, posts=False),
    "imports:batch_commit": record_action("batch", ROSTER_IMPORT),
    "imports:batch_rejected": record("batch", ()),
    "imports:batch_file": record("batch", ()),
    # --- the audit administrator
    "audit:search": page(AUDIT, posts=False),
    "audit:export": page(AUDIT, posts=False),
    "audit:change_detail": record("change", AUDIT, posts=False),
    # --- screening campaigns, results, instruments, the student's own questionnaires
    "screening:campaign_list": page(SCREENING_PROGRESS),
    "screening:campaign_new": page(SCREENING_MANAGE),
    "screening:campaign_detail": record("campaign", SCREENING_PROGRESS, reach=CAMPAIGN_REACH),
    "screening:campaign_edit": record("campaign", SCREENING_MANAGE, posts=True),
    "screening:campaign_open": record_action("campaign", SCREENING_MANAGE),
    "screening:campaign_close": record_action("campaign", SCREENING_MANAGE),
    "screening:campaign_progress": record("campaign", SCREENING_PROGRESS, reach=CAMPAIGN_REACH),
    "screening:class_progress": record("campaign_class", SCREENING_PROGRESS),
    "screening:class_codes": record("campaign_class", SCREENING_MANAGE),
    "screening:class_consent": record("campaign_class", SCREENING_MANAGE, posts=True),
    "screening:class_remind": record_action("campaign_class", SCREENING_MANAGE),
    "screening:results_list": record("campaign", SCREENING_RESULTS),
    "screening:summary": record("campaign", SCREENING_RESULTS),
    "screening:export_xlsx": record("campaign", SCREENING_RESULTS),
    "screening:result_detail": record("submission", SCREENING_RESULTS),
    "screening:result_fhir": record("submission", SCREENING_RESULTS),
    "screening:result_fhir_bundle": record("submission", SCREENING_RESULTS),
    "screening:instrument_list": page(INSTRUMENTS),
    "screening:instrument_upload": page(INSTRUMENTS),
    "screening:instrument_version": page(INSTRUMENTS),
    "screening:instrument_publish": action(INSTRUMENTS),
    "screening:instrument_delete": action(INSTRUMENTS),
    "screening:instrument_download": page(INSTRUMENTS),
    "screening:mine": page({"student"}),
    "screening:mine_start": record_action("target", {"student"}),
    # A parent starts a questionnaire that parents answer about their own child. The matrix world's targets are
    # students' questionnaires, which no parent opens (404 on every relation); the own-child access is proven in
    # screening/tests/test_parent_questionnaire.py.
    "screening:parent_start": record_action("target", {"parent"}, reach={"parent": frozenset()}),
    # >>> individual reports
    # The professional report beside the result page (scores, bands, critical items, history): whoever sees
    # screening results, within reach. The careful report's preview, sharing and withdrawal: who holds
    # screening.report_share (the school's psychology teacher, the district centre), within reach; an empty POST is
    # sent back to the preview with a message.
    "screening:professional_report": record("submission", SCREENING_RESULTS),
    "screening:professional_report_pdf": record("submission", SCREENING_RESULTS),
    "screening:careful_preview": record("submission", {"centre_staff", "psych_teacher"}),
    "screening:careful_preview_pdf": record("submission", {"centre_staff", "psych_teacher"}),
    "screening:careful_share": record_action("submission", {"centre_staff", "psych_teacher"}),
    "screening:careful_withdraw": record_action("submission", {"centre_staff", "psych_teacher"}),
    # The shared careful report on the family's side: the student's own, a parent's own child's, only while shared.
    # The matrix world shares none, so these rows prove refusal (404 on every relation); the access of the student
    # and the parent once shared, and its end on withdrawal: screening/tests/test_individual_report_access.py.
    "screening:student_report": record("submission", {"student"}, reach={"student": frozenset()}),
    "screening:student_report_pdf": record("submission", {"student"}, reach={"student": frozenset()}),
    "screening:parent_report": record("submission", {"parent"}, reach={"parent": frozenset()}),
    "screening:parent_report_pdf": record("submission", {"parent"}, reach={"parent": frozenset()}),
    # <<< individual reports
    # --- early warnings
    "alerts:queue": page(ALERT_QUEUE),
    "alerts:detail": record("warning", ALERT_QUEUE, reach=WARNING_REACH),
    "alerts:act": record_action("warning", ALERT_HANDLE),  # the matrix asks to acknowledge
    "alerts:report": page(ALERT_RAISE),
    "alerts:peer_report": page({"psych_committee"}),
    "alerts:parent_report": page({"parent"}),
    "alerts:self_help": page({"student"}),
    "alerts:overview_home": page(ALERT_OVERVIEW),
    "alerts:overview": record("school", ALERT_OVERVIEW),
    "alerts:daily_home": page(ALERT_DAILY),
    "alerts:daily": record("school", ALERT_DAILY, reach=SCHOOL_DAILY_REACH),
    "alerts:daily_pdf": record("school", ALERT_DAILY, reach=SCHOOL_DAILY_REACH),
    "alerts:export": page(ALERT_EXPORT),
    "alerts:export_file": page(ALERT_EXPORT),
    "alerts:levels": page(ALERT_LEVELS),
    "alerts:level_new": page(ALERT_LEVELS),
    "alerts:level_edit": page(ALERT_LEVELS),
    "alerts:risk_phrases": page(ALERT_LEVELS),
    # Follow-ups (回访, issue 12): the list of one's own and those in reach; one follow-up is seen by who handles
    # the student's warnings or sees them all (a mentor: paired students) and recorded by who handles them (or
    # the person made responsible: refusal only in the matrix, whose follow-ups name nobody).
    "alerts:follow_ups": page(ALERT_QUEUE, posts=False),
    "alerts:follow_up": Route("follow_up", within_reach(ALERT_QUEUE - {"hotline_operator"}),
                              within_reach(ALERT_HANDLE)),
    # --- the case after the warning (issue 12). One block per app; keep each app's rows inside its block.
    # >>> cases (file, plans, crisis team, mentor contacts, peer watch, transfer)
    # The student's file (一人一档): whoever works with the student; what each entry shows follows detail levels.
    "cases:file": record("student", {"centre_staff", "school_leader", "psych_teacher", "head_teacher",
                                     "grade_leader", "mentor"}, posts=False),
    # The school's crisis team: read by the school's staff with the case file (a head teacher or mentor of the
    # school whatever class the matrix names) and the district centre; named by the leader and psychology teacher.
    "cases:crisis_team": Route("school", within_reach(
        {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"},
        reach={"head_teacher": _SCHOOL, "grade_leader": _SCHOOL, "mentor": _SCHOOL}),
        within_reach({"school_leader", "psych_teacher"})),
    # The mentor grid of a school: case.plan or mentor.pair at (or above) the school; a read-only page.
    "cases:mentors": record("school", {"centre_staff", "school_leader", "psych_teacher"}, posts=False),
    # Log a contact: the paired mentor, the head teacher of the class, the school's psychology teacher.
    "cases:mentor_contact_new": record("student", {"psych_teacher", "head_teacher", "mentor"}),
    "cases:my_mentees": page({"psych_teacher", "head_teacher", "mentor"}, posts=False),
    "cases:contact_policy": page({"city_admin"}),
    # Transfers into and out of one's schools (the new team accepts by POST; an empty POST is sent back).
    "cases:transfers": page({"centre_staff", "school_leader", "psych_teacher"}),
    # The plan (一生一策): whoever may open the student's file sees that a plan exists, its lead, review dates and
    # their own actions; its content and every step on it are case.plan's (psychology teacher, school leader,
    # centre staff). The matrix's actions are the psychology teacher's, so marking one done is case.plan's here
    # (the responsible head teacher or mentor marking their own: cases/tests/test_plans.py).
    "cases:plans": page({"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"},
                        posts=False),
    "cases:plan_new": record("student", {"centre_staff", "school_leader", "psych_teacher"}),
    "cases:plan": record("plan", {"centre_staff", "school_leader", "psych_teacher", "head_teacher", "grade_leader",
                                  "mentor"}, posts=False),
    "cases:plan_edit": record("plan", {"centre_staff", "school_leader", "psych_teacher"}),
    "cases:plan_action": record_action("plan", {"centre_staff", "school_leader", "psych_teacher"}),
    "cases:plan_action_done": record_action("plan", {"centre_staff", "school_leader", "psych_teacher"}),
    "cases:plan_review": record_action("plan", {"centre_staff", "school_leader", "psych_teacher"}),
    "cases:plan_close": record_action("plan", {"centre_staff", "school_leader", "psych_teacher"}),
    "cases:plan_peer": record_action("plan", {"centre_staff", "school_leader", "psych_teacher"}),
    "cases:plan_follow_up": record_action("plan", {"centre_staff", "school_leader", "psych_teacher"}),
    # A student's own peer-watch tasks (同伴跟防): nothing of the case itself.
    "cases:my_tasks": page({"student"}, posts=False),
    # <<< cases
    # >>> cases incidents (post-incident review)
    "cases:incidents": page({"centre_staff", "school_leader", "psych_teacher"}, posts=False),
    "cases:incident_new": page({"centre_staff", "school_leader", "psych_teacher"}),
    # A review of the school where the relation's student is, naming that student: the school's own and the
    # district centre (the city centre too, not walked by the matrix).
    "cases:incident": record("review", {"centre_staff", "school_leader", "psych_teacher"}),
    # <<< cases incidents
    # >>> counseling (sessions, consultation, expert pool, case-analysis reports)
    # Sessions are recorded by the school's psychology teachers and the centre's staff. Everyone who opens the
    # student's file opens a session's page: the counselor and the notes readers see the record, the others (a
    # head teacher, a grade leader, the school leader, a paired mentor) only that it took place. A POST is the
    # counselor's correction within 24 hours: the matrix's sessions in 东区第一中学 are the psychology teacher's.
    "counseling:session_new": record("student", {"centre_staff", "psych_teacher"}),
    "counseling:sessions": page({"centre_staff", "psych_teacher"}, posts=False),
    "counseling:session": Route("session_id", within_reach({"centre_staff", "school_leader", "psych_teacher",
                                                            "head_teacher", "grade_leader", "mentor"}),
                                within_reach({"psych_teacher"})),
    # 会诊: the school's psychology teacher or leader asks; the district centre's experts answer; both read it.
    "counseling:consult_new": record("student", {"school_leader", "psych_teacher"}),
    "counseling:consultations": page({"centre_staff", "school_leader", "psych_teacher"}, posts=False),
    "counseling:consultation": record("consultation_id", {"centre_staff", "school_leader", "psych_teacher"}),
    "counseling:experts": page({"centre_staff"}),
    # The term's case-analysis report: the school's psychology teacher writes, its leader and the centre read.
    "counseling:case_reports": Route("school", within_reach({"centre_staff", "school_leader", "psych_teacher"}),
                                     within_reach({"psych_teacher"})),
    # <<< counseling
    # >>> referrals (referral, hospital, return to school) and follow-ups
    # A school refers (psychology teacher, leader, centre staff); the referral page is open to the school side
    # (case file or the right to refer, within reach) and to the people of the receiving unit. The matrix world's
    # referrals go to each student's district centre, so the district's centre staff see them from both sides;
    # the matrix hospital receives none (a partner clinician's access is proven in referrals/tests).
    "referrals:new": record("student", {"centre_staff", "school_leader", "psych_teacher"}),
    "referrals:detail": record("referral", {"centre_staff", "school_leader", "psych_teacher", "head_teacher",
                                            "grade_leader", "mentor"}),
    "referrals:received": page({"centre_staff", "hospital"}, posts=False),
    "referrals:sent": page({"centre_staff", "school_leader", "psych_teacher"}, posts=False),
    # <<< referrals
    # >>> visits (home visits, family contact, coverage)
    # Record and plan: the student's head teacher, grade leader, school care team, a mentor for paired students.
    # A contact's page: whoever has the student's file (the district centre reads, does not record). The class
    # page names the students, so only those who reach them (the city administrator sees rates only).
    "visits:new": record("student", {"school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"}),
    "visits:detail": Route("contact", within_reach({"centre_staff", "school_leader", "psych_teacher", "head_teacher",
                                                    "grade_leader", "mentor"}),
                           within_reach({"school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"})),
    "visits:class": Route("class", within_reach({"centre_staff", "school_leader", "psych_teacher", "head_teacher",
                                                 "grade_leader"}),
                          within_reach({"school_leader", "psych_teacher", "head_teacher", "grade_leader"})),
    "visits:coverage": page({"city_admin", "centre_staff", "school_leader", "psych_teacher", "head_teacher",
                             "grade_leader"}, posts=False),
    "visits:mine": page({"school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"}, posts=False),
    # <<< visits
    # >>> analytics dashboards
    # The dashboards: counts only, no names (small counts hidden outside need-to-know), for whoever holds
    # analytics.dashboard at the unit or above. A unit's page is asked with the relation's class.
    "analytics:dashboard": page({"city_admin", "centre_staff", "school_leader", "psych_teacher", "head_teacher",
                                 "grade_leader", "supervisor"}, posts=False),
    "analytics:dashboard_unit": record("class", {"city_admin", "centre_staff", "school_leader", "psych_teacher",
                                                 "head_teacher", "grade_leader", "supervisor"}, posts=False),
    # A service group is the district's: the matrix names 东区's group for every relation, so whoever holds the view
    # at 东区 or the city opens it on each, and a school's staff on none.
    "analytics:dashboard_group": Route("service_group", everywhere({"city_admin", "centre_staff", "supervisor"}),
                                       NOBODY),
    # <<< analytics dashboards
    # >>> analytics screening reports
    # A campaign's screening report for a school, district or city in reach (the campaign run there or above it):
    # counts for everyone who holds analytics.screening_report; the key students by name only where the viewer
    # may see their risk level (the school's leader and psychology teacher, the district centre). The matrix
    # names the relation's school and that school's campaign.
    "analytics:screening_reports": page({"city_admin", "centre_staff", "school_leader", "psych_teacher",
                                         "supervisor"}, posts=False),
    "analytics:screening_report": record("school", {"city_admin", "centre_staff", "school_leader", "psych_teacher",
                                                    "supervisor"}, posts=False),
    "analytics:screening_report_pdf": record("school", {"city_admin", "centre_staff", "school_leader",
                                                        "psych_teacher", "supervisor"}, posts=False),
    "analytics:screening_report_xlsx": record("school", {"city_admin", "centre_staff", "school_leader",
                                                         "psych_teacher", "supervisor"}, posts=False),
    # <<< analytics screening reports
    # >>> analytics zoning and white paper
    # District risk zoning: the city's districts with their zones and rates (counts only, small ones hidden outside
    # need-to-know), for whoever holds analytics.risk_zoning at the city, or at a district (its place among the
    # city's districts). The white paper of a city or district, every figure as published, for analytics.white_paper.
    "analytics:zoning": page({"city_admin", "centre_staff", "supervisor"}, posts=False),
    "analytics:white_paper": page({"city_admin", "centre_staff"}, posts=False),
    "analytics:white_paper_pdf": page({"city_admin", "centre_staff"}, posts=False),
    # <<< analytics zoning and white paper
    # --- the inbox: one's own notifications only
    "notify:inbox": page(INBOX),
    "notify:open": action(INBOX),
    "notify:read_all": action(INBOX),
    # --- the integration API: bearer tokens of integration accounts only. A person's session opens none of
    # the data (the API's own tests and the schemathesis run walk it with tokens); its schema and docs are
    # readable by anyone holding a role; the token pages are the security administrator's and the school
    # leader's (asked with ids that exist nowhere: refusal only).
    "api:schema": page(STAFF_ROLES, posts=False),
    "api:docs": page(STAFF_ROLES, posts=False),
    "api:students": page(()),
    "api:import_batch_create": page(()),
    "api:import_batch": page(()),
    "api:import_batch_commit": page(()),
    "api:warnings": page(()),
    "api:warning": page(()),
    "api:hospital_feedback": page(()),
    "api:referrals": page(()),
    "api:campaigns": page(()),
    "api:campaign_summary": page(()),
    "api:tokens": page(STAFF_MANAGE),
    "api:account_flag": action(STAFF_MANAGE),
    "api:token_issue": action(()),
    "api:token_revoke": action(()),
}


def row(url_name: str) -> Route:
    """The row of a route; KeyError (a failing build) for a route nobody has written down."""
    return ROUTES[url_name]


def allowed(url_name: str, identity: str, relation: str, method: str) -> bool:
    route = ROUTES[url_name]
    return (route.get if method == "GET" else route.post).allows(identity, relation)
