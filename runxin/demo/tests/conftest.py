import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English msgids; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """The demo city's spreadsheets go under VAR_DIR/demo-files: a test's own directory, not the repo's var/."""
    settings.VAR_DIR = tmp_path
