"""The role-aware home page: each role sees its own figures, and nothing beyond its reach."""

import pytest
from django.urls import reverse

from runxin.alerts import intake as alert_intake
from runxin.alerts.models import WarningLevel

pytestmark = pytest.mark.django_db


def _raise(world, student, level_code="red"):
    return alert_intake.warning_report(
        actor=world.head, student=student, source="observation", summary="情绪低落，多次提到不想活了",
        level=WarningLevel.objects.get(code=level_code),
    )


def test_psych_teacher_home_counts_open_warnings_by_level(world, client_for):
    _raise(world, world.a1)
    response = client_for(world.psych).get(reverse("front:home"))
    assert response.status_code == 200
    counts = {row.code: row.open for row in response.context["warnings"]}
    assert counts.get("red") == 1


def test_other_school_sees_no_count_of_this_schools_warnings(world, client_for):
    _raise(world, world.a1)
    response = client_for(world.other_psych).get(reverse("front:home"))
    assert sum(row.open for row in response.context["warnings"]) == 0


def test_roles_without_warning_pages_see_no_warning_summary(world, client_for):
    _raise(world, world.a1)
    for user in (world.auditor, world.outsider, world.committee):
        response = client_for(user).get(reverse("front:home"))
        assert response.status_code == 200
        assert response.context.get("warnings") is None
