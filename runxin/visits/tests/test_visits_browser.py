"""A planned home visit is cancelled only when the head teacher confirms: one tap used to cancel it for good."""

import os

import pytest
from django.urls import reverse
from django.utils import timezone

from runxin.visits import services
from runxin.visits.models import FamilyContact

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_cancelling_a_planned_visit_asks_first(world, page_for, live_server):
    planned = services.contact_plan(actor=world.head, student=world.a1, kind="home_visit",
                                    planned_on=timezone.localdate())
    page = page_for(world.head, viewport={"width": 390, "height": 844})
    page.goto(live_server.url + reverse("visits:detail", args=[planned.pk]))
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("#cancel-planned button[type=submit]")
    page.wait_for_timeout(300)
    assert len(asked) == 1 and FamilyContact.objects.get(pk=planned.pk).status == "planned"
    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        page.click("#cancel-planned button[type=submit]")
    assert len(asked) == 2 and FamilyContact.objects.get(pk=planned.pk).status == "cancelled"
