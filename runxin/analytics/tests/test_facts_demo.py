"""`runxin demo-city` leaves the dashboards' figures built, equal to the raw SQL over its records — the demo's two
past school years too (its own test module: the figures tests share a city built once per module, and the
command refuses a database that already holds one)."""

from io import StringIO

import pytest
from django.core.management import call_command

from runxin.analytics import facts, refresh
from runxin.analytics.models import UnitFigure
from runxin.org.models import OrgUnit
from runxin.testing.clock import frozen_at

from .test_facts import STUDENTS, TODAY, differences

pytestmark = pytest.mark.django_db


def test_the_demo_command_leaves_the_figures_built(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    with frozen_at(TODAY):
        call_command("demo_city", students=STUDENTS, seed=7, stdout=out)
        months = facts.months_between(refresh.first_month(), TODAY.date())
        assert "the dashboards' figures over" in out.getvalue()
        assert refresh.state().started_at is not None and refresh.state().rebuild_finished_at is not None
        city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
        assert UnitFigure.objects.get(unit=city, month=months[-1], measure="students").value == STUDENTS
        # The city, its districts and schools, every month of the demo's past and present, as the records say.
        units = list(OrgUnit.objects.filter(kind__in=["city", "district", "school"]))
        assert differences(units, months) == []
    past = UnitFigure.objects.filter(unit=city, month__lt=months[-3], measure="screening.results")
    assert len(months) > 12 and past.exists()
