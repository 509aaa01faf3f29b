"""The screening app's one entry point: a scored result that needs a warning."""

import pytest

from runxin.alerts import services, states
from runxin.alerts.models import Warning, WarningEvent, WarningReport

pytestmark = pytest.mark.django_db


def test_critical_result_raises_a_red_warning_at_the_school(world):
    warning = services.warning_raise_from_screening(
        student=world.a1, result_id="res-1", suggested_level="critical", reasons=["PHQ-A item 9 positive"],
        instrument_code="phq-a")
    assert (warning.level.code, warning.state, warning.tier, warning.ack_pending) == (
        "red", states.RAISED, states.SCHOOL, True)
    assert warning.source == "screening" and warning.raised_by is None
    report = warning.reports.get()
    assert (report.screening_result_id, report.instrument_code, report.reasons) == (
        "res-1", "phq-a", ["PHQ-A item 9 positive"])
    event = warning.events.get()
    assert (event.kind, event.to_state, event.actor) == ("raised", states.RAISED, None)


@pytest.mark.parametrize(("suggested", "level", "review"), [
    ("critical", "red", False), ("high", "orange", False), ("moderate", "yellow", False), ("review", "yellow", True),
])
def test_suggestions_map_to_levels_by_data(world, suggested, level, review):
    warning = services.warning_raise_from_screening(
        student=world.a1, result_id=f"r-{suggested}", suggested_level=suggested, reasons=[], instrument_code="gad-7")
    assert warning.level.code == level and warning.needs_review is review


def test_the_same_result_twice_is_one_report(world):
    first = services.warning_raise_from_screening(
        student=world.a1, result_id="res-9", suggested_level="high", reasons=["total 21"], instrument_code="phq-a")
    again = services.warning_raise_from_screening(
        student=world.a1, result_id="res-9", suggested_level="high", reasons=["total 21"], instrument_code="phq-a")
    assert first.pk == again.pk
    assert WarningReport.objects.count() == 1 and WarningEvent.objects.count() == 1


def test_a_second_result_joins_the_open_warning_and_raises_its_level(world):
    first = services.warning_raise_from_screening(
        student=world.a1, result_id="a", suggested_level="moderate", reasons=[], instrument_code="gad-7")
    joined = services.warning_raise_from_screening(
        student=world.a1, result_id="b", suggested_level="critical", reasons=["item 9"], instrument_code="phq-a")
    assert joined.pk == first.pk and Warning.objects.count() == 1
    assert joined.level.code == "red" and joined.ack_pending
    kinds = list(joined.events.values_list("kind", flat=True))
    assert kinds == ["raised", "report_joined", "level_changed"]


def test_a_lower_suggestion_never_lowers_the_level(world):
    services.warning_raise_from_screening(
        student=world.a1, result_id="a", suggested_level="critical", reasons=[], instrument_code="phq-a")
    joined = services.warning_raise_from_screening(
        student=world.a1, result_id="b", suggested_level="moderate", reasons=[], instrument_code="gad-7")
    assert joined.level.code == "red"


def test_unknown_suggestion_is_refused(world):
    with pytest.raises(ValueError, match="suggested_level"):
        services.warning_raise_from_screening(
            student=world.a1, result_id="x", suggested_level="severe", reasons=[], instrument_code="phq-a")


def test_raised_at_sets_the_clock(world):
    import datetime as dt
    from zoneinfo import ZoneInfo

    at = dt.datetime(2026, 10, 9, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    warning = services.warning_raise_from_screening(
        student=world.a1, result_id="t", suggested_level="critical", reasons=[], instrument_code="phq-a", raised_at=at)
    assert warning.raised_at == at and warning.due_at == at + dt.timedelta(minutes=30)
