"""Reads audited, fail closed (issue 9, item 13).

Every page that shows identified sensitive data writes its read-audit rows through read_audit.record_read /
record_reads, inside the view's transaction (@audited_read). When the audit row cannot be written, the
visitor gets an error page without the record. And a replay of every such page leaves exactly the rows
it should: one per page view (one per student listed on a list, report or export)."""

import datetime as dt
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from runxin.access.models import ReadEvent
from runxin.access.read_audit import ReadAuditFailed, record_read, record_reads
from runxin.alerts import clock
from runxin.alerts import services as alert_services
from runxin.screening import services as screening_services
from runxin.screening.models import Submission
from runxin.screening.tests.helpers import (
    gad7_answers,
    notify_guardians,
    open_campaign,
    phqa_answers,
    target_of,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 10, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def records(world, monkeypatch):
    """A red warning and a screening result for 张一 (a1), a result for 王三 (b1), the clock a day later."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    world.warning = alert_services.warning_raise_from_screening(
        student=world.a1, result_id="r1", suggested_level="critical", reasons=["PHQ-A item 9"],
        instrument_code="phq-a")
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    world.campaign = campaign
    world.submission = _hand_in(campaign, world.a1, q9=2)
    world.submission_b1 = _hand_in(campaign, world.b1)
    world.result = world.submission.results.first()
    monkeypatch.setattr(clock, "now", lambda: NOW + dt.timedelta(days=1))
    return world


def _hand_in(campaign, student, q9=0) -> Submission:
    accepted = screening_services.submission_accept(
        target=target_of(campaign, student), client_id=uuid.uuid4(),
        answers={"phqa": phqa_answers(1, q9=q9), "gad7": gad7_answers(1)})
    return Submission.objects.get(pk=accepted.submission_id)


class _FailReadAuditInserts:
    """Makes every INSERT into the read-audit table fail at the database, whatever ORM call issued it."""

    def __init__(self):
        self.refused = 0

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and '"access_readevent"' in sql:
            self.refused += 1
            from django.db import OperationalError

            raise OperationalError("read audit unavailable (test)")
        return execute(sql, params, many, context)


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _sensitive_pages(w):
    """(page, url, reader, the (record type, student) rows one view must leave) for every page showing
    identified sensitive data. The daily report, the results list and the exports list students in bulk."""
    a1, b1 = w.a1.pk, w.b1.pk
    day = {"day": (NOW + dt.timedelta(days=1)).date().isoformat()}  # the report due the next morning
    return [
        ("student page", reverse("people:student_detail", args=[a1]), w.psych,
         [("student.profile", a1), ("screening.results", a1)]),
        ("student page, profile only", reverse("people:student_detail", args=[a1]), w.head,
         [("student.profile", a1)]),
        ("warning page", reverse("alerts:detail", args=[w.warning.pk]), w.psych, [("alerts.warning", a1)]),
        ("result page", reverse("screening:result_detail", args=[w.submission.pk]), w.psych,
         [("screening.result", a1)]),
        ("result as FHIR", reverse("screening:result_fhir", args=[w.submission.pk, w.result.pk]), w.psych,
         [("screening.result.fhir", a1)]),
        ("results list", reverse("screening:results_list", args=[w.campaign.pk]), w.psych,
         [("screening.results_list", a1), ("screening.results_list", b1)]),
        ("results export", reverse("screening:export_xlsx", args=[w.campaign.pk]), w.psych,
         [("screening.export", a1), ("screening.export", b1)]),
        ("daily report", reverse("alerts:daily", args=[w.school.pk]) + f"?day={day['day']}", w.psych,
         [("alerts.daily_report", a1)]),
        ("daily report PDF", reverse("alerts:daily_pdf", args=[w.school.pk]) + f"?day={day['day']}", w.psych,
         [("alerts.daily_report", a1)]),
        ("provincial export CSV", reverse("alerts:export_file", args=["csv"]), w.city_centre,
         [("alerts.provincial_export", a1)]),
        ("provincial export JSON", reverse("alerts:export_file", args=["json"]), w.district_centre,
         [("alerts.provincial_export", a1)]),
    ]


def test_replaying_every_sensitive_page_leaves_one_audit_row_per_student_shown(records, client_for):
    for page, url, reader, expected in _sensitive_pages(records):
        before = ReadEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client_for(reader).get(url)
        body = _body(response)
        assert response.status_code == 200, f"{page}: {response.status_code}"
        written = list(ReadEvent.objects.filter(pk__gt=before))
        assert Counter((e.record_type, e.student_id) for e in written) == Counter(expected), page
        assert {e.user_id for e in written} == {reader.pk}, page
        assert all(e.path == url and not e.via_break_glass for e in written), page
        if response["Content-Type"].startswith(("text/html", "text/csv")):
            assert "张一" in body, f"{page} shows the student it audited"


def test_a_page_that_does_not_show_sensitive_data_writes_no_read(records, client_for):
    # A refused reader and a numbers-only reader leave nothing.
    client_for(records.other_psych).get(reverse("people:student_detail", args=[records.a1.pk]))
    client_for(records.mentor).get(reverse("screening:result_detail", args=[records.submission.pk]))
    client_for(records.supervisor).get(reverse("alerts:daily", args=[records.school.pk]), {"day": (NOW + dt.timedelta(days=1)).date()})
    assert not ReadEvent.objects.exists()


@pytest.mark.parametrize("page", ["student page", "warning page", "result page", "result as FHIR", "results list",
                                  "results export", "daily report", "daily report PDF", "provincial export CSV"])
def test_when_the_read_audit_cannot_be_written_the_record_is_not_sent(records, client_for, page):
    _page, url, reader, _expected = next(p for p in _sensitive_pages(records) if p[0] == page)
    failing = _FailReadAuditInserts()
    with connection.execute_wrapper(failing):
        response = client_for(reader).get(url)
    body = _body(response)
    assert failing.refused >= 1
    assert response.status_code == 503, f"{page}: {response.status_code}"
    for secret in ("张一", "王三", records.a1.student_number, "PHQ"):
        assert secret not in body, f"{page} sent {secret} without its read audit"
    assert "Something went wrong" in body
    assert not ReadEvent.objects.exists()


def test_a_refused_step_shows_the_warning_again_only_with_its_read_audited(records, client_for):
    """A step that cannot be taken re-renders the warning page (400); that page is a read like any other."""
    url = reverse("alerts:act", args=[records.warning.pk, "assess"])
    shown = client_for(records.psych).post(url, {"outcome": "maybe"})
    assert shown.status_code == 400 and "张一" in _body(shown)
    assert list(ReadEvent.objects.values_list("record_type", "student_id")) == [("alerts.warning", records.a1.pk)]
    failing = _FailReadAuditInserts()
    with connection.execute_wrapper(failing):
        refused = client_for(records.psych).post(url, {"outcome": "maybe"})
    assert refused.status_code == 503 and "张一" not in _body(refused)
    assert ReadEvent.objects.count() == 1


def test_record_read_and_record_reads_raise_instead_of_failing_silently(records):
    failing = _FailReadAuditInserts()
    with connection.execute_wrapper(failing), pytest.raises(ReadAuditFailed):
        record_read(user=records.psych, student=records.a1, record_type="student.profile")
    with connection.execute_wrapper(failing), pytest.raises(ReadAuditFailed):
        record_reads(user=records.psych, students=[records.a1.pk, records.b1.pk], record_type="x")
    assert failing.refused == 2


def test_record_reads_writes_one_row_per_student_and_record(records):
    assert record_reads(user=records.psych, students=[records.a1.pk, records.a1.pk, (records.b1.pk, 7)],
                        record_type="alerts.daily_report", purpose="daily") == 2
    rows = sorted(ReadEvent.objects.values_list("student_id", "record_id", "purpose"))
    assert rows == sorted([(records.a1.pk, "", "daily"), (records.b1.pk, "7", "daily")])
    assert record_reads(user=records.psych, students=[], record_type="x") == 0
