"""The reference data a fresh database holds before anyone uses it, put back for tests.

Three apps seed rows when the database is migrated: alerts (the default warning levels and crisis-path
settings, data migrations 0002, 0005 and 0008), people (the built-in special-attention groups and key-student
categories, data migrations 0002 and 0006) and screening (the shipped instruments, loaded after every migrate). A transactional test (the
browser tests) ends with a flush that empties every table, and with --reuse-db the next session starts from
what the flush left: data migrations do not run again. `restore()` puts back whatever is missing, so each
test starts from what a fresh database holds whatever ran before it.
"""

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


def restore() -> None:
    restore_levels()
    restore_special_groups()
    restore_key_student_categories()
    restore_instruments()


def restore_levels() -> None:
    from django.apps import apps

    from runxin.alerts.models import WarningLevel

    if WarningLevel.objects.exists():
        return
    for fields in importlib.import_module("runxin.alerts.migrations.0002_default_levels").LEVELS:
        WarningLevel.objects.create(**fields)
    importlib.import_module("runxin.alerts.migrations.0005_crisis_path_defaults").forward(apps, None)
    importlib.import_module("runxin.alerts.migrations.0008_level_meanings_in_chinese").forward(apps, None)


def restore_special_groups() -> None:
    from runxin.people.models import SpecialGroup

    builtin = importlib.import_module("runxin.people.migrations.0002_special_groups").BUILTIN
    if SpecialGroup.objects.filter(is_builtin=True).count() >= len(builtin):
        return
    for order, (code, zh, en) in enumerate(builtin):
        SpecialGroup.objects.get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "is_builtin": True, "sort_order": order * 10})


def restore_key_student_categories() -> None:
    from django.apps import apps

    from runxin.people.models import KeyStudentCategory

    if not KeyStudentCategory.objects.exists():
        importlib.import_module("runxin.people.migrations.0006_key_student_categories").seed(apps, None)


def restore_instruments() -> None:
    from runxin.screening.models import InstrumentVersion
    from runxin.screening.services import instruments_load_shipped

    if not InstrumentVersion.objects.filter(source=InstrumentVersion.Source.SHIPPED).exists():
        instruments_load_shipped()


@contextmanager
def module_database(django_db_blocker) -> Iterator[None]:
    """For a module-scoped fixture that builds data once for its tests: the database unblocked, a transaction
    rolled back after the module's last test (each test runs in a savepoint of it), and the reference data put
    back first. A module fixture is set up before any test's own fixtures: after a browser test's flush on the
    same worker the reference data would otherwise be missing (no warning level, no special group)."""
    with django_db_blocker.unblock(), transaction.atomic():
        restore()
        yield
        transaction.set_rollback(True)
