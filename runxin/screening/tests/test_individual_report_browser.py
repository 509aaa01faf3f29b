"""The individual report in a browser: the psychology teacher opens the professional report from the result page
(history chart drawn), previews the careful version and shares it with the parents; the parent, on a phone,
finds it on the family page and reads it: help lines first (a critical item was positive), nothing wider than the
screen, a PDF to download. Screenshots in test-artifacts/."""

import datetime as dt
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from runxin.screening import services
from runxin.screening.models import ReportShare, Submission

from .helpers import gad7_answers, notify_guardians, open_campaign, phqa_answers, target_of

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

ARTIFACTS = Path("test-artifacts")
PHONE = {"width": 390, "height": 844}


def hand_in(campaign, student, phqa, q9=0) -> Submission:
    accepted = services.submission_accept(target=target_of(campaign, student), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(phqa, q9=q9), "gad7": gad7_answers(1)})
    return Submission.objects.get(pk=accepted.submission_id)


def test_preview_share_and_the_parent_reads_it_on_a_phone(world, page_for, live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    earlier = open_campaign(world, name="2026 春季普测", window_start=timezone.localdate() - dt.timedelta(days=1))
    notify_guardians(world, earlier)
    hand_in(earlier, world.a1, phqa=0)
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    submission = hand_in(campaign, world.a1, phqa=1, q9=1)

    # The psychology teacher: result page → professional report (the history drawn as a chart) → preview → share.
    page = page_for(world.psych)
    page.goto(f"{live_server.url}/screening/results/{submission.pk}/")
    page.click(f"a[href='/screening/results/{submission.pk}/report/']")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/screening/results/{submission.pk}/report/")
    page.wait_for_function("document.getElementById('history-phqa') && "
                           "window.Chart && Chart.getChart(document.getElementById('history-phqa'))")
    assert page.locator("ul.critical-items li").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "individual-professional.png"), full_page=True)

    page.click(f"a[href='/screening/results/{submission.pk}/feedback/']")
    page.wait_for_load_state("networkidle")
    assert page.locator(".careful-preview .help-now").count() == 1  # the urgent notice, as the family will see it
    assert page.locator(".share-state li[data-audience='parents'] form").count() == 0  # not shared yet
    page.screenshot(path=str(ARTIFACTS / "individual-preview.png"), full_page=True)
    page.check("input[name=audience][value=parents]")
    page.click(".share-panel form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".share-state li[data-audience='parents'] form").count() == 1  # a withdraw button now
    assert ReportShare.objects.filter(audience="parents", withdrawn_at__isnull=True, shared_by=world.psych).exists()

    # The parent, on a phone: the family page lists it; the report reads in one column with the help lines first.
    phone = page_for(world.parent, viewport=PHONE)
    phone.goto(f"{live_server.url}/family/")
    link = phone.locator(f"a[href='/screening/family/reports/{submission.pk}/']")
    assert link.count() == 1
    link.click()
    phone.wait_for_load_state("networkidle")
    assert "张一" in phone.locator(".careful-who").inner_text()
    urgent = phone.locator(".careful .help-now").bounding_box()
    strengths = phone.locator(".careful .careful-strengths").bounding_box()
    assert urgent["y"] < strengths["y"]
    assert phone.locator(".careful .help-now a[href^='tel:']").count() >= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator(f"a[href='/screening/family/reports/{submission.pk}.pdf']").count() == 1
    body = phone.locator("main").inner_text()
    total = int(submission.results.get(instrument_code="phqa").total)  # 9: never shown to the family
    assert "PHQ" not in body and f" {total} " not in f" {body} "
    phone.screenshot(path=str(ARTIFACTS / "individual-parent-phone.png"), full_page=True)
