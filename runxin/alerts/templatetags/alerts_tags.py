"""Small display helpers for the warning pages."""

from django import template
from django.utils import translation

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


@register.filter
def count_cell(value, suppress) -> str:
    """A count, or "<5" for 1–4 when small counts are suppressed for this viewer."""
    from runxin.alerts.selectors_reports import SMALL_COUNT

    if suppress and 0 < int(value) < SMALL_COUNT:
        return f"<{SMALL_COUNT}"
    return str(value)
