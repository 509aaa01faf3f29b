"""Small display helpers for the warning pages."""

from django import template
from django.utils import translation
from django.utils.html import format_html

from runxin.alerts.models import STATE_LABELS, Tier

register = template.Library()


@register.filter
def level_name(level) -> str:
    if level is None:
        return "—"
    return level.label(translation.get_language() or "zh-hans")


@register.filter
def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@register.filter
def tier_label(tier) -> str:
    try:
        return str(Tier(int(tier)).label)
    except (TypeError, ValueError):
        return "—"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def overdue(warning, now) -> bool:
    return warning.due_at is not None and warning.due_at <= now


@register.simple_tag(takes_context=True)
def ov_fig(context, node, figure: str, level, value: int, element: str = "td", css: str = "num",
           element_id: str = ""):
    """One figure of the warning overview in the figures' markup (data-fig, data-value): "*" with
    data-hidden="1" when it is hidden from this viewer (context["hidden"]), one mark for every hidden figure."""
    from runxin.alerts.selectors_reports import page_key

    key = page_key((*node, figure, level or 0))
    ident = format_html(' id="{}"', element_id) if element_id else ""
    if key in context.get("hidden", ()):
        return format_html('<{} class="{}" data-fig="{}" data-hidden="1"{}>*</{}>', element, css, key, ident,
                           element)
    return format_html('<{} class="{}" data-fig="{}" data-value="{}"{}>{}</{}>', element, css, key, value, ident,
                       value, element)


@register.simple_tag
def hotlines() -> list[tuple[str, str]]:
    """The region's help lines, from the one setting (settings.HELP_HOTLINES) every help page reads."""
    from runxin.screening.help import hotlines as configured

    return configured()


@register.simple_tag
def time_left(due, now) -> str:
    """"25 minutes left" / "overdue by 2 hours", in whole minutes, hours or days."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    span = abs(seconds)
    if span < 3600:
        n = max(1, span // 60)
        text = ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}
    elif span < 2 * 86400:
        n = span // 3600
        text = ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    else:
        n = span // 86400
        text = ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    return (_("%(span)s left") if seconds >= 0 else _("overdue by %(span)s")) % {"span": text}


@register.filter
def step_label(step: str) -> str:
    from runxin.alerts.responsibility import STEP_LABELS

    return str(STEP_LABELS.get(step, step))


@register.filter
def urgency_label(urgency: str) -> str:
    from django.utils.translation import gettext as _

    return {"now": _("reported as happening now"), "today": _("reported as needing someone today"),
            "concern": _("reported as a worry")}.get(urgency, "")
