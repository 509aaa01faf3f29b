"""Template filters of the referral pages: waiting times in hours or days, status colours."""

from django import template
from django.utils.translation import gettext as _

from ..models import Referral

register = template.Library()

S = Referral.Status
_COLOURS = {S.SENT: "yellow", S.ACCEPTED: "ok", S.SEEN: "ok", S.ADMITTED: "orange", S.DISCHARGED: "ok",
            S.RETURNED: "ok", S.DECLINED: "red", S.CLOSED: "", S.WITHDRAWN: ""}


@register.filter
def hours(value) -> str:
    """12.5 → "12.5 h"; 60 → "2.5 d"; None → "—"."""
    if value is None:
        return "—"
    if value < 48:
        return _("%(n)s h") % {"n": f"{value:.1f}"}
    return _("%(n)s d") % {"n": f"{value / 24:.1f}"}


@register.filter
def days(value) -> str:
    if value is None:
        return "—"
    return _("%(n)s d") % {"n": f"{value:.1f}"}


@register.filter
def status_colour(status: str) -> str:
    return _COLOURS.get(status, "")


@register.simple_tag
def figure_rows(figures):
    return [(_("Green channel (urgent)"), figures.urgent, "urgent"), (_("Routine"), figures.routine, "routine"),
            (_("All"), figures.all, "all")]
