"""A mentor on a phone: their students with the overdue contact on top, then logging a contact, without sideways
scrolling. Screenshots at 390 px go to test-artifacts/."""

import datetime as dt
import os

import pytest
from django.utils import timezone

from runxin.alerts import services as alert_services
from runxin.cases.models import MentorContact
from runxin.people.models import MentorPair
from runxin.testing.browser import fits_the_screen

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def test_mentor_logs_a_contact_on_a_phone(world, page_for, live_server):
    MentorPair.objects.create(mentor=world.mentor, student=world.a1, since=timezone.localdate() - dt.timedelta(days=40))
    warning = alert_services.warning_raise_from_screening(student=world.a1, result_id="b-1", suggested_level="critical",
                                                         reasons=[], instrument_code="phq-a")
    warning.raised_at = timezone.now() - dt.timedelta(days=30)
    warning.save(update_fields=["raised_at"])
    page = page_for(world.mentor, viewport=PHONE)
    page.goto(f"{live_server.url}/cases/mentor/")
    page.wait_for_load_state("networkidle")
    items = page.locator(".work-item")
    assert items.count() == 2
    assert world.a1.name in items.first.inner_text()
    assert "overdue" in items.first.get_attribute("class")
    assert fits_the_screen(page)
    page.screenshot(path="test-artifacts/cases-my-mentees-390.png", full_page=True)

    items.first.locator("a.btn").click()
    page.wait_for_load_state("networkidle")
    assert fits_the_screen(page)
    page.check("input[name=form][value=phone]")
    page.fill("textarea[name=note]", "聊了周末的安排")
    page.screenshot(path="test-artifacts/cases-contact-new-390.png", full_page=True)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "聊了周末的安排" in page.content()
    contact = MentorContact.objects.get()
    assert (contact.student_id, contact.mentor_id, contact.form) == (world.a1.pk, world.mentor.pk, "phone")
    page.goto(f"{live_server.url}/cases/mentor/")
    first = page.locator(".work-item").first
    assert world.a1.name in first.inner_text() and "overdue" not in first.get_attribute("class")
