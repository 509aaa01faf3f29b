"""The main navigation: each entry shows only to users holding its permission."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from runxin.access import roles, scope

# (url name, label, permission or None for every signed-in user)
NAV = [
    ("front:home", _("Home"), None),
    ("org:tree", _("Region"), roles.ORG_BROWSE),
    ("people:student_list", _("Students"), roles.STUDENT_ROSTER),
    ("imports:roster_upload", _("Import"), roles.ROSTER_IMPORT),
    ("org:rollover", _("School year"), roles.ROLLOVER_RUN),
    ("front:readiness", _("Go-live checklist"), roles.READINESS_VIEW),
    ("audit:search", _("Audit"), roles.AUDIT_SEARCH),
    ("accounts:staff_list", _("Staff"), roles.STAFF_MANAGE),
    ("accounts:mentor_list", _("Mentors"), roles.MENTOR_PAIR),
    ("api:tokens", _("API tokens"), roles.STAFF_MANAGE),
    ("access:break_glass", _("Emergency access"), roles.BREAK_GLASS),
    ("people:key_students", _("Key students"), roles.KEY_STUDENT_VIEW),
    ("people:key_categories", _("Key-student categories"), roles.GROUPS_MANAGE),
    # Screening (心理测评)
    ("screening:campaign_list", _("Screening"), roles.SCREENING_PROGRESS),
    ("screening:instrument_list", _("Instruments"), roles.INSTRUMENTS_MANAGE),
    ("screening:mine", _("My screenings"), roles.SCREENING_TAKE),
    # Early warning (预警) and the inbox
    ("alerts:queue", _("Warnings"), roles.ALERT_QUEUE),
    ("alerts:overview_home", _("Warning overview"), roles.ALERT_OVERVIEW),
    ("alerts:daily_home", _("Daily report"), roles.ALERT_DAILY_REPORT),
    ("alerts:levels", _("Warning levels"), roles.ALERT_LEVELS),
    ("alerts:peer_report", _("Report a classmate"), roles.PEER_REPORT),
    ("alerts:parent_report", _("Tell the school"), roles.ALERT_PARENT_REPORT),
    ("alerts:self_help", _("I need help"), roles.ALERT_SELF_HELP),
    # The case after the warning: plans, follow-ups, counseling, consultation, referrals, home visits
    ("referrals:received", _("Referrals received"), roles.REFERRAL_RECEIVE),
    ("cases:plans", _("Case plans"), roles.CASE_PLAN),
    ("alerts:follow_ups", _("Follow-ups"), roles.ALERT_HANDLE),
    ("counseling:sessions", _("Counseling"), roles.COUNSELING_RECORD),
    ("counseling:consultations", _("Consultations"), roles.CONSULT_ANSWER),
    ("referrals:sent", _("Referrals"), roles.REFERRAL_MAKE),
    ("visits:mine", _("Home visits"), roles.VISIT_RECORD),
    ("visits:coverage", _("Home-visit coverage"), roles.VISIT_COVERAGE),
    ("cases:my_mentees", _("My mentees"), roles.MENTOR_CONTACT),
    ("cases:transfers", _("Case transfers"), roles.CASE_PLAN),
    ("cases:incidents", _("Incident reviews"), roles.INCIDENT_REVIEW),
    ("cases:contact_policy", _("Contact frequency"), roles.CASE_CONTACT_POLICY),
    ("cases:my_tasks", _("My tasks"), roles.PEER_WATCH_TASK),
    ("notify:inbox", _("Inbox"), roles.INBOX),
]


def items_for(request) -> list[dict]:
    items = []
    for name, label, permission in NAV:
        if permission is not None and not scope.has_permission(request.user, permission):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        item = {"url": url, "label": label, "active": False, "badge": 0}
        if name == "notify:inbox":
            from runxin.notify.selectors import unread_count

            item["badge"] = unread_count(request.user)
        items.append(item)
    # Only the entry with the longest matching prefix is current (/org/rollover/ is "School year", not "Region").
    matches = [item for item in items if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return items
