"""The catalogue of roles and permissions. The only place that says which role may do what.

A role is held at an org unit (RoleAssignment). Its *reach* says which students that unit opens:
  subtree  – every student placed under the unit (city, district, school, grade or class);
  paired   – the students the user mentors (师生结对);
  child    – the student named on the assignment (a parent's own child);
  self     – the student named on the assignment (the student themself);
  referred – the students with an active referral to the unit (a partner hospital's clinicians, 转介);
  none     – no student records at all (administrators, peer reporters, the bureau's policy staff).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    code: str
    label: object  # lazy translation
    reach: str
    needs_second_factor: bool
    unit_kinds: frozenset[str]  # the org unit kinds the role is held at (a head teacher at a class or grade …)
    permissions: frozenset[str]
    student_side: bool = False  # held for a student (the student, a parent, a peer): not a staff role
    administrator: bool = False  # one of the three administrators (三员): reaches no student record


# Permissions, grouped. Student detail levels rise: roster < profile < sensitive < clinical.
STUDENT_ROSTER = "student.roster"  # name, number, class, sex: enough to find a student
STUDENT_PROFILE = "student.profile"  # birth date, boarding, groups, guardians, masked ID number
STUDENT_SENSITIVE = "student.sensitive"  # the full ID number
GUARDIAN_CONTACT = "student.guardian_contact"  # guardians' phone numbers (home-school contact, 家校协同)
STUDENT_RISK_LEVEL = "student.risk_level"  # warning level and state, no answers or notes
STUDENT_CLINICAL = "student.clinical"  # screening answers, counseling notes, case files
ROSTER_IMPORT = "roster.import"
STAFF_IMPORT = "staff.import"
STAFF_MANAGE = "staff.manage"
ORG_BROWSE = "org.browse"
ORG_MANAGE = "org.manage"
ROLLOVER_RUN = "rollover.run"
AUDIT_SEARCH = "audit.search"
SYSTEM_SETTINGS = "system.settings"
GROUPS_MANAGE = "groups.manage"
AGGREGATES_VIEW = "aggregates.view"
PEER_REPORT = "peer.report"
MENTOR_PAIR = "mentor.pair"  # pair mentors (知心导师) with students of their school (师生结对)
SCREENING_MANAGE = "screening.manage"  # run campaigns (测评任务): targets, codes, consent links, reminders
SCREENING_PROGRESS = "screening.progress"  # who has finished a campaign, no scores or answers
SCREENING_RESULTS = "screening.results"  # screening scores, bands, critical items and answers (clinical)
SCREENING_TAKE = "screening.take"  # a student taking their own open campaigns with their account
INSTRUMENTS_MANAGE = "instruments.manage"  # upload, check and publish instrument definitions (量表)
STUDENT_ACCOUNTS = "student.accounts"  # issue students' accounts, see who signed in, print the credential sheet
STUDENT_ACCOUNT_RESET = "student.account_reset"  # give one student a new first password
KEY_STUDENT_VIEW = "key_student.view"  # a student's key-student categories (重点学生), reasons, review dates
KEY_STUDENT_MARK = "key_student.mark"  # mark a student as a key student in a category, end a marking
COMMITTEE_APPOINT = "committee.appoint"  # appoint and end class psych committee members (心理委员)

# Early warning (预警) and notifications. What each opens is enforced in runxin/alerts/selectors.py (visibility)
# and runxin/alerts/services.py.
ALERT_QUEUE = "alert.queue"  # the warning pages (queue, one warning); what they show is scoped
ALERT_VIEW_ALL = "alert.view_all"  # every warning about the students the role reaches (school side)
ALERT_ESCALATED = "alert.escalated"  # centre staff: warnings escalated to their tier, and levels shown to centres
ALERT_RAISE = "alert.raise"  # report a concern about a student in reach (observation, hotline, notices …)
ALERT_HANDLE = "alert.handle"  # acknowledge at one's tier, record follow-up visits (回访)
ALERT_ASSESS = "alert.assess"  # professional steps: assess, change level, intervention, monitoring, reopen
ALERT_APPROVE_CLEAR = "alert.approve_clear"  # approve clearing (解除) at the tier the level's policy names
ALERT_OVERVIEW = "alert.overview"  # counts by level and org unit (no names)
ALERT_DAILY_REPORT = "alert.daily_report"  # the daily key-case report (一日一报) of one's school or district
ALERT_EXPORT = "alert.export"  # export for the provincial crisis platform (identified)
ALERT_LEVELS = "alert.levels"  # edit warning levels and their policies
ALERT_PARENT_REPORT = "alert.parent_report"  # a parent reports a concern about their own child
ALERT_SELF_HELP = "alert.self_help"  # a student's own "I need help"
ALERT_HAND_UP = "alert.hand_up"  # hand an assessed case up to the district centre (服务升级, by decision)
PARENT_HOME = "parent.home"  # a parent's home: their own children's tasks, head teacher's contact, reports' status
PARENT_INVITE = "parent.invite"  # print guardians' invitation codes (家长邀请码) for the classes in reach
INBOX = "notify.inbox"  # the in-app inbox: every staff user
READINESS_VIEW = "readiness.view"  # the go-live checklist of one's city, district or school (front/readiness.py)

# The case after the warning (issue 12): file, plan, counseling, consultation, referral, follow-ups, home visits.
CASE_FILE = "case.file"  # a student's file (一人一档): what each entry shows still follows the detail permissions
CASE_PLAN = "case.plan"  # open, edit, review and close plans (一生一策); assign actions and peer watchers
CASE_CONTACT_POLICY = "case.contact_policy"  # mentor-contact and review frequency per warning level (policy data)
CRISIS_TEAM = "crisis_team.manage"  # name the school's crisis intervention team (心理危机干预小组)
MENTOR_CONTACT = "mentor.contact"  # log a contact with a paired student (导师联系记录)
COUNSELING_RECORD = "counseling.record"  # write counseling session records (心理辅导记录); the counselor reads their own
COUNSELING_NOTES = "counseling.notes"  # read other counselors' session records about students in reach
CONSULT_REQUEST = "consultation.request"  # ask the district centre's experts about a case (会诊)
CONSULT_ANSWER = "consultation.answer"  # give an expert opinion (held by the district centre's expert pool)
CASE_REPORT = "consultation.case_report"  # the school's case-analysis report per term (个案分析报告)
REFERRAL_MAKE = "referral.make"  # refer a student to the district centre or a partner hospital (转介)
REFERRAL_RECEIVE = "referral.receive"  # accept or decline referrals to one's unit, record visits and discharge
RETURN_ASSESS = "referral.return_assess"  # the return-to-school assessment (复学评估) after a hospital stay
VISIT_RECORD = "visit.record"  # plan and record home visits and family contacts (家访、家校联系)
VISIT_COVERAGE = "visit.coverage"  # home-visit coverage: by name for one's classes, as rates above
INCIDENT_REVIEW = "incident.review"  # post-incident reviews (复盘): the school writes, the centres read and add
PEER_WATCH_TASK = "peer_watch.task"  # a student's own peer-watch tasks (同伴跟防), nothing else of the case
BREAK_GLASS = "access.break_glass"  # emergency access to a student outside one's reach (school-side care team)

# The picture at every level (issue 13): counts only; a figure from fewer than 5 students is suppressed for whoever
# lacks need-to-know of those students (analytics/core/suppression.py).
DASHBOARD_VIEW = "analytics.dashboard"  # the dashboard of one's city, district, service group, school, grade or class
SCREENING_REPORT = "analytics.screening_report"  # a campaign's screening report for a school, district or city
RISK_ZONING = "analytics.risk_zoning"  # district risk zoning (重点警示区域/一般警示区/少发不发区)
WHITE_PAPER = "analytics.white_paper"  # the yearly monitoring white paper (PDF a bureau can publish)
INDIVIDUAL_REPORT_SHARE = "screening.report_share"  # share the careful individual report with a student and parents

ALL_PERMISSIONS = frozenset({
    STUDENT_ROSTER, STUDENT_PROFILE, STUDENT_SENSITIVE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL, STUDENT_CLINICAL,
    ROSTER_IMPORT, STAFF_IMPORT, STAFF_MANAGE, ORG_BROWSE, ORG_MANAGE, ROLLOVER_RUN, AUDIT_SEARCH,
    SYSTEM_SETTINGS, GROUPS_MANAGE, AGGREGATES_VIEW, PEER_REPORT, KEY_STUDENT_VIEW, KEY_STUDENT_MARK,
    COMMITTEE_APPOINT,
    SCREENING_MANAGE, SCREENING_PROGRESS, SCREENING_RESULTS, SCREENING_TAKE, INSTRUMENTS_MANAGE, MENTOR_PAIR,
    STUDENT_ACCOUNTS, STUDENT_ACCOUNT_RESET,
    ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_ESCALATED, ALERT_RAISE, ALERT_HANDLE, ALERT_ASSESS, ALERT_APPROVE_CLEAR,
    ALERT_OVERVIEW, ALERT_DAILY_REPORT, ALERT_EXPORT, ALERT_LEVELS, ALERT_PARENT_REPORT, ALERT_SELF_HELP,
    ALERT_HAND_UP, INBOX, READINESS_VIEW, PARENT_HOME, PARENT_INVITE,
    CASE_FILE, CASE_PLAN, CASE_CONTACT_POLICY, CRISIS_TEAM, MENTOR_CONTACT, COUNSELING_RECORD, COUNSELING_NOTES,
    CONSULT_REQUEST, CONSULT_ANSWER, CASE_REPORT, REFERRAL_MAKE, REFERRAL_RECEIVE, RETURN_ASSESS, VISIT_RECORD,
    VISIT_COVERAGE, INCIDENT_REVIEW, PEER_WATCH_TASK, BREAK_GLASS,
    DASHBOARD_VIEW, SCREENING_REPORT, RISK_ZONING, WHITE_PAPER, INDIVIDUAL_REPORT_SHARE,
})

_CARE_TEAM = {STUDENT_ROSTER, STUDENT_PROFILE, STUDENT_SENSITIVE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL,
              STUDENT_CLINICAL}


def _kinds(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


def _grants(*groups) -> frozenset[str]:
    return frozenset().union(*groups)


# The catalogue: every role once, with all it may do. Each entry's permissions are written in two parts: the
# student records and administration, then the warning workflow (so the warning grants can be reviewed together).
ROLES: dict[str, Role] = {
    role.code: role
    for role in [
        Role("city_admin", _("City bureau admin (市教育局)"), "none", False, _kinds("city"), _grants(
            {ORG_BROWSE, ORG_MANAGE, AGGREGATES_VIEW, ROLLOVER_RUN, GROUPS_MANAGE, SCREENING_MANAGE,
             SCREENING_PROGRESS, INSTRUMENTS_MANAGE},
            {ALERT_OVERVIEW, ALERT_LEVELS, INBOX, READINESS_VIEW},
            {CASE_CONTACT_POLICY, VISIT_COVERAGE},
            {DASHBOARD_VIEW, SCREENING_REPORT, RISK_ZONING, WHITE_PAPER})),
        Role("centre_staff", _("Centre staff (成长指导中心)"), "subtree", True, _kinds("city", "district"), _grants(
            _CARE_TEAM, {ORG_BROWSE, AGGREGATES_VIEW, ROSTER_IMPORT, SCREENING_MANAGE, SCREENING_PROGRESS,
                         SCREENING_RESULTS, KEY_STUDENT_VIEW, READINESS_VIEW},
            {ALERT_QUEUE, ALERT_ESCALATED, ALERT_RAISE, ALERT_HANDLE, ALERT_ASSESS, ALERT_APPROVE_CLEAR,
             ALERT_OVERVIEW, ALERT_DAILY_REPORT, ALERT_EXPORT, INBOX},
            {CASE_FILE, CASE_PLAN, COUNSELING_RECORD, COUNSELING_NOTES, CONSULT_ANSWER, CASE_REPORT, REFERRAL_MAKE,
             REFERRAL_RECEIVE, VISIT_COVERAGE, INCIDENT_REVIEW, BREAK_GLASS},
            {DASHBOARD_VIEW, SCREENING_REPORT, RISK_ZONING, WHITE_PAPER, INDIVIDUAL_REPORT_SHARE})),
        # The principal leads 研判 and 转介 (Changzhou): the school leader assesses and hands cases up as well.
        Role("school_leader", _("School leader (校长/分管校长)"), "subtree", True, _kinds("school"), _grants(
            {STUDENT_ROSTER, STUDENT_PROFILE, STUDENT_SENSITIVE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL, ORG_BROWSE,
             AGGREGATES_VIEW, ROSTER_IMPORT, STAFF_IMPORT, STAFF_MANAGE, ROLLOVER_RUN, SCREENING_PROGRESS,
             MENTOR_PAIR, KEY_STUDENT_VIEW, STUDENT_ACCOUNTS, READINESS_VIEW, PARENT_INVITE},
            {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, ALERT_HANDLE, ALERT_ASSESS, ALERT_APPROVE_CLEAR,
             ALERT_HAND_UP, ALERT_OVERVIEW, ALERT_DAILY_REPORT, INBOX},
            {CASE_FILE, CASE_PLAN, CRISIS_TEAM, CONSULT_REQUEST, CASE_REPORT, REFERRAL_MAKE, RETURN_ASSESS,
             VISIT_RECORD, VISIT_COVERAGE, INCIDENT_REVIEW, BREAK_GLASS},
            {DASHBOARD_VIEW, SCREENING_REPORT})),
        Role("psych_teacher", _("Psychology teacher (心理教师)"), "subtree", True, _kinds("school"), _grants(
            _CARE_TEAM, {ORG_BROWSE, AGGREGATES_VIEW, ROSTER_IMPORT, STAFF_IMPORT, SCREENING_MANAGE,
                         SCREENING_PROGRESS, SCREENING_RESULTS, MENTOR_PAIR, KEY_STUDENT_VIEW, KEY_STUDENT_MARK,
                         STUDENT_ACCOUNTS, STUDENT_ACCOUNT_RESET, PARENT_INVITE},
            {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, ALERT_HANDLE, ALERT_ASSESS, ALERT_HAND_UP, ALERT_OVERVIEW,
             ALERT_DAILY_REPORT, INBOX},
            {CASE_FILE, CASE_PLAN, CRISIS_TEAM, MENTOR_CONTACT, COUNSELING_RECORD, COUNSELING_NOTES, CONSULT_REQUEST,
             CASE_REPORT, REFERRAL_MAKE, RETURN_ASSESS, VISIT_RECORD, VISIT_COVERAGE, INCIDENT_REVIEW, BREAK_GLASS},
            {DASHBOARD_VIEW, SCREENING_REPORT, INDIVIDUAL_REPORT_SHARE})),
        Role("head_teacher", _("Head teacher (班主任)"), "subtree", True, _kinds("class", "grade"), _grants(
            {STUDENT_ROSTER, STUDENT_PROFILE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL, ORG_BROWSE, SCREENING_PROGRESS,
             KEY_STUDENT_VIEW, KEY_STUDENT_MARK, COMMITTEE_APPOINT, STUDENT_ACCOUNTS,
             STUDENT_ACCOUNT_RESET, PARENT_INVITE},
            {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, ALERT_HANDLE, INBOX},
            {CASE_FILE, MENTOR_CONTACT, VISIT_RECORD, VISIT_COVERAGE, BREAK_GLASS}, {DASHBOARD_VIEW})),
        # The grade leader (年级组长) acts for the grade as a head teacher does for a class; in the warning network
        # it is its own tier (class → grade → school), used where a level's policy names the grade.
        # Sees the grade's key students (重点学生) as the head teachers do for their classes; marks none.
        Role("grade_leader", _("Grade leader (年级组长)"), "subtree", True, _kinds("grade"), _grants(
            {STUDENT_ROSTER, STUDENT_PROFILE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL, ORG_BROWSE, SCREENING_PROGRESS,
             KEY_STUDENT_VIEW},
            {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, ALERT_HANDLE, INBOX},
            {CASE_FILE, VISIT_RECORD, VISIT_COVERAGE, BREAK_GLASS}, {DASHBOARD_VIEW})),
        Role("mentor", _("Mentor (知心导师)"), "paired", True, _kinds("school"), _grants(
            {STUDENT_ROSTER, STUDENT_PROFILE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL},
            {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, INBOX},
            {CASE_FILE, MENTOR_CONTACT, VISIT_RECORD, BREAK_GLASS})),
        # The peer reporter sees nothing afterwards.
        Role("psych_committee", _("Class psych committee member (班级心理委员)"), "none", False, _kinds("class"),
             _grants({PEER_REPORT}), student_side=True),
        # Sees the warnings it reported, nothing else.
        Role("hotline_operator", _("Hotline operator (热线接线员)"), "subtree", True, _kinds("city", "district"),
             _grants({STUDENT_ROSTER, STUDENT_RISK_LEVEL}, {ALERT_QUEUE, ALERT_RAISE, INBOX})),
        # Partner institutions (合作机构): a clinician of a partner hospital or mental-health centre, and the liaison
        # of a society unit (公安、检察院、法院、妇联、民政). The clinician reaches only the students with an active
        # referral to their unit (reach "referred"), at roster and profile level with the guardians' phones; the
        # referral itself carries what the school wrote. The society liaison reaches no student. The liaison needs a second
        # factor as the clinician does, because those referrals name the student.
        Role("hospital", _("Partner clinician (合作医疗机构)"), "referred", True, _kinds("hospital", "mhc"),
             _grants({STUDENT_ROSTER, STUDENT_PROFILE, GUARDIAN_CONTACT, REFERRAL_RECEIVE, INBOX})),
        Role("society_partner", _("Society partner liaison (社会协同单位联络人)"), "none", True, _kinds("society"),
             _grants({INBOX})),
        Role("student", _("Student"), "self", False, _kinds("class"), _grants({SCREENING_TAKE}, {ALERT_SELF_HELP}, {PEER_WATCH_TASK}),
             student_side=True),
        Role("parent", _("Parent/guardian"), "child", False, _kinds("class"),
             _grants({ALERT_PARENT_REPORT, PARENT_HOME}), student_side=True),
        # Suzhou's 一日一报 is a supervision tool: the supervisor gets the city's daily report (counts, no names).
        Role("supervisor", _("Supervisor (督导)"), "none", False, _kinds("city", "district", "school"), _grants(
            {ORG_BROWSE, AGGREGATES_VIEW}, {ALERT_OVERVIEW, ALERT_DAILY_REPORT, INBOX},
            {DASHBOARD_VIEW, SCREENING_REPORT, RISK_ZONING})),
        # 等保2.0 three-administrator separation: none of them reads student records.
        Role("system_admin", _("System administrator (系统管理员)"), "none", True, _kinds("city"), _grants(
            {SYSTEM_SETTINGS, ORG_BROWSE, ORG_MANAGE, GROUPS_MANAGE, INSTRUMENTS_MANAGE, READINESS_VIEW}, {INBOX}),
             administrator=True),
        Role("security_admin", _("Security administrator (安全管理员)"), "none", True, _kinds("city"), _grants(
            {STAFF_MANAGE, STAFF_IMPORT, ORG_BROWSE, READINESS_VIEW}, {INBOX}), administrator=True),
        Role("audit_admin", _("Audit administrator (审计管理员)"), "none", True, _kinds("city"), _grants(
            {AUDIT_SEARCH}, {INBOX}), administrator=True),
    ]
}

# Read from the catalogue above; never written out again elsewhere.
ROLE_CHOICES = [(code, role.label) for code, role in ROLES.items()]
# Which roles a unit kind may hold (a head teacher sits at a class, a psychology teacher at a school …).
ROLE_UNIT_KINDS: dict[str, set[str]] = {code: set(role.unit_kinds) for code, role in ROLES.items()}
STUDENT_SIDE_ROLES = frozenset(code for code, role in ROLES.items() if role.student_side)
ADMIN_ROLES = frozenset(code for code, role in ROLES.items() if role.administrator)


def roles_with(permission: str) -> set[str]:
    if permission not in ALL_PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return {code for code, role in ROLES.items() if permission in role.permissions}


def roles_at(unit_kind: str, permission: str) -> tuple[str, ...]:
    """The roles held at a unit kind that carry a permission, sorted: e.g. who handles warnings at a school."""
    return tuple(sorted(code for code in roles_with(permission) if unit_kind in ROLES[code].unit_kinds))


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code
