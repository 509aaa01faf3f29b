"""Fixtures of the API tests: integration accounts with tokens in the small world (runxin/testing/world.py).

  registry_a  psychology-teacher role at 东区第一中学 (school A): roster, import, warnings, screening results
  registry_b  the same role at 西区实验学校 (school B)
  hospital_e  centre-staff role at 东区 (the east district): enters hospital reports about its students
"""

import importlib
from types import SimpleNamespace

import pytest
from django.test import Client

from runxin.alerts import services as alert_services
from runxin.alerts.models import WarningLevel
from runxin.api import services
from runxin.api.models import IntegrationAccount
from runxin.testing import factories as f


@pytest.fixture(autouse=True)
def _media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _seeded(request):
    """Warning levels come from a data migration that a browser test's flush may have emptied."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    if not WarningLevel.objects.exists():
        seeds = importlib.import_module("runxin.alerts.migrations.0002_default_levels")
        for fields in seeds.LEVELS:
            WarningLevel.objects.create(**fields)
        from django.apps import apps

        importlib.import_module("runxin.alerts.migrations.0005_crisis_path_defaults").forward(apps, None)


def integration(world, username: str, role: str, unit, system=IntegrationAccount.System.STUDENT_REGISTRY):
    user = f.UserFactory(username=username, display_name=username)
    f.assign(user, role, unit)
    account = services.account_flag(actor=world.secadmin, target=user, system=system)
    token, raw = services.token_issue(actor=world.secadmin, account=account, label="test")
    return SimpleNamespace(user=user, account=account, token=token, raw=raw,
                           client=Client(HTTP_AUTHORIZATION=f"Bearer {raw}"))


@pytest.fixture
def api(world):
    """Integration accounts for school A, school B and the east district centre, and a red warning about a1
    (school A) and w1 (school B), each referred to a hospital."""
    ns = SimpleNamespace(world=world)
    ns.a = integration(world, "registry_a", "psych_teacher", world.school)
    ns.b = integration(world, "registry_b", "psych_teacher", world.other_school)
    ns.hospital = integration(world, "hospital_e", "centre_staff", world.east, IntegrationAccount.System.HOSPITAL)
    ns.warning_a = alert_services.warning_raise_from_screening(
        student=world.a1, result_id="1", suggested_level="critical", reasons=[], instrument_code="phq-a")
    ns.warning_b = alert_services.warning_raise_from_screening(
        student=world.w1, result_id="2", suggested_level="critical", reasons=[], instrument_code="phq-a")
    alert_services.warning_record_referral(warning=ns.warning_a, actor=world.psych, reason="转介市精神卫生中心")
    alert_services.warning_record_referral(warning=ns.warning_b, actor=world.other_psych, reason="转介市精神卫生中心")
    ns.warning_a.refresh_from_db()
    ns.warning_b.refresh_from_db()
    return ns
