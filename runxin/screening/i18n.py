"""The language tag instrument texts use ("zh-Hans", "en") for the language of the current request, and the
words a student (or parent) sees for an instrument."""

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .core.definition import InstrumentDefinition, text_in


def lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-Hans"


def respondent_title(definition: InstrumentDefinition, position: int | None = None) -> str:
    """The title the person answering sees: the definition's neutral `respondent_title` ("心情小调查"), never
    its clinical name ("患者健康问卷…"); a definition without one is just "Questionnaire" (numbered)."""
    if definition.respondent_title:
        return text_in(definition.respondent_title, lang())
    if position is None:
        return _("Questionnaire")
    return _("Questionnaire %(n)s") % {"n": position}
