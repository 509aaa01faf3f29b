"""The provincial export: documented fields, CSV and JSON, scope, window, and its read audit."""

import csv
import io
import json

import pytest
from django.urls import reverse

from runxin.access.models import ReadEvent
from runxin.alerts import intake, services
from runxin.alerts.export import FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def warnings(world, frozen):
    services.warning_raise_from_screening(student=world.a1, result_id="1", suggested_level="critical", reasons=[],
                                          instrument_code="phq-a")
    services.warning_raise_from_screening(student=world.w1, result_id="2", suggested_level="moderate", reasons=[],
                                          instrument_code="phq-a")
    return world


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def _csv_rows(response) -> list[dict]:
    """The CSV's records: its first line names the requester ("# 导出人: …", docs/provincial-export.md)."""
    lines = _body(response).lstrip("\ufeff").split("\r\n", 1)
    assert lines[0].startswith("# ")
    return list(csv.DictReader(io.StringIO(lines[1])))


def test_csv_has_the_documented_columns(warnings, client_for):
    response = client_for(warnings.city_centre).get(reverse("alerts:export_file", args=["csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert list(rows[0]) == [name for name, _doc in FIELDS]
    by_number = {r["student_number"]: r for r in rows}
    red = by_number[warnings.a1.student_number]
    assert (red["level_code"], red["state"], red["status"], red["tier"], red["school_code"], red["district_code"]) == (
        "red", "raised", "current", "school", "S-E1", "D-E")
    assert red["raised_at"].endswith("+08:00") and red["revisited"] == "False"


def test_json_and_district_scope(warnings, client_for):
    response = client_for(warnings.district_centre).get(reverse("alerts:export_file", args=["json"]))
    data = json.loads(_body(response))
    assert data["format"] == "runxin.provincial-warnings" and data["version"] == 1
    assert [w["student_name"] for w in data["warnings"]] == ["张一"]  # the east district only, every level
    assert ReadEvent.objects.filter(record_type="alerts.provincial_export", student=warnings.a1).exists()


def test_window_filters_and_bad_window_is_explained(warnings, client_for):
    client = client_for(warnings.city_centre)
    data = json.loads(_body(client.get(reverse("alerts:export_file", args=["json"]), {"since": "2026-10-10"})))
    assert data["warnings"] == []
    response = client.get(reverse("alerts:export_file", args=["csv"]), {"since": "2026-10-10", "until": "2026-10-01"})
    assert response.status_code == 400 and "must be before" in response.content.decode()


def test_export_is_for_centre_staff_only(warnings, client_for):
    for user in (warnings.psych, warnings.city_admin, warnings.head, warnings.outsider):
        assert client_for(user).get(reverse("alerts:export_file", args=["csv"])).status_code == 403
    assert client_for(warnings.city_centre).get(reverse("alerts:export_file", args=["xml"])).status_code == 404


def test_a_peer_reporter_is_never_exported(world, frozen, client_for):
    from runxin.alerts.export import NEVER_EXPORTED

    # The committee member (a student of class 1, 李二) reports a classmate; nothing in the export names them.
    # The risk phrase makes it red, which the city centre may open (an export lists only what its requester may open).
    intake.peer_report(actor=world.committee, classmate_name="张一", summary="活着没意思. Talks about disappearing.")
    client = client_for(world.city_centre)
    csv_text = _body(client.get(reverse("alerts:export_file", args=["csv"])))
    data = json.loads(_body(client.get(reverse("alerts:export_file", args=["json"]))))
    [record] = data["warnings"]
    assert record["source"] == "peer" and record["student_name"] == "张一"
    for text in (csv_text, json.dumps(data, ensure_ascii=False)):
        for trace in (world.committee.username, world.committee.display_name, world.a2.name,
                      world.a2.student_number, "disappearing"):
            assert trace not in text
    assert not NEVER_EXPORTED & {name for name, _doc in FIELDS}


def test_dismissed_warnings_are_marked(world, frozen, client_for, levels):
    # Red, so that the city centre may open it (an export lists only warnings its requester may open).
    warning = intake.warning_report(actor=world.psych, student=world.b1, source="observation", summary="x",
                                    level=levels["red"])
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    services.warning_assess(warning=warning, actor=world.psych, confirm=False, reason="No risk.")
    services.warning_raise_from_screening(student=world.a1, result_id="1", suggested_level="critical", reasons=[],
                                          instrument_code="phq-a")
    client = client_for(world.city_centre)
    data = json.loads(_body(client.get(reverse("alerts:export_file", args=["json"]))))
    marks = {w["student_name"]: (w["status"], w["dismissed"]) for w in data["warnings"]}
    assert marks == {"王三": ("dismissed", True), "张一": ("current", False)}
    rows = _csv_rows(client.get(reverse("alerts:export_file", args=["csv"])))
    assert list(rows[0])[-1] == "dismissed"
    assert {r["student_name"]: r["dismissed"] for r in rows} == {"王三": "True", "张一": "False"}


@pytest.mark.parametrize("query", [{"since": "0001-01-01"}, {"until": "9999-12-31"}, {"since": "9" * 5000},
                                   {"since": "2026-13-01"}, {"until": "2026-02-30"}, {"since": "\x00"}])
def test_huge_or_malformed_dates_are_explained(warnings, client_for, query):
    response = client_for(warnings.city_centre).get(reverse("alerts:export_file", args=["csv"]), query)
    assert response.status_code == 400 and 'class="errorlist' in response.content.decode()
