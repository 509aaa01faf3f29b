"""Handing in a questionnaire: scored once, never twice, nothing lost, critical items flagged at once."""

import uuid

import pytest

from runxin.screening import services
from runxin.screening.models import CampaignTarget, ResponseDraft, Result, ScreeningFlag, Submission

from .helpers import gad7_answers, phqa_answers, target_of, version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["one statement", "transaction"])
def write_path(request, monkeypatch):
    """Every test here runs through both ways of writing a submission (PostgreSQL's single statement and
    the portable transaction that the SQLite demo uses)."""
    monkeypatch.setattr(services, "ONE_STATEMENT", request.param == "one statement")
    return request.param


def step(target, code):
    return next(s for s in services.steps_for(target) if s.code == code)


def test_submission_scores_each_instrument_with_the_campaign_version(world, campaign):
    target = target_of(campaign, world.a1)
    accepted = services.submission_accept(target=target, client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(1), "gad7": gad7_answers(2)})
    assert accepted.created and not accepted.critical
    results = {r.instrument_code: r for r in Result.objects.filter(submission_id=accepted.submission_id)}
    assert set(results) == {"phqa", "gad7"}
    assert results["phqa"].instrument_version == version("phqa")
    assert results["phqa"].total == 8 and results["gad7"].total == 14
    assert (results["phqa"].band_code, results["phqa"].risk_level) == ("mild", "none")
    assert (results["gad7"].band_code, results["gad7"].band_level, results["gad7"].risk_level) == (
        "moderate", "moderate", "moderate")
    assert ScreeningFlag.objects.get().result == results["gad7"]  # moderate is handed to the warnings app
    target.refresh_from_db()
    assert target.finished_at is not None


def test_the_same_client_id_twice_makes_one_submission(world, campaign):
    target = target_of(campaign, world.a1)
    client_id = uuid.uuid4()
    answers = {"phqa": phqa_answers(1), "gad7": gad7_answers(1)}
    first = services.submission_accept(target=target, client_id=client_id, answers=answers)
    again = services.submission_accept(target=target_of(campaign, world.a1), client_id=client_id, answers=answers)
    assert again.submission_id == first.submission_id and not again.created
    assert Submission.objects.count() == 1 and Result.objects.count() == 2


def test_a_second_device_for_the_same_student_gets_the_first_submission(world, campaign):
    target = target_of(campaign, world.a1)
    first = services.submission_accept(target=target, client_id=uuid.uuid4(), answers={"phqa": phqa_answers(0)})
    # The second device loaded the target before the first one finished: only the constraint can tell.
    stale = target_of(campaign, world.a1)
    stale.finished_at = None
    second = services.submission_accept(target=stale, client_id=uuid.uuid4(), answers={"phqa": phqa_answers(3)})
    assert second.submission_id == first.submission_id and not second.created
    assert Submission.objects.count() == 1


def test_a_client_id_cannot_be_reused_for_another_student(world, campaign):
    client_id = uuid.uuid4()
    services.submission_accept(target=target_of(campaign, world.a1), client_id=client_id, answers={"phqa": phqa_answers()})
    with pytest.raises(services.ScreeningError):
        services.submission_accept(target=target_of(campaign, world.a2), client_id=client_id,
                                   answers={"phqa": phqa_answers()})
    assert not Submission.objects.filter(target__student=world.a2).exists()


def test_answers_saved_as_given_are_kept_at_submission(world, campaign):
    target = target_of(campaign, world.a1)
    services.answer_save(target=target, step=step(target, "phqa"), answers={"q1": "LA6571-9", "q2": "LA6571-9"})
    services.answer_save(target=target, step=step(target, "phqa"), answers={"q3": "LA6570-1"})
    draft = ResponseDraft.objects.get(target=target)
    assert draft.answers == {"q1": "LA6571-9", "q2": "LA6571-9", "q3": "LA6570-1"}
    # The device sends only what it still remembers (q4 onwards); q1–q3 come from the server's drafts.
    rest = {k: v for k, v in phqa_answers(0).items() if k not in {"q1", "q2", "q3"}}
    accepted = services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                          answers={"phqa": rest, "gad7": gad7_answers(0)})
    submission = Submission.objects.get(pk=accepted.submission_id)
    assert submission.answers["phqa"]["q1"] == "LA6571-9" and submission.answers["phqa"]["q4"] == "LA6568-5"
    assert Result.objects.get(submission=submission, instrument_code="phqa").total == 8
    assert submission.elapsed["phqa"] >= 0


def test_answer_can_be_changed_and_cleared(world, campaign):
    target = target_of(campaign, world.a1)
    services.answer_save(target=target, step=step(target, "gad7"), answers={"q1": "LA6571-9"})
    services.answer_save(target=target, step=step(target, "gad7"), answers={"q1": "LA6568-5", "q2": "LA6569-3"})
    services.answer_save(target=target, step=step(target, "gad7"), answers={"q2": ""})
    assert ResponseDraft.objects.get(target=target).answers == {"q1": "LA6568-5"}
    assert CampaignTarget.objects.get(pk=target.pk).started_at is not None


def test_an_answer_that_is_not_an_option_is_refused_and_nothing_saved(world, campaign):
    target = target_of(campaign, world.a1)
    with pytest.raises(services.ScreeningError) as exc:
        services.answer_save(target=target, step=step(target, "gad7"), answers={"q1": "maybe"})
    assert "q1" in " ".join(exc.value.problems)
    assert not ResponseDraft.objects.exists()


def test_bad_answers_at_submission_name_the_problem_and_write_nothing(world, campaign):
    with pytest.raises(services.ScreeningError) as exc:
        services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                   answers={"phqa": {"q1": "LA6568-5", "q99": "x"}})
    assert any("q99" in p for p in exc.value.problems)
    with pytest.raises(services.ScreeningError):
        services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                   answers={"bdi": {"q1": "x"}})
    assert not Submission.objects.exists()


def test_a_positive_critical_item_flags_critical_whatever_the_total(world, campaign):
    accepted = services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(0, q9=1), "gad7": gad7_answers(0)})
    assert accepted.critical
    result = Result.objects.get(submission_id=accepted.submission_id, instrument_code="phqa")
    assert result.total == 1 and result.critical and result.risk_level == "critical"
    flag = ScreeningFlag.objects.get(result=result)
    assert flag.level == "critical" and flag.student == world.a1
    assert Submission.objects.get(pk=accepted.submission_id).risk_rank == 4


def test_too_fast_answers_go_for_review_never_no_risk(world, campaign):
    accepted = services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(0), "gad7": gad7_answers(0)},
                                          elapsed={"phqa": 2, "gad7": 1})
    results = Result.objects.filter(submission_id=accepted.submission_id)
    assert {r.validity for r in results} == {"needs_review"}
    assert {r.risk_level for r in results} == {"review"}
    assert ScreeningFlag.objects.filter(result__in=results, level="review").count() == 2


def test_no_risk_makes_no_flag(world, campaign):
    accepted = services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(0), "gad7": gad7_answers(0)})
    assert not ScreeningFlag.objects.filter(result__submission_id=accepted.submission_id).exists()


def test_flag_is_handed_to_the_warnings_app_once(world, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        accepted = services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                              answers={"phqa": phqa_answers(0, q9=2), "gad7": gad7_answers(0)})
    flag = ScreeningFlag.objects.get(result__submission_id=accepted.submission_id)
    assert flag.handed_over_at is not None and flag.attempts == 1
    from runxin.alerts.models import Warning

    warning = Warning.objects.get(student=world.a1)
    assert services.flag_hand_over(flag.pk) is False  # already handed over: nothing happens again
    assert Warning.objects.filter(student=world.a1).count() == 1
    assert warning.pk


def test_failed_hand_over_is_kept_and_retried_by_the_sweep(world, campaign, monkeypatch, django_capture_on_commit_callbacks):
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise RuntimeError("warnings app down")

    monkeypatch.setattr(services, "_warning_raiser", lambda: broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                   answers={"phqa": phqa_answers(0, q9=1), "gad7": gad7_answers(0)})
    flag = ScreeningFlag.objects.get()
    assert flag.handed_over_at is None and flag.attempts == 1 and "down" in flag.last_error
    assert calls[0]["suggested_level"] == "critical" and calls[0]["student"] == world.a1
    assert calls[0]["result_id"] == str(flag.result_id) and calls[0]["instrument_code"] == "phqa"
    monkeypatch.undo()
    assert services.flags_hand_over_pending() == 1
    flag.refresh_from_db()
    assert flag.handed_over_at is not None and flag.last_error == ""


def test_after_the_window_nothing_is_accepted(world, campaign):
    campaign.window_end = campaign.window_start
    campaign.status = "closed"
    campaign.save()
    with pytest.raises(services.ScreeningError):
        services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                   answers={"phqa": phqa_answers()})
    assert not Submission.objects.exists()


def test_an_overlong_answer_is_refused(world, campaign):
    target = target_of(campaign, world.a1)
    with pytest.raises(services.ScreeningError) as exc:
        services.answer_save(target=target, step=step(target, "gad7"), answers={"q1": "x" * 2001})
    assert "2000" in exc.value.message
    with pytest.raises(services.ScreeningError):
        services.submission_accept(target=target, client_id=uuid.uuid4(), answers={"gad7": {"q1": "x" * 5000}})
    assert not Submission.objects.exists()


def test_every_row_carries_the_exact_time_and_values_scored(world, campaign, monkeypatch):
    """The rows travel to PostgreSQL as JSON documents: nothing may be rounded or lost on the way (full microseconds,
    the decimal total, the student taken from the rows just written)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    moment = timezone.now().replace(microsecond=123457)
    monkeypatch.setattr(services, "_now", lambda: moment)
    target = target_of(campaign, world.a1)
    accepted = services.submission_accept(target=target, client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(2, q9=1), "gad7": gad7_answers(1)})
    submission = Submission.objects.get(pk=accepted.submission_id)
    assert submission.received_at == moment and submission.target_id == target.pk
    results = {r.instrument_code: r for r in Result.objects.filter(submission=submission)}
    assert {r.scored_at for r in results.values()} == {moment}
    assert results["phqa"].total == Decimal(17) and isinstance(results["phqa"].total, Decimal)
    assert {r.student_id for r in results.values()} == {world.a1.pk}
    flag = ScreeningFlag.objects.get(result=results["phqa"])
    assert (flag.created_at, flag.student_id, flag.level) == (moment, world.a1.pk, "critical")
    target.refresh_from_db()
    assert target.finished_at == moment and target.started_at == moment  # handed in at once: started then too
    # A student who began earlier keeps the time they began.
    other = target_of(campaign, world.a2)
    services.answer_save(target=other, step=step(other, "gad7"), answers={"q1": gad7_answers(1)["q1"]})
    began = CampaignTarget.objects.get(pk=other.pk).started_at
    later = moment + dt.timedelta(minutes=5)
    monkeypatch.setattr(services, "_now", lambda: later)
    services.submission_accept(target=target_of(campaign, world.a2), client_id=uuid.uuid4(),
                               answers={"phqa": phqa_answers(0), "gad7": gad7_answers(0)})
    other.refresh_from_db()
    assert (other.started_at, other.finished_at) == (began, later)


def test_a_saved_answer_keeps_the_first_start_and_returns_the_row_as_stored(world, campaign, monkeypatch):
    """Saving merges into the stored draft (a cleared answer goes, the others stay, the new ones win), keeps the
    time the draft and the questionnaire were begun, and hands back the row as the database has it."""
    import datetime as dt

    from django.utils import timezone

    first = timezone.now().replace(microsecond=111)
    monkeypatch.setattr(services, "_now", lambda: first)
    target = target_of(campaign, world.a1)
    services.answer_save(target=target, step=step(target, "gad7"), answers={"q1": "LA6571-9", "q3": "LA6570-1"})
    later = first + dt.timedelta(seconds=40)
    monkeypatch.setattr(services, "_now", lambda: later)
    again = target_of(campaign, world.a1)
    returned = services.answer_save(target=again, step=step(again, "gad7"), answers={"q1": "", "q2": "LA6569-3"})
    stored = ResponseDraft.objects.get(target=target)
    assert stored.answers == {"q2": "LA6569-3", "q3": "LA6570-1"}
    assert (stored.started_at, stored.updated_at) == (first, later)
    assert (returned.pk, returned.answers, returned.started_at, returned.updated_at) == (
        stored.pk, stored.answers, stored.started_at, stored.updated_at)
    assert CampaignTarget.objects.get(pk=target.pk).started_at == first


def test_the_documents_take_what_the_standard_encoder_took():
    """The rows go to PostgreSQL as JSON written by orjson; what the standard encoder accepted before (a datetime or
    UUID subclass, a key that is not a string) is written the same way, not refused."""
    import datetime as dt
    import json

    from runxin.screening.submission_store import _document

    class Moment(dt.datetime):  # what a frozen clock may hand out
        pass

    class Id(uuid.UUID):
        pass

    moment = Moment(2031, 11, 20, 2, 0, 0, 123457, tzinfo=dt.UTC)
    client = Id("6a1f0000-0000-4000-8000-000000000001")
    written = json.loads(_document(Submission, {"received_at": moment, "client_id": client, "elapsed": {7: 30}}))
    assert written == {"received_at": "2031-11-20T02:00:00.123457+00:00",
                       "client_id": "6a1f0000-0000-4000-8000-000000000001", "elapsed": {"7": 30}}
