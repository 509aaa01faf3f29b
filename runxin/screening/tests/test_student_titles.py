"""Words for students are written for them: each shipped instrument has a neutral title for the person
answering (never 患者, never a clinical name), student wording (你, 学习 — not 您, 工作), and no page a
student sees shows a score band ("Minimal depression") or a clinical label."""

import json
import uuid

import pytest
from django.test import Client

from runxin.screening import services
from runxin.screening.core.loader import list_shipped, load_definition
from runxin.screening.models import Result

from .helpers import gad7_answers, notify_guardians, open_campaign, phqa_answers, version

CLINICAL = ("患者", "量表", "抑郁", "焦虑", "Patient", "Disorder", "Depression", "PHQ", "GAD", "ASQ")


@pytest.mark.parametrize("code", list_shipped())
def test_every_shipped_instrument_has_a_neutral_title_for_the_person_answering(code):
    definition = load_definition(code)
    assert set(definition.respondent_title) == {"zh-Hans", "en"}
    for title in definition.respondent_title.values():
        assert not any(word.lower() in title.lower() for word in CLINICAL), title
    if definition.respondent == "student":
        texts = [definition.instructions.get("zh-Hans", "")] + [i.text["zh-Hans"] for i in definition.items]
        assert not any("您" in t or "工作" in t for t in texts)


def test_the_title_survives_the_json_round_trip():
    definition = load_definition("gad7")
    assert definition.to_dict()["respondent_title"] == {"zh-Hans": "情绪自评", "en": "How you have been feeling"}
    data = definition.to_dict()
    del data["respondent_title"]  # optional: older definitions have none
    assert services.parse_definition(data).respondent_title == {}


pytestmark_db = pytest.mark.django_db


def chinese_student(code: str) -> Client:
    client = Client(headers={"Accept-Language": "zh-hans"})
    assert client.post("/screening/c/", {"code": code})["Location"] == "/screening/take/"
    return client


@pytestmark_db
def test_the_questionnaire_in_chinese_shows_student_titles_and_student_wording(world, code_of):
    campaign = open_campaign(world, versions=[version("phq9"), version("gad7")])
    notify_guardians(world, campaign)
    client = chinese_student(code_of(campaign, world.a1))
    pages = [client.get(url).content.decode() for url in (
        "/screening/take/1/", "/screening/take/1/q1/", "/screening/take/1/all/", "/screening/take/2/all/",
        "/screening/take/2/q8/", "/screening/take/review/")]
    assert "心情小调查" in pages[0] and "心情小调查" in pages[1] and "情绪自评" in pages[3]
    assert "你受到以下任何问题所困扰" in pages[2]
    assert "这些问题在你学习、处理家里的事情" in pages[4]
    for page in pages:
        for word in ("患者", "量表", "您", "工作", "Patient Health", "GAD-7", "PHQ-9"):
            assert word not in page
    assert "心情小调查" in pages[5] and "情绪自评" in pages[5]


@pytestmark_db
def test_the_thank_you_page_shows_no_band_or_score(world, code_of):
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    client = chinese_student(code_of(campaign, world.a1))
    client.post("/screening/take/submit/", json.dumps({"client_id": str(uuid.uuid4()), "answers": {
        "phqa": phqa_answers(3, q9=3), "gad7": gad7_answers(3)}}), content_type="application/json",
        headers={"Accept": "application/json"})
    result = Result.objects.get(instrument_code="phqa")
    band = result.score["total"]["band"]["label"]
    assert result.band_code == "severe" and band["en"] == "Severe depression"  # the staff side has the band …
    done = client.get("/screening/take/done/").content.decode()
    # … the student sees a careful message and help, never a band, a total or a clinical label.
    assert 'role="alert"' in done and 'href="tel:12356"' in done
    for word in (band["en"], band["zh-Hans"], "severe", "抑郁", "焦虑", "Minimal", str(result.total), "患者", "PHQ"):
        assert word not in done


@pytestmark_db
def test_my_screenings_lists_the_neutral_titles(world, client_for):
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    client = client_for(world.student_user)
    page = client.get("/screening/mine/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert campaign.name in page and "心情小调查" in page and "情绪自评" in page
    assert "患者" not in page and "PHQ" not in page and "GAD" not in page


@pytestmark_db
def test_an_uploaded_instrument_without_a_student_title_is_just_a_questionnaire(world, code_of):
    data = load_definition("gad7").to_dict() | {"code": "anxiety-upload"}
    del data["respondent_title"]
    upload = services.instrument_upload(user=world.city_admin, text=json.dumps(data, ensure_ascii=False))
    services.instrument_publish(user=world.city_admin, version=upload.version)
    campaign = open_campaign(world, versions=[version("phqa"), upload.version])
    notify_guardians(world, campaign)
    client = Client()
    client.post("/screening/c/", {"code": code_of(campaign, world.a1)})
    page = client.get("/screening/take/2/").content.decode()
    assert "Questionnaire 2" in page and "Generalized Anxiety" not in page


@pytestmark_db
def test_the_guardian_sees_the_neutral_titles(world, client):
    campaign = open_campaign(world, versions=[version("phq9"), version("gad7")])
    targets = services.consent_links_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    page = client.get(f"/screening/consent/{targets[0].consent.token}/",
                      headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "心情小调查" in page and "情绪自评" in page and "患者" not in page
