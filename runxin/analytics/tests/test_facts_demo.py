"""`runxin demo-city` leaves the dashboards' figures built (its own test module: the figures tests share a
city built once per module, and the command refuses a database that already holds one)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from runxin.analytics import refresh
from runxin.analytics.models import UnitFigure
from runxin.org.models import OrgUnit
from runxin.testing.clock import frozen_at

from .test_facts import STUDENTS, TODAY

pytestmark = pytest.mark.django_db


def test_the_demo_command_leaves_the_figures_built(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    with frozen_at(TODAY):
        call_command("demo_city", students=STUDENTS, seed=7, stdout=out)
    assert "the dashboards' figures over" in out.getvalue()
    city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
    assert UnitFigure.objects.get(unit=city, month=date(2031, 11, 1), measure="students").value == STUDENTS
    assert refresh.state().started_at is not None and refresh.state().rebuild_finished_at is not None
