"""Help lines on every page a student (or guardian) sees come from the one setting, help.hotlines()
(settings.HELP_HOTLINES): no template writes a number in."""

import json
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from runxin.screening import services

from .helpers import gad7_answers, open_campaign, phqa_answers

pytestmark = pytest.mark.django_db

TEMPLATES = Path(django_settings.BASE_DIR) / "templates" / "screening"


@pytest.fixture
def regional(settings):
    settings.HELP_HOTLINES = [("96111", "常州心理援助热线")]
    settings.HELP_EMERGENCY_NUMBERS = ["999"]


def assert_regional(page: str, where: str) -> None:
    assert 'href="tel:96111"' in page, where
    for default in ("12356", "12355"):
        assert default not in page, where


def test_every_student_page_shows_the_regions_help_lines(world, campaign, code_of, client_for, regional):
    client = Client()
    assert_regional(client.get("/screening/c/").content.decode(), "code")
    client.post("/screening/c/", {"code": code_of(campaign, world.a1)})
    for url in ("/screening/take/1/", "/screening/take/1/q1/", "/screening/take/1/all/", "/screening/take/review/"):
        assert_regional(client.get(url).content.decode(), url)
    client.post("/screening/take/submit/", json.dumps({"client_id": str(uuid.uuid4()), "answers": {
        "phqa": phqa_answers(0, q9=2), "gad7": gad7_answers(0)}}), content_type="application/json")
    done = client.get("/screening/take/done/").content.decode()
    assert_regional(done, "done")
    assert "call 999" in done and "110" not in done and "120" not in done
    assert_regional(client.post("/screening/take/leave/").content.decode(), "left")
    assert_regional(client_for(world.student_user).get("/screening/mine/").content.decode(), "mine")
    token = services.consent_links_for_class(user=world.psych, campaign=campaign, school_class=world.class1)[0]
    assert_regional(Client().get(f"/screening/consent/{token.consent.token}/").content.decode(), "guardian")


def test_the_consent_gate_page_shows_them_too(world, code_of, regional):
    campaign = open_campaign(world)  # guardians not notified yet: the student waits
    client = Client()
    client.post("/screening/c/", {"code": code_of(campaign, world.a1)})
    page = client.get("/screening/take/consent/")
    assert page.status_code == 200
    assert_regional(page.content.decode(), "consent")


def test_no_template_of_the_student_pages_writes_a_number_in():
    paths = [*TEMPLATES.glob("take/*.html"), TEMPLATES / "guardian_consent.html", TEMPLATES / "_hotlines.html",
             TEMPLATES / "_not_a_diagnosis.html"]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for number in ("12356", "12355", "110", "120", "96111"):
            assert number not in text, f"{path.name} writes {number}"
