"""The catalogue of roles and permissions. The only place that says which role may do what.

A role is held at an org unit (RoleAssignment). Its *reach* says which students that unit opens:
  subtree  – every student placed under the unit (city, district, school, grade or class);
  paired   – the students the user mentors (师生结对);
  child    – the student named on the assignment (a parent's own child);
  self     – the student named on the assignment (the student themself);
  none     – no student records at all (administrators, peer reporters, the bureau's policy staff).
"""

from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    code: str
    label: object  # lazy translation
    reach: str
    needs_second_factor: bool
    permissions: frozenset[str]


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

ALL_PERMISSIONS = frozenset({
    STUDENT_ROSTER, STUDENT_PROFILE, STUDENT_SENSITIVE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL, STUDENT_CLINICAL,
    ROSTER_IMPORT, STAFF_IMPORT, STAFF_MANAGE, ORG_BROWSE, ORG_MANAGE, ROLLOVER_RUN, AUDIT_SEARCH,
    SYSTEM_SETTINGS, GROUPS_MANAGE, AGGREGATES_VIEW, PEER_REPORT,
    SCREENING_MANAGE, SCREENING_PROGRESS, SCREENING_RESULTS, SCREENING_TAKE, INSTRUMENTS_MANAGE, MENTOR_PAIR,
})

_CARE_TEAM = {STUDENT_ROSTER, STUDENT_PROFILE, STUDENT_SENSITIVE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL,
              STUDENT_CLINICAL}

ROLES: dict[str, Role] = {
    role.code: role
    for role in [
        Role("city_admin", _("City bureau admin (市教育局)"), "none", False,
             frozenset({ORG_BROWSE, ORG_MANAGE, AGGREGATES_VIEW, ROLLOVER_RUN, GROUPS_MANAGE,
                        SCREENING_MANAGE, SCREENING_PROGRESS, INSTRUMENTS_MANAGE})),
        Role("centre_staff", _("Centre staff (成长指导中心)"), "subtree", True,
             frozenset(_CARE_TEAM | {ORG_BROWSE, AGGREGATES_VIEW, ROSTER_IMPORT,
                                     SCREENING_MANAGE, SCREENING_PROGRESS, SCREENING_RESULTS})),
        Role("school_leader", _("School leader (校长/分管校长)"), "subtree", True,
             frozenset({STUDENT_ROSTER, STUDENT_PROFILE, STUDENT_SENSITIVE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL,
                        ORG_BROWSE, AGGREGATES_VIEW, ROSTER_IMPORT, STAFF_IMPORT, STAFF_MANAGE, ROLLOVER_RUN,
                        SCREENING_PROGRESS, MENTOR_PAIR})),
        Role("psych_teacher", _("Psychology teacher (心理教师)"), "subtree", True,
             frozenset(_CARE_TEAM | {ORG_BROWSE, AGGREGATES_VIEW, ROSTER_IMPORT, STAFF_IMPORT,
                                     SCREENING_MANAGE, SCREENING_PROGRESS, SCREENING_RESULTS, MENTOR_PAIR})),
        Role("head_teacher", _("Head teacher (班主任)"), "subtree", True,
             frozenset({STUDENT_ROSTER, STUDENT_PROFILE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL, ORG_BROWSE,
                        SCREENING_PROGRESS})),
        Role("mentor", _("Mentor (知心导师)"), "paired", True,
             frozenset({STUDENT_ROSTER, STUDENT_PROFILE, GUARDIAN_CONTACT, STUDENT_RISK_LEVEL})),
        Role("psych_committee", _("Class psych committee member (班级心理委员)"), "none", False,
             frozenset({PEER_REPORT})),
        Role("hotline_operator", _("Hotline operator (热线接线员)"), "subtree", True,
             frozenset({STUDENT_ROSTER, STUDENT_RISK_LEVEL})),
        Role("hospital", _("Partner hospital clinician (合作医疗机构)"), "none", True, frozenset()),
        Role("student", _("Student"), "self", False, frozenset({SCREENING_TAKE})),
        Role("parent", _("Parent/guardian"), "child", False, frozenset()),
        Role("supervisor", _("Supervisor (督导)"), "none", False, frozenset({ORG_BROWSE, AGGREGATES_VIEW})),
        # 等保2.0 three-administrator separation: none of them reads student records.
        Role("system_admin", _("System administrator (系统管理员)"), "none", True,
             frozenset({SYSTEM_SETTINGS, ORG_BROWSE, ORG_MANAGE, GROUPS_MANAGE, INSTRUMENTS_MANAGE})),
        Role("security_admin", _("Security administrator (安全管理员)"), "none", True,
             frozenset({STAFF_MANAGE, STAFF_IMPORT, ORG_BROWSE})),
        Role("audit_admin", _("Audit administrator (审计管理员)"), "none", True, frozenset({AUDIT_SEARCH})),
    ]
}

ROLE_CHOICES = [(code, role.label) for code, role in ROLES.items()]

# Which roles a unit kind may hold (a head teacher sits at a class, a psychology teacher at a school …).
ROLE_UNIT_KINDS: dict[str, set[str]] = {
    "city_admin": {"city"},
    "centre_staff": {"city", "district"},
    "school_leader": {"school"},
    "psych_teacher": {"school"},
    "head_teacher": {"class", "grade"},
    "mentor": {"school"},
    "psych_committee": {"class"},
    "hotline_operator": {"city", "district"},
    "hospital": {"hospital"},
    "student": {"class"},
    "parent": {"class"},
    "supervisor": {"city", "district", "school"},
    "system_admin": {"city"},
    "security_admin": {"city"},
    "audit_admin": {"city"},
}


def roles_with(permission: str) -> set[str]:
    if permission not in ALL_PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return {code for code, role in ROLES.items() if permission in role.permissions}


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code


# --- Early warning (预警) and notifications (issue 4) ---------------------------------------------------
# Kept as one block so the warning workflow's grants can be read (and reviewed) together. What each
# permission opens is enforced in runxin/alerts/selectors.py (visibility) and runxin/alerts/services.py.
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
INBOX = "notify.inbox"  # the in-app inbox: every staff user

_ALERT_GRANTS: dict[str, set[str]] = {
    "city_admin": {ALERT_OVERVIEW, ALERT_LEVELS, INBOX},
    "centre_staff": {ALERT_QUEUE, ALERT_ESCALATED, ALERT_RAISE, ALERT_HANDLE, ALERT_ASSESS, ALERT_APPROVE_CLEAR,
                     ALERT_OVERVIEW, ALERT_DAILY_REPORT, ALERT_EXPORT, INBOX},
    # The principal leads 研判 and 转介 (Changzhou): the school leader assesses and hands cases up as well.
    "school_leader": {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, ALERT_HANDLE, ALERT_ASSESS, ALERT_APPROVE_CLEAR,
                      ALERT_HAND_UP, ALERT_OVERVIEW, ALERT_DAILY_REPORT, INBOX},
    "psych_teacher": {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, ALERT_HANDLE, ALERT_ASSESS, ALERT_HAND_UP,
                      ALERT_OVERVIEW, ALERT_DAILY_REPORT, INBOX},
    "head_teacher": {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, ALERT_HANDLE, INBOX},
    "mentor": {ALERT_QUEUE, ALERT_VIEW_ALL, ALERT_RAISE, INBOX},
    "hotline_operator": {ALERT_QUEUE, ALERT_RAISE, INBOX},  # sees the warnings it reported, nothing else
    "hospital": {INBOX},
    "student": {ALERT_SELF_HELP},
    "parent": {ALERT_PARENT_REPORT},
    # Suzhou's 一日一报 is a supervision tool: the supervisor gets the city's daily report (counts, no names).
    "supervisor": {ALERT_OVERVIEW, ALERT_DAILY_REPORT, INBOX},
    "system_admin": {INBOX},
    "security_admin": {INBOX},
    "audit_admin": {INBOX},
    # psych_committee keeps PEER_REPORT only: the reporter sees nothing afterwards.
}
ALL_PERMISSIONS = ALL_PERMISSIONS | frozenset().union(*_ALERT_GRANTS.values())
ROLES = {code: replace(role, permissions=role.permissions | _ALERT_GRANTS.get(code, set()))
         for code, role in ROLES.items()}
