"""The hand-over of flags to the warnings app during a burst (issue 10): most severe first, in batches, one
queued task however many submissions ask, and a flag that fails holds nobody else back."""

import uuid

import pytest

from runxin.alerts.models import Warning
from runxin.screening import services, tasks
from runxin.screening.models import ScreeningFlag

from .helpers import gad7_answers, phqa_answers, target_of

pytestmark = pytest.mark.django_db


def submit(campaign, student, *, critical: bool):
    """A submission whose flag stays pending (the post-commit hand-over does not run inside a test transaction)."""
    answers = {"phqa": phqa_answers(0, q9=1 if critical else 0), "gad7": gad7_answers(0 if critical else 2)}
    services.submission_accept(target=target_of(campaign, student), client_id=uuid.uuid4(), answers=answers)


@pytest.fixture
def pending(world, campaign):
    """A moderate flag arrived first, the critical ones after it (as in a burst)."""
    submit(campaign, world.a1, critical=False)
    submit(campaign, world.b1, critical=True)
    submit(campaign, world.a2, critical=True)
    assert ScreeningFlag.objects.filter(handed_over_at__isnull=True).count() == 3
    return ScreeningFlag.objects.all()


@pytest.fixture
def raised(monkeypatch):
    """The warnings app's receiver, recording the order in which flags reach it."""
    real = services._warning_raiser()
    order = []

    def receiver(**kwargs):
        order.append((kwargs["suggested_level"], kwargs["student"].pk))
        return real(**kwargs)

    monkeypatch.setattr(services, "_warning_raiser", lambda: receiver)
    return order


def test_critical_flags_go_first_whatever_arrived_before_them(world, pending, raised):
    assert services.flags_hand_over_pending(batch=2) == 3
    assert raised == [("critical", world.b1.pk), ("critical", world.a2.pk), ("moderate", world.a1.pk)]
    assert not ScreeningFlag.objects.filter(handed_over_at__isnull=True).exists()
    # Each became a warning in the network's queue: red for the critical ones.
    assert {w.student_id: w.level.code for w in Warning.objects.select_related("level")} == {
        world.b1.pk: "red", world.a2.pk: "red", world.a1.pk: "yellow"}
    assert services.flags_hand_over_pending() == 0  # exactly once


def test_a_limit_hands_over_the_most_severe(world, pending, raised):
    assert services.flags_hand_over_pending(limit=2) == 2
    assert [level for level, _student in raised] == ["critical", "critical"]
    assert set(ScreeningFlag.objects.filter(handed_over_at__isnull=True).values_list("level", flat=True)) == {
        "moderate"}


def test_a_failing_flag_holds_nobody_else_back(world, pending, monkeypatch):
    real = services._warning_raiser()

    def receiver(**kwargs):
        if kwargs["student"] == world.b1:
            raise RuntimeError("this student's school is being merged")
        return real(**kwargs)

    monkeypatch.setattr(services, "_warning_raiser", lambda: receiver)
    assert services.flags_hand_over_pending(batch=3) == 2
    stuck = ScreeningFlag.objects.get(handed_over_at__isnull=True)
    assert stuck.student_id == world.b1.pk and "merged" in stuck.last_error and stuck.attempts == 1
    assert Warning.objects.count() == 2
    monkeypatch.undo()
    assert services.flags_hand_over_pending() == 1  # the sweep retries it
    assert Warning.objects.filter(student=world.b1, level__code="red").exists()


def test_a_burst_queues_one_hand_over_task_not_one_per_submission(settings, monkeypatch, world, pending):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(tasks.hand_over_flags, "delay", lambda *args: queued.append(args))
    from django.core.cache import cache

    cache.delete(services.HAND_OVER_MARK)
    for flag in pending:
        services._schedule_hand_over([flag.pk])
    assert queued == [()]  # one drain, no ids: it claims every pending flag
    # The worker starts it: the mark is cleared and it hands over everything pending, red first.
    assert tasks.hand_over_flags() == 3
    assert not ScreeningFlag.objects.filter(handed_over_at__isnull=True).exists()
    services._schedule_hand_over([0])  # a flag arriving after the drain started asks for a new task
    assert queued == [(), ()]
    cache.delete(services.HAND_OVER_MARK)


def test_in_process_a_submission_hands_over_its_own_flags(world, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(campaign, world.a1, critical=True)
    assert ScreeningFlag.objects.get().handed_over_at is not None
    assert Warning.objects.get(student=world.a1).level.code == "red"
