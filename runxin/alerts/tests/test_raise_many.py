"""The batch hand-over of a burst's flags (warnings_raise_from_screening_many) writes what the one-by-one path
writes: the same warnings, reports, events and notifications (same subjects, links and dedupe keys), and sends every
flag it cannot write set-wise (an open warning to join, a result seen before, a second flag of one student) down
the single path."""

import datetime as dt

import pytest

from runxin.alerts import services, states
from runxin.alerts.models import Warning, WarningEvent, WarningReport
from runxin.notify.models import Notification
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


def _flag(student, result_id, level, code="phq-a", at=None):
    return dict(student=student, result_id=result_id, suggested_level=level, reasons=["PHQ-A 9"],
                instrument_code=code, raised_at=at)


def _written(student):
    warning = Warning.objects.get(student=student, state__in=states.OPEN)
    notes = sorted((n.recipient_id, n.channel, n.subject, n.body, n.url, n.ref, n.dedupe_key.split(":")[0])
                   for n in Notification.objects.filter(ref=f"warning:{warning.pk}"))
    event = WarningEvent.objects.get(warning=warning)
    report = WarningReport.objects.get(warning=warning)
    return {"level": warning.level.code, "tier": warning.tier, "state": warning.state, "due": warning.due_at,
            "assess_by": warning.assess_by, "review": warning.needs_review, "event": (event.kind, event.to_tier,
                                                                                       event.reason),
            "report": (report.instrument_code, report.reasons), "notes": [n[:2] + n[4:] for n in notes],
            "subjects": {n[2].split("#")[0] for n in notes}, "dedupe": {
                n.dedupe_key.rsplit(":", 2)[0] for n in Notification.objects.filter(ref=f"warning:{warning.pk}")}}


def test_a_batch_writes_what_one_by_one_writes(world):
    at = dt.datetime(2026, 10, 9, 9, 0, tzinfo=dt.UTC)
    twin_a, twin_b = f.StudentFactory(school_class=world.class1), f.StudentFactory(school_class=world.class1)
    services.warning_raise_from_screening(**_flag(twin_a, "single-1", "critical", at=at))
    services.warnings_raise_from_screening_many([_flag(twin_b, "batch-1", "critical", at=at)])
    one, many = _written(twin_a), _written(twin_b)
    assert one["level"] == many["level"] == "red"
    assert {k: v for k, v in one.items() if k not in ("notes", "dedupe")} == {
        k: v for k, v in many.items() if k not in ("notes", "dedupe")}
    # The same people on the same channels, each notification with the warning's link and the event's key.
    assert [n[:2] for n in one["notes"]] == [n[:2] for n in many["notes"]] and one["notes"]
    warning = Warning.objects.get(student=twin_b)
    event = WarningEvent.objects.get(warning=warning)
    assert many["dedupe"] == {f"warning:{warning.pk}:event:{event.pk}"}
    assert all(n[2] == f"/alerts/{warning.pk}/" for n in many["notes"])


def test_flags_it_cannot_write_in_bulk_take_the_single_path(world):
    open_one = f.StudentFactory(school_class=world.class1)
    services.warning_raise_from_screening(**_flag(open_one, "earlier", "moderate"))
    fresh = f.StudentFactory(school_class=world.class2)
    asq = f.StudentFactory(school_class=world.class2)
    handled = services.warnings_raise_from_screening_many([
        _flag(open_one, "later", "critical"),            # joins the open warning and raises its level
        _flag(fresh, "fresh-1", "high"),                 # new, set-wise
        _flag(fresh, "fresh-2", "critical"),             # a second flag of the same student: joins, raises
        _flag(asq, "asq-1", "high", code="asq"),         # new, with the same-day safety assessment
        _flag(open_one, "later", "critical"),            # the same result again: nothing new
    ])
    assert handled == 5
    joined = Warning.objects.get(student=open_one)
    assert joined.level.code == "red" and WarningReport.objects.filter(warning=joined).count() == 2
    assert Warning.objects.get(student=fresh).level.code == "red"
    assert WarningReport.objects.filter(warning__student=fresh).count() == 2
    assert Warning.objects.get(student=asq).assess_by is not None
    assert Warning.objects.filter(student__in=[open_one, fresh, asq]).count() == 3
