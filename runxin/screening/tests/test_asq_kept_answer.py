"""ASQ question 5 ("thoughts of killing yourself right now?") answered "yes", then questions 1-4 changed back
to "no": the kept answer is never silently dropped. The question stays on the student's questionnaire with
their answer, and the hand-in is scored as they last answered it (flow.as_answered)."""

import pytest
from django.test import Client

from runxin.screening import flow
from runxin.screening.core.loader import load_definition
from runxin.screening.models import ResponseDraft, Result, Submission

from .helpers import notify_guardians, open_campaign, version

pytestmark = pytest.mark.django_db

ASQ = load_definition("asq")
NO = {"q1": "no", "q2": "no", "q3": "no", "q4": "no"}


def test_a_kept_answer_to_question_5_stays_asked_with_its_follow_up():
    answers = NO | {"q5": "yes"}
    asked = [i.id for i in flow.asked_items(ASQ, answers)]
    assert asked == ["q1", "q2", "q3", "q4", "q5", "q5_describe"]
    assert flow.position(ASQ, answers).item.id == "q5_describe"
    # Without a kept answer nothing changes: question 5 is asked only after a yes.
    assert [i.id for i in flow.asked_items(ASQ, NO)] == ["q1", "q2", "q3", "q4"]


@pytest.fixture
def asq_campaign(world):
    campaign = open_campaign(world, versions=[version("asq")])
    notify_guardians(world, campaign)
    return campaign


def signed_in(code: str) -> Client:
    client = Client()
    assert client.post("/screening/c/", {"code": code})["Location"] == "/screening/take/"
    return client


def test_changing_questions_1_to_4_back_to_no_keeps_the_acute_answer(world, asq_campaign, code_of):
    client = signed_in(code_of(asq_campaign, world.a1))
    client.get("/screening/take/1/")
    assert client.post("/screening/take/1/q1/", {"answer": "yes"})["Location"] == "/screening/take/1/q2/"
    for n in (2, 3, 4):
        client.post(f"/screening/take/1/q{n}/", {"answer": "no"})
    assert client.post("/screening/take/1/q5/", {"answer": "yes"})["Location"] == "/screening/take/1/q5_describe/"
    # The student goes back and changes question 1 to "no".
    client.post("/screening/take/1/q1/", {"answer": "no"})
    assert ResponseDraft.objects.get().answers == NO | {"q5": "yes"}

    # Question 5 is still on their questionnaire, with their answer shown.
    item = client.get("/screening/take/1/q5/")
    assert item.status_code == 200
    assert 'value="yes" data-item="q5" checked' in item.content.decode()
    page = client.get("/screening/take/1/all/").content.decode()
    assert 'name="shown" value="q5"' in page and 'value="yes" data-item="q5" checked' in page
    review = client.get("/screening/take/review/").content.decode()
    assert "5 of 6 questions answered" in review  # q5 counted; only the optional 5a is open

    client_id = review.split('name="client_id" value="')[1].split('"')[0]
    assert client.post("/screening/take/submit/", {"client_id": client_id})["Location"] == "/screening/take/done/"
    submission = Submission.objects.get()
    result = Result.objects.get()
    assert submission.critical is True and submission.answers["asq"]["q5"] == "yes"
    assert result.critical is True and result.risk_level == "critical"
    assert not any(f["kind"] == "ignored_answer" for f in result.score["flags"])
    # The student sees the help page, with the hotlines, not the calm thank-you.
    done = client.get("/screening/take/done/").content.decode()
    assert 'role="alert"' in done and 'href="tel:12356"' in done


def test_the_student_may_still_change_the_kept_answer_to_no(world, asq_campaign, code_of):
    client = signed_in(code_of(asq_campaign, world.a1))
    client.post("/screening/take/1/all/", {"shown": ["q1", "q2", "q3", "q4"], "item-q1": "yes", "item-q2": "no",
                                           "item-q3": "no", "item-q4": "no"})
    client.post("/screening/take/1/q5/", {"answer": "yes"})
    client.post("/screening/take/1/q1/", {"answer": "no"})
    client.post("/screening/take/1/q5/", {"answer": "no"})
    review = client.get("/screening/take/review/").content.decode()
    client_id = review.split('name="client_id" value="')[1].split('"')[0]
    client.post("/screening/take/submit/", {"client_id": client_id})
    result = Result.objects.get()
    assert result.critical is False and result.risk_level != "critical"  # "review": answered in seconds
    assert Submission.objects.get().answers["asq"] == NO | {"q5": "no"}
