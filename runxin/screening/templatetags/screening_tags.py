from django import template

from runxin.screening.core.definition import text_in
from runxin.screening.i18n import lang

register = template.Library()


@register.filter
def localized(text) -> str:
    """A {"zh-Hans": …, "en": …} text from a definition or a result, in the page's language."""
    if not isinstance(text, dict):
        return "" if text is None else str(text)
    return text_in(text, lang())
