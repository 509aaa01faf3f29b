"""The main navigation: each entry shows only to users holding its permission."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from runxin.access import roles, scope

# Menus: a group shows as one entry that opens its links, or as its one link when the person sees only one.
STUDENTS, SCREENING, WARNINGS, CASES, ADMIN = "students", "screening", "warnings", "cases", "admin"
GROUP_LABELS = {STUDENTS: _("Students"), SCREENING: _("Screening"), WARNINGS: _("Warnings"), CASES: _("Cases"),
                ADMIN: _("Administration")}

# (url name, label, permission or None for every signed-in user, menu or None for the top row)
NAV = [
    ("front:home", _("Home"), None, None),
    # >>> analytics dashboards
    ("analytics:dashboard", _("Dashboard"), roles.DASHBOARD_VIEW, None),
    # <<< analytics dashboards
    # >>> analytics zoning and white paper
    ("analytics:zoning", _("District risk zoning"), roles.RISK_ZONING, WARNINGS),
    ("analytics:white_paper", _("Yearly white paper"), roles.WHITE_PAPER, None),
    # <<< analytics zoning and white paper
    ("people:student_list", _("Students"), roles.STUDENT_ROSTER, STUDENTS),
    ("people:key_students", _("Key students"), roles.KEY_STUDENT_VIEW, STUDENTS),
    ("accounts:mentor_list", _("Mentors"), roles.MENTOR_PAIR, STUDENTS),
    ("imports:roster_upload", _("Import"), roles.ROSTER_IMPORT, STUDENTS),
    ("access:break_glass", _("Emergency access"), roles.BREAK_GLASS, STUDENTS),
    # Screening (心理测评)
    ("screening:campaign_list", _("Screening"), roles.SCREENING_PROGRESS, SCREENING),
    ("screening:instrument_list", _("Instruments"), roles.INSTRUMENTS_MANAGE, SCREENING),
    # >>> analytics screening reports
    ("analytics:screening_reports", _("Screening reports"), roles.SCREENING_REPORT, SCREENING),
    # <<< analytics screening reports
    ("screening:mine", _("My screenings"), roles.SCREENING_TAKE, SCREENING),
    # Early warning (预警)
    ("alerts:queue", _("Warnings"), roles.ALERT_QUEUE, WARNINGS),
    ("alerts:follow_ups", _("Follow-ups"), roles.ALERT_HANDLE, WARNINGS),
    ("alerts:overview_home", _("Warning overview"), roles.ALERT_OVERVIEW, WARNINGS),
    ("alerts:daily_home", _("Daily report"), roles.ALERT_DAILY_REPORT, WARNINGS),
    ("alerts:levels", _("Warning levels"), roles.ALERT_LEVELS, WARNINGS),
    # The case after the warning: plans, counseling, consultation, referrals, home visits
    ("referrals:received", _("Referrals received"), roles.REFERRAL_RECEIVE, CASES),
    ("cases:plans", _("Case plans"), roles.CASE_PLAN, CASES),
    ("counseling:sessions", _("Counseling"), roles.COUNSELING_RECORD, CASES),
    ("counseling:consultations", _("Consultations"), roles.CONSULT_ANSWER, CASES),
    ("referrals:sent", _("Referrals"), roles.REFERRAL_MAKE, CASES),
    ("visits:mine", _("Home visits"), roles.VISIT_RECORD, CASES),
    ("visits:coverage", _("Home-visit coverage"), roles.VISIT_COVERAGE, CASES),
    ("cases:my_mentees", _("My mentees"), roles.MENTOR_CONTACT, CASES),
    ("cases:transfers", _("Case transfers"), roles.CASE_PLAN, CASES),
    ("cases:incidents", _("Incident reviews"), roles.INCIDENT_REVIEW, CASES),
    ("cases:contact_policy", _("Contact frequency"), roles.CASE_CONTACT_POLICY, CASES),
    # Running the platform
    ("org:tree", _("Region"), roles.ORG_BROWSE, ADMIN),
    ("org:rollover", _("School year"), roles.ROLLOVER_RUN, ADMIN),
    ("front:readiness", _("Go-live checklist"), roles.READINESS_VIEW, ADMIN),
    ("accounts:staff_list", _("Staff"), roles.STAFF_MANAGE, ADMIN),
    ("api:tokens", _("API tokens"), roles.STAFF_MANAGE, ADMIN),
    ("people:key_categories", _("Key-student categories"), roles.GROUPS_MANAGE, ADMIN),
    ("audit:search", _("Audit"), roles.AUDIT_SEARCH, ADMIN),
    # The student side's own, always in the top row
    ("alerts:peer_report", _("Report a classmate"), roles.PEER_REPORT, None),
    ("alerts:parent_report", _("Tell the school"), roles.ALERT_PARENT_REPORT, None),
    ("alerts:self_help", _("I need help"), roles.ALERT_SELF_HELP, None),
    ("cases:my_tasks", _("My tasks"), roles.PEER_WATCH_TASK, None),
    ("notify:inbox", _("Inbox"), roles.INBOX, None),
]


def items_for(request) -> list[dict]:
    """The links this person may follow, in menus: each entry is a link ({url, label, active, badge}) or a menu
    ({label, links, active}) of two or more links."""
    links = []
    for name, label, permission, group in NAV:
        if permission is not None and not scope.has_permission(request.user, permission):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        item = {"url": url, "label": label, "active": False, "badge": 0, "group": group}
        if name == "notify:inbox":
            from runxin.notify.selectors import unread_count

            item["badge"] = unread_count(request.user)
        links.append(item)
    # Only the entry with the longest matching prefix is current (/org/rollover/ is "School year", not "Region").
    matches = [item for item in links if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    entries: list[dict] = []
    menus: dict[str, dict] = {}
    for item in links:
        group = item["group"]
        if group is None:
            entries.append(item)
        elif group not in menus:
            menus[group] = {"label": GROUP_LABELS[group], "links": [item], "active": item["active"], "group": group}
            entries.append(menus[group])
        else:
            menus[group]["links"].append(item)
            menus[group]["active"] = menus[group]["active"] or item["active"]
    return [entry["links"][0] if "links" in entry and len(entry["links"]) == 1 else entry for entry in entries]


def links_of(entries: list[dict]) -> list[dict]:
    """Every link of the navigation, menus opened (for tests and the site map)."""
    return [link for entry in entries for link in entry.get("links", [entry])]
