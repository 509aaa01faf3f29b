"""The language tag instrument texts use ("zh-Hans", "en") for the language of the current request."""

from django.utils.translation import get_language


def lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-Hans"
