"""Notifications: recorded once, delivered once (claimed before sending), failures kept, the inbox is one's own."""

import logging

import pytest
from django.core import mail
from django.urls import reverse

from runxin.notify import services
from runxin.notify.adapters import DeliveryError
from runxin.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_recorded_once_per_recipient_and_channel(world):
    world.psych.email = "p@example.cn"
    world.psych.save()
    args = {"recipient_ids": [world.psych.pk, world.leader.pk, world.psych.pk], "kind": "test", "subject": "Hello",
            "channels": ("inbox", "email"), "dedupe": "event:1"}
    assert services.notify(**args) == 4
    assert services.notify(**args) == 0
    assert Notification.objects.count() == 4
    inbox = Notification.objects.get(recipient=world.psych, channel="inbox")
    assert inbox.sent_at is not None and inbox.status == "sent"


def test_delivery_claims_each_row_once(world):
    world.psych.email = "p@example.cn"
    world.psych.save()
    services.notify(recipient_ids=[world.psych.pk], kind="test", subject="Hi", channels=("email",), dedupe="e:2")
    assert services.deliver_pending() == {"sent": 1, "failed": 0, "retry": 0, "more": 0}
    assert services.deliver_pending() == {"sent": 0, "failed": 0, "retry": 0, "more": 0}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["p@example.cn"]


def test_a_row_claimed_elsewhere_is_not_sent_again(world):
    world.psych.email = "p@example.cn"
    world.psych.save()
    services.notify(recipient_ids=[world.psych.pk], kind="test", subject="Hi", channels=("email",), dedupe="e:3")
    from django.utils import timezone

    Notification.objects.update(claimed_at=timezone.now())  # another worker holds it
    services.deliver_pending()
    assert mail.outbox == []


def test_missing_address_fails_for_good_and_is_recorded(world):
    services.notify(recipient_ids=[world.leader.pk], kind="test", subject="Hi", channels=("email", "sms"),
                    dedupe="e:4")
    assert services.deliver_pending()["failed"] == 2
    errors = set(Notification.objects.values_list("error", flat=True))
    assert errors == {"recipient has no e-mail address", "recipient has no phone number"}


def test_transient_failures_are_retried_then_given_up(world, settings):
    settings.NOTIFY_ADAPTERS = {"sms": "runxin.notify.tests.test_delivery.FlakyAdapter"}
    world.leader.phone = "13900000000"
    world.leader.save()
    services.notify(recipient_ids=[world.leader.pk], kind="test", subject="Hi", channels=("sms",), dedupe="e:5")
    assert services.deliver_pending()["retry"] == 1
    assert services.deliver_pending()["retry"] == 1
    assert services.deliver_pending()["failed"] == 1
    row = Notification.objects.get()
    assert (row.attempts, row.status, row.error) == (3, "failed", "gateway busy")


class FlakyAdapter:
    def send(self, notification):
        raise DeliveryError("gateway busy")


def test_sms_and_wechat_go_through_the_logging_adapter(world, caplog):
    world.leader.phone = "13900000000"
    world.leader.save()
    services.notify(recipient_ids=[world.leader.pk], kind="test", subject="红色预警", channels=("sms", "wechat"),
                    dedupe="e:6")
    with caplog.at_level(logging.INFO, logger="runxin.notify"):
        assert services.deliver_pending()["sent"] == 2
    assert "sms to 13900000000" in caplog.text and "wechat to leader" in caplog.text


def test_inbox_shows_own_notifications_and_marks_read(world, client_for):
    services.notify(recipient_ids=[world.psych.pk], kind="test", subject="For psych", url="/alerts/", dedupe="e:7")
    services.notify(recipient_ids=[world.leader.pk], kind="test", subject="For leader", dedupe="e:8")
    client = client_for(world.psych)
    body = client.get(reverse("notify:inbox")).content.decode()
    assert "For psych" in body and "For leader" not in body and 'id="unread-count">1<' in body
    mine = Notification.objects.get(recipient=world.psych)
    theirs = Notification.objects.get(recipient=world.leader)
    response = client.post(reverse("notify:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    client.post(reverse("notify:open", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_clears_ones_own_inbox_only(world, client_for):
    for i in range(3):
        services.notify(recipient_ids=[world.psych.pk], kind="test", subject=f"For psych {i}", dedupe=f"all:{i}")
    services.notify(recipient_ids=[world.leader.pk], kind="test", subject="For leader", dedupe="all:leader")
    client = client_for(world.psych)
    assert 'id="unread-count">3<' in client.get(reverse("notify:inbox")).content.decode()
    response = client.post(reverse("notify:read_all"))
    assert response.status_code == 302 and response["Location"] == reverse("notify:inbox")
    # What the teacher sees next: nothing unread, and every notification still there to read again.
    after = client.get(reverse("notify:inbox")).content.decode()
    assert 'id="unread-count"' not in after and reverse("notify:read_all") not in after
    assert all(f"For psych {i}" in after for i in range(3))
    assert client.get(reverse("notify:inbox"), {"unread": "1"}).context["page"].rows == []
    assert not Notification.objects.filter(recipient=world.psych, read_at__isnull=True).exists()
    # The colleague's notification stays unread.
    assert Notification.objects.get(recipient=world.leader).read_at is None


def test_inbox_is_refused_to_people_without_a_staff_role(world, client_for):
    for user in (world.outsider, world.student_user, world.parent, world.committee):
        assert client_for(user).get(reverse("notify:inbox")).status_code == 403


def test_inbox_query_count(world, client_for, django_assert_max_num_queries):
    for i in range(60):
        services.notify(recipient_ids=[world.psych.pk], kind="test", subject=f"n{i}", dedupe=f"q:{i}")
    client = client_for(world.psych)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("notify:inbox"))
    assert response.status_code == 200
    # The page holds a page of rows, newest first, and says how many are unread.
    body = response.content.decode()
    subjects = [row.subject for row in response.context["page"].rows]
    assert subjects == [f"n{i}" for i in range(59, 9, -1)]  # the newest fifty
    assert all(f">{subject}<" in body for subject in subjects)
    assert 'id="unread-count">60<' in body


def test_a_long_queue_is_delivered_in_batches(world, monkeypatch):
    world.psych.email = "p@example.cn"
    world.psych.save()
    for i in range(7):
        services.notify(recipient_ids=[world.psych.pk], kind="test", subject=f"n{i}", channels=("email",),
                        dedupe=f"b:{i}")
    original = services.deliver_pending
    monkeypatch.setattr(services, "deliver_pending", lambda limit=3: original(limit=3))
    assert services.deliver_all() == {"sent": 7, "failed": 0, "retry": 0, "more": 0}
    assert len(mail.outbox) == 7
