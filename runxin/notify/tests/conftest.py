import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English msgids."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
