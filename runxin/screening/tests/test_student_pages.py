"""The student's questionnaire over HTTP: code sign-in, one item at a time, resume, hand in, thank-you and help."""

import json
import uuid

import pytest
from django.test import Client

from runxin.screening import views_student
from runxin.screening.models import CampaignTarget, ResponseDraft, Result, Submission

from .helpers import FREQ, gad7_answers, phqa_answers

pytestmark = pytest.mark.django_db


def signed_in(code: str) -> Client:
    client = Client()
    response = client.post("/screening/c/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/screening/take/"
    return client


def walk_to_first_question(client) -> str:
    intro = client.get("/screening/take/")
    assert intro.status_code == 302 and intro["Location"] == "/screening/take/1/"
    assert client.get("/screening/take/1/").status_code == 200
    return "/screening/take/1/q1/"


def test_code_page_is_public_and_asks_for_the_code(client):
    response = client.get("/screening/c/")
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_qr_landing_fills_in_the_code_and_changes_nothing(world, campaign, client, code_of):
    code = code_of(campaign, world.a1)
    response = client.get(f"/screening/c/{code.lower()}/")
    assert response.status_code == 200 and f'value="{code}"' in response.content.decode()
    assert views_student.PASS_COOKIE not in client.cookies


def test_a_wrong_code_says_so_and_too_many_are_refused(world, campaign, client, monkeypatch):
    response = client.post("/screening/c/", {"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 400
    assert "ZZZZ-ZZZZ" in response.content.decode()  # what was typed stays in the box
    monkeypatch.setattr(views_student, "CODE_FAILURES_ALLOWED", 2)
    client.post("/screening/c/", {"code": "short"})
    assert client.post("/screening/c/", {"code": "ZZZZ-ZZZZ"}).status_code == 429


def test_the_code_works_with_spaces_dashes_and_small_letters(world, campaign, code_of):
    code = code_of(campaign, world.a1)
    signed_in(f" {code[:4].lower()}-{code[4:]} ")


def test_a_code_opens_only_its_campaign_not_the_platform(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    assert client.get("/students/").status_code == 302  # still an anonymous visitor to the platform
    assert client.get(f"/screening/campaigns/{campaign.pk}/").status_code == 302


def test_without_a_code_the_questionnaire_asks_for_it(client):
    response = client.get("/screening/take/1/q1/")
    assert response.status_code == 403 and 'name="code"' in response.content.decode()


def test_answer_one_at_a_time_then_resume_in_a_new_browser(world, campaign, code_of):
    code = code_of(campaign, world.a1)
    client = signed_in(code)
    url = walk_to_first_question(client)
    page = client.get(url).content.decode()
    assert 'type="radio"' in page and "<legend" in page and "1 / 13" in page
    for n in range(1, 5):
        response = client.post(f"/screening/take/1/q{n}/", {"answer": FREQ[1]})
        assert response.status_code == 302 and response["Location"] == f"/screening/take/1/q{n + 1}/"
    assert ResponseDraft.objects.get(target__student=world.a1).answers == {f"q{n}": FREQ[1] for n in range(1, 5)}
    # The browser closes; the student types the code again and lands on question 5.
    again = signed_in(code)
    assert again.get("/screening/take/")["Location"] == "/screening/take/1/q5/"
    # Back shows the earlier answer checked.
    body = again.get("/screening/take/1/q4/").content.decode()
    assert f'value="{FREQ[1]}" data-item="q4" checked' in body


def test_nothing_chosen_is_a_clear_error_and_skip_moves_on(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    walk_to_first_question(client)
    response = client.post("/screening/take/1/q1/", {"answer": ""})
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    response = client.post("/screening/take/1/q1/", {"skip": "1"})
    assert response["Location"] == "/screening/take/1/q2/"
    assert not ResponseDraft.objects.exists()


def test_a_page_at_a_time_works_without_javascript(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    page = client.get("/screening/take/2/all/")
    assert page.status_code == 200
    shown = [item for item in gad7_answers(2)]
    data = {"shown": shown} | {f"item-{k}": v for k, v in gad7_answers(2).items()}
    response = client.post("/screening/take/2/all/", data)
    assert response.status_code == 302 and response["Location"] == "/screening/take/review/"
    assert ResponseDraft.objects.get(target__student=world.a1).answers == gad7_answers(2)


def test_hand_in_without_javascript_then_the_calm_thank_you(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    for code, answers in (("1", phqa_answers(0)), ("2", gad7_answers(0))):
        data = {"shown": list(answers)} | {f"item-{k}": v for k, v in answers.items()}
        client.post(f"/screening/take/{code}/all/", data)
    review = client.get("/screening/take/review/").content.decode()
    client_id = review.split('name="client_id" value="')[1].split('"')[0]
    response = client.post("/screening/take/submit/", {"client_id": client_id})
    assert response.status_code == 302 and response["Location"] == "/screening/take/done/"
    done = client.get("/screening/take/done/").content.decode()
    assert "12356" in done and "精神卫生法" in done and 'role="alert"' not in done
    # A double tap of the same form is the same submission.
    client.post("/screening/take/submit/", {"client_id": client_id})
    assert Submission.objects.count() == 1 and Result.objects.count() == 2
    # The code now leads to the thank-you page, never to the questions again.
    assert signed_in(code_of(campaign, world.a1)).get("/screening/take/")["Location"] == "/screening/take/done/"
    assert client.get("/screening/take/1/q1/")["Location"] == "/screening/take/done/"


def test_json_submission_is_idempotent_and_critical_shows_help(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    body = json.dumps({"client_id": str(uuid.uuid4()),
                       "answers": {"phqa": phqa_answers(0, q9=2), "gad7": gad7_answers(0)}})
    first = client.post("/screening/take/submit/", body, content_type="application/json",
                        headers={"Accept": "application/json"})
    assert first.status_code == 201 and first.json() == {"ok": True, "created": True, "next": "/screening/take/done/"}
    again = client.post("/screening/take/submit/", body, content_type="application/json",
                        headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.json()["created"] is False
    assert Submission.objects.count() == 1
    done = client.get("/screening/take/done/").content.decode()
    assert 'role="alert"' in done and 'href="tel:12356"' in done and 'href="tel:12355"' in done
    assert "精神卫生法" in done


def test_json_errors_are_specific(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    response = client.post("/screening/take/submit/", json.dumps({"client_id": str(uuid.uuid4()),
                                                                  "answers": {"gad7": {"q1": "often"}}}),
                           content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False and any("often" in p for p in data["problems"])
    response = client.post("/screening/take/submit/", "{not json", content_type="application/json",
                           headers={"Accept": "application/json"})
    assert response.status_code == 400 and not Submission.objects.exists()


def test_hotlines_come_from_the_setting(world, campaign, code_of, settings):
    settings.HELP_HOTLINES = [("96111", "常州心理援助热线")]
    client = signed_in(code_of(campaign, world.a1))
    client.post("/screening/take/submit/", json.dumps({"client_id": str(uuid.uuid4()),
                                                       "answers": {"phqa": phqa_answers(0, q9=1)}}),
                content_type="application/json", headers={"Accept": "application/json"})
    done = client.get("/screening/take/done/").content.decode()
    assert "96111" in done and "12356" not in done


def test_leaving_forgets_the_pass_but_keeps_the_answers(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    walk_to_first_question(client)
    client.post("/screening/take/1/q1/", {"answer": FREQ[2]})
    assert client.post("/screening/take/leave/").status_code == 200
    assert client.get("/screening/take/1/q2/").status_code == 403
    assert ResponseDraft.objects.get().answers == {"q1": FREQ[2]}


def test_a_closed_campaign_code_no_longer_works(world, campaign, code_of):
    code = code_of(campaign, world.a1)
    campaign.status = "closed"
    campaign.save()
    response = Client().post("/screening/c/", {"code": code})
    assert response.status_code == 400


def test_a_student_account_takes_its_own_screening(world, campaign, client_for):
    client = client_for(world.student_user)
    page = client.get("/screening/mine/").content.decode()
    assert campaign.name in page
    mine = CampaignTarget.objects.get(campaign=campaign, student=world.a1)
    other = CampaignTarget.objects.get(campaign=campaign, student=world.a2)
    assert client.post(f"/screening/mine/{other.pk}/start/").status_code == 404
    assert client.post(f"/screening/mine/{mine.pk}/start/")["Location"] == "/screening/take/"
    assert client.get("/screening/take/")["Location"] == "/screening/take/1/"
    client.post("/screening/take/1/q1/", {"answer": FREQ[0]})
    assert ResponseDraft.objects.get(target=mine).answers == {"q1": FREQ[0]}


@pytest.mark.parametrize("who", ["outsider", "psych", "head", "parent"])
def test_only_students_have_a_screening_list(world, client_for, who):
    assert client_for(getattr(world, who)).get("/screening/mine/").status_code == 403


def test_the_prepared_pass_lookup_matches_the_orm(world, campaign):
    from runxin.screening import services
    from runxin.screening.models import ConsentRecord

    def fields(obj):
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    orm = CampaignTarget.objects.select_related("campaign", "student", "consent").get(campaign=campaign,
                                                                                       student=world.a1)
    fast = services.target_for_pass(orm.pk)
    assert fields(fast) == fields(orm)
    assert fields(fast.campaign) == fields(orm.campaign) and isinstance(fast.campaign.target_grades, list)
    assert fields(fast.student) == fields(orm.student)
    assert fields(fast.consent) == fields(orm.consent)
    ConsentRecord.objects.filter(target__campaign=campaign, target__student=world.b1).delete()
    without = services.target_for_pass(CampaignTarget.objects.get(campaign=campaign, student=world.b1).pk)
    with pytest.raises(ConsentRecord.DoesNotExist):
        without.consent  # noqa: B018
    assert services.gate_for(without).status == "wait_guardian"
    assert services.target_for_pass(10**9) is None


@pytest.mark.parametrize("body", ["[" * 100_000, '{"client_id": "x", "answers": ' + "1" * 5000 + "}"])
def test_a_submission_nested_too_deep_or_with_a_huge_number_is_a_400(world, campaign, code_of, body):
    client = signed_in(code_of(campaign, world.a1))
    response = client.post("/screening/take/submit/", body, content_type="application/json",
                           headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "The submission is not valid JSON."
    # The no-JavaScript form's copy of the answers is only a safety net: a bad one is ignored, drafts count.
    review = client.get("/screening/take/review/").content.decode()
    client_id = review.split('name="client_id" value="')[1].split('"')[0]
    response = client.post("/screening/take/submit/", {"client_id": client_id, "answers": body})
    assert response.status_code == 302 and Submission.objects.get().answers == {"phqa": {}, "gad7": {}}
