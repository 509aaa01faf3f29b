"""How long a student took is kept and shown in whole seconds ("Completed in 12 s"), never 12.3457."""

import datetime as dt
import uuid

import pytest

from runxin.screening import services
from runxin.screening.models import ResponseDraft, Result, Submission

from .helpers import gad7_answers, phqa_answers, target_of

pytestmark = pytest.mark.django_db


def test_the_time_taken_is_whole_seconds_in_the_submission_and_the_result(world, campaign):
    target = target_of(campaign, world.a1)
    step = services.steps_for(target)[0]
    services.answer_save(target=target, step=step, answers=phqa_answers(0))
    draft = ResponseDraft.objects.get(target=target)
    ResponseDraft.objects.filter(pk=draft.pk).update(started_at=draft.updated_at - dt.timedelta(seconds=12.345678))
    services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                               elapsed={"gad7": 95.123456}, answers={"gad7": gad7_answers(0)})
    assert Submission.objects.get().elapsed == {"phqa": 12, "gad7": 95}
    phqa = Result.objects.get(instrument_code="phqa")
    too_fast = [f for f in phqa.score["flags"] if f["kind"] == "too_fast"]
    assert too_fast and "Completed in 12 s" in too_fast[0]["message"]["en"]
    assert "用时 12 秒" in too_fast[0]["message"]["zh-Hans"] and "12.3" not in str(phqa.score)
    assert phqa.score["elapsed_seconds"] == 12


def test_rounding_down_keeps_the_too_fast_decision(world, campaign):
    target = target_of(campaign, world.a1)
    services.submission_accept(target=target, client_id=uuid.uuid4(), elapsed={"gad7": 7.999},
                               answers={"gad7": gad7_answers(0)})
    gad7 = Result.objects.get(instrument_code="gad7")  # 8 items answered, at least 1 s each: 7.999 s is too fast
    assert any(f["kind"] == "too_fast" for f in gad7.score["flags"])
