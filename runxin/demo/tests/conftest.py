import importlib

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English msgids; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _builtin_groups(db):
    """The generator files students into the built-in special-attention groups that a data migration
    creates; a transactional test run earlier against a reused test database may have flushed them."""
    from runxin.people.models import SpecialGroup

    builtin = importlib.import_module("runxin.people.migrations.0002_special_groups").BUILTIN
    for order, (code, zh, en) in enumerate(builtin):
        SpecialGroup.objects.get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "is_builtin": True, "sort_order": order * 10})
