"""The provincial export is safe to open and holds only what its requester may read: a formula in a name stays
text, a district centre's file leaves out the warnings it cannot open, the file names the requester, and
every export is recorded in audit.Export."""

import csv
import io
import json

import pytest
from django.urls import reverse

from runxin.alerts import intake, services
from runxin.alerts.selectors import warnings_visible
from runxin.audit.models import Export

pytestmark = pytest.mark.django_db

EVIL = "=HYPERLINK(\"http://x\",\"a\")"


def _lines(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff"))))


@pytest.fixture
def red_and_yellow(world, frozen, levels):
    """A red warning about 张一 (centres see red at once) and a yellow one about 王三, still at the school."""
    world.a1.name = EVIL
    world.a1.save()
    red = services.warning_raise_from_screening(student=world.a1, result_id="1", suggested_level="critical",
                                                reasons=[], instrument_code="phq-a")
    yellow = intake.warning_report(actor=world.psych, student=world.b1, source="observation", summary="x",
                                   level=levels["yellow"])
    return red, yellow


@pytest.mark.parametrize("name", [EVIL, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"])
def test_a_formula_in_a_name_starts_with_an_apostrophe(world, frozen, client_for, name):
    world.a1.name = name
    world.a1.save()
    services.warning_raise_from_screening(student=world.a1, result_id="1", suggested_level="critical", reasons=[],
                                          instrument_code="phq-a")
    lines = _lines(client_for(world.city_centre).get(reverse("alerts:export_file", args=["csv"])))
    header = lines[1]
    [row] = lines[2:]
    assert row[header.index("student_name")] == "'" + name


def test_district_centre_exports_only_the_warnings_it_may_open(red_and_yellow, world, client_for):
    red, yellow = red_and_yellow
    assert yellow.student.district_id == world.east.pk  # in the centre's district, but not its to open
    assert not warnings_visible(world.district_centre).filter(pk=yellow.pk).exists()
    assert client_for(world.district_centre).get(reverse("alerts:detail", args=[yellow.pk])).status_code == 404
    client = client_for(world.district_centre)
    lines = _lines(client.get(reverse("alerts:export_file", args=["csv"])))
    assert [row[0] for row in lines[2:]] == [str(red.pk)]
    data = json.loads(b"".join(client.get(reverse("alerts:export_file", args=["json"])).streaming_content))
    assert [w["warning_id"] for w in data["warnings"]] == [red.pk]
    # The school's psychology teacher opens both; a centre never sees the yellow through the export.
    assert set(warnings_visible(world.psych).values_list("pk", flat=True)) == {red.pk, yellow.pk}


def test_the_file_names_its_requester_and_every_export_is_audited(red_and_yellow, world, client_for):
    client = client_for(world.district_centre)
    lines = _lines(client.get(reverse("alerts:export_file", args=["csv"]), {"since": "2026-10-01"},
                              REMOTE_ADDR="10.2.3.4"))
    assert lines[0][0].startswith("# ") and "east_centre" in lines[0][0] and "2026-" in lines[0][0]
    data = json.loads(b"".join(client.get(reverse("alerts:export_file", args=["json"])).streaming_content))
    assert data["exported_by"] == "east_centre"
    records = list(Export.objects.order_by("id").values_list("user", "file_format", "filters", "remote_addr"))
    assert records == [
        (world.district_centre.pk, "csv", {"export": "alerts.provincial", "since": "2026-10-01"}, "10.2.3.4"),
        (world.district_centre.pk, "json", {"export": "alerts.provincial"}, "127.0.0.1"),
    ]


def test_a_refused_or_malformed_export_is_not_recorded(red_and_yellow, world, client_for):
    assert client_for(world.psych).get(reverse("alerts:export_file", args=["csv"])).status_code == 403
    assert client_for(world.district_centre).get(reverse("alerts:export_file", args=["csv"]),
                                                 {"since": "nope"}).status_code == 400
    assert not Export.objects.exists()
