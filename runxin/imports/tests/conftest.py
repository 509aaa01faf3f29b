import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_pages(settings):
    # The pages are asserted on in the msgids' language; the browser test runs in Chinese.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _builtin_groups(request):
    """A transactional test elsewhere (browser tests) flushes the tables, data migrations included."""
    if "world" not in request.fixturenames:
        return
    import importlib

    from runxin.people.models import SpecialGroup

    builtin = importlib.import_module("runxin.people.migrations.0002_special_groups").BUILTIN
    request.getfixturevalue("world")
    for order, (code, zh, en) in enumerate(builtin):
        SpecialGroup.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "is_builtin": True,
                                                                "sort_order": order * 10})
