"""Issue 9 item 11: referral reasons, step reasons and follow-up notes are clinical. Only roles holding
STUDENT_CLINICAL for the student read them; a reporter still reads what they typed into their own report."""

import pytest
from django.urls import reverse
from django.utils import translation

from runxin.alerts import intake, services
from runxin.alerts.models import Warning

Source = Warning.Source

pytestmark = pytest.mark.django_db

REPORT = "Caller says the boy has stopped eating HOTLINE-OWN-TEXT"
CLINICAL = ["ACK-NOTE-1", "ASSESS-REASON-2", "REFERRAL-REASON-3", "VISIT-NOTE-4"]
WITHHELD = "Only mental-health professionals can read this."


@pytest.fixture
def case(world):
    warning = intake.warning_report(actor=world.hotline, student=world.a1, source=Source.HOTLINE, summary=REPORT)
    warning = services.warning_acknowledge(warning=warning, actor=world.psych, reason=CLINICAL[0])
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=True, reason=CLINICAL[1])
    warning = services.warning_record_referral(warning=warning, actor=world.psych, reason=CLINICAL[2])
    return services.warning_record_visit(warning=warning, actor=world.psych, note=CLINICAL[3])


def _page(client, warning) -> str:
    with translation.override("en"):
        response = client.get(reverse("alerts:detail", args=[warning.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["hotline", "head"])
def test_non_clinical_roles_see_the_steps_without_their_reasons_or_notes(world, client_for, case, who):
    body = _page(client_for(getattr(world, who)), case)
    for text in CLINICAL:
        assert text not in body, text
    assert WITHHELD in body
    assert 'data-kind="referred"' in body and 'data-kind="follow_up_done"' in body  # the steps themselves


def test_the_hotline_still_reads_its_own_report(world, client_for, case):
    assert "HOTLINE-OWN-TEXT" in _page(client_for(world.hotline), case)
    assert "HOTLINE-OWN-TEXT" not in _page(client_for(world.head), case)


def test_psychology_teacher_reads_every_reason_and_note(world, client_for, case):
    body = _page(client_for(world.psych), case)
    for text in CLINICAL + ["HOTLINE-OWN-TEXT"]:
        assert text in body, text
    assert WITHHELD not in body
