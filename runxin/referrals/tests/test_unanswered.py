"""A referral nobody answers does not wait silently: a green-channel one after two hours, any other after three days,
the receiving side is reminded and the district centre and the school are told — once."""

import pytest

from runxin.notify.models import Notification
from runxin.referrals import services

from .conftest import refer

pytestmark = pytest.mark.django_db


def _told(referral) -> set[int]:
    return set(Notification.objects.filter(kind="referral_unanswered", ref=f"referral:{referral.pk}")
               .values_list("recipient_id", flat=True))


def test_an_urgent_referral_without_an_answer_reaches_the_hospital_the_centre_and_the_school(w, clock):
    referral = refer(w, urgent=True)
    clock.advance(hours=1, minutes=50)
    assert services.unanswered_sweep() == {"urgent": 0, "routine": 0}
    clock.advance(minutes=15)
    assert services.unanswered_sweep() == {"urgent": 1, "routine": 0}
    told = _told(referral)
    assert {w.hospital.pk, w.district_centre.pk, w.psych.pk} <= told
    assert w.other_hospital.pk not in told
    assert Notification.objects.filter(kind="referral_unanswered", channel="sms", recipient=w.hospital).exists()
    clock.advance(hours=5)
    assert services.unanswered_sweep() == {"urgent": 0, "routine": 0}  # once


def test_a_routine_referral_waits_three_days_and_an_answered_one_is_left_alone(w, clock):
    routine = refer(w, urgent=False)
    answered = refer(w, urgent=True, student=w.b1)
    services.referral_accept(referral=answered, actor=w.hospital)
    clock.advance(days=2, hours=23)
    assert services.unanswered_sweep() == {"urgent": 0, "routine": 0}
    clock.advance(hours=2)
    assert services.unanswered_sweep() == {"urgent": 0, "routine": 1}
    assert _told(routine) and not _told(answered)
