"""The link from a campaign's pages (screening's campaign page and summary) to its screening report, for whoever
may open one: the template asks here, so the lower app needs no import of this one."""

from django import template
from django.urls import reverse

from runxin.access import roles, scope
from runxin.analytics import screening_report

register = template.Library()


@register.simple_tag(takes_context=True)
def screening_report_url(context, campaign) -> str:
    """The report of the campaign at the first unit the user opens it for, or "" (no report for them)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not scope.has_permission(user, roles.SCREENING_REPORT):
        return ""
    if campaign.status == campaign.Status.DRAFT or campaign.is_series:
        return ""
    units = screening_report.report_units(user, campaign)
    return reverse("analytics:screening_report", args=[campaign.pk, units[0].pk]) if units else ""
