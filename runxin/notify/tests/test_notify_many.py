"""notify_many: the bulk writer of notifications builds the same keys, refs and links as notify(), from SQL or a
list, set-based; twice is once; a cap per person keeps the most important; outside channels are delivered."""

import pytest
from django.core import mail
from django.db import connection

from runxin.notify import services
from runxin.notify.models import Notification

pytestmark = pytest.mark.django_db

PAIRS = "SELECT id AS recipient_id, %s AS object_id, %s AS severity, 'Y' AS place FROM accounts_user WHERE id IN ({})"


def pairs_sql(users, object_id, severity=1):
    return PAIRS.format(", ".join("%s" for _ in users)), [object_id, severity, *[u.pk for u in users]]


def many(source, params=(), **kwargs):
    args = {"kind": "warning.escalated", "subject": "Red #%(object_id)s · %(place)s", "body": "100%% sure",
            "about": "warning", "event": "escalated:1", "url_name": "alerts:detail", "columns": ("severity", "place")}
    return services.notify_many(source=source, params=params, **{**args, **kwargs})


@pytest.mark.parametrize("form", ["sql", "list"])
def test_rows_carry_notifys_own_key_ref_and_link(world, form):
    if form == "sql":
        sql, params = pairs_sql([world.psych, world.leader], 42)
        added = many(sql, params, channels=("inbox", "email"))
    else:
        added = many([{"recipient_id": u.pk, "object_id": 42, "severity": 1, "place": "Y"}
                      for u in (world.psych, world.leader)], channels=("inbox", "email"))
    assert added == 4
    row = Notification.objects.get(recipient=world.psych, channel="inbox")
    assert (row.subject, row.body, row.url, row.ref, row.kind) == (
        "Red #42 · Y", "100% sure", "/alerts/42/", "warning:42", "warning.escalated")
    assert row.dedupe_key == f"warning:42:escalated:1:{world.psych.pk}:inbox" and row.sent_at is not None
    assert Notification.objects.get(recipient=world.psych, channel="email").sent_at is None  # queued for the worker


def test_the_same_event_by_notify_and_by_notify_many_is_told_once(world):
    services.notify(recipient_ids=[world.psych.pk], kind="warning.escalated", subject="x",
                    dedupe="warning:42:escalated:1")
    sql, params = pairs_sql([world.psych, world.leader], 42)
    assert many(sql, params) == 1
    assert many(sql, params) == 0
    assert Notification.objects.filter(dedupe_key__startswith="warning:42:escalated:1:").count() == 2


def test_a_cap_per_person_keeps_the_most_severe(world):
    parts, params = [], []
    for object_id, severity in ((1, 1), (2, 3), (3, 2)):
        sql, p = pairs_sql([world.psych], object_id, severity)
        parts.append(sql)
        params += p
    assert many(" UNION ALL ".join(parts), params, per_recipient=2, most_important_first=("severity",)) == 2
    assert sorted(Notification.objects.values_list("ref", flat=True)) == ["warning:2", "warning:3"]


def test_a_link_without_the_object_and_a_digest_key(world):
    sql = "SELECT id AS recipient_id, %s AS object_id, 7 AS warnings FROM accounts_user WHERE id = %s"
    added = services.notify_many(source=sql, params=["2026-10-09T10:00", world.psych.pk], columns=("warnings",),
                                 kind="warning.escalated.digest", channels=("sms",), subject="Escalated: %(warnings)s",
                                 about="escalation", event="2", url_name="alerts:queue", link_object=False,
                                 url_query="mine=1")
    row = Notification.objects.get()
    assert added == 1 and (row.subject, row.url, row.ref) == ("Escalated: 7", "/alerts/?mine=1",
                                                             "escalation:2026-10-09T10:00")
    assert row.dedupe_key == f"escalation:2026-10-09T10:00:2:{world.psych.pk}:sms"


def test_a_template_may_name_only_columns_the_source_gives(world):
    sql, params = pairs_sql([world.psych], 1)
    with pytest.raises(ValueError, match="does not provide"):
        many(sql, params, subject="%(student_name)s")
    with pytest.raises(ValueError, match="not a column name"):
        many(sql, params, columns=("severity; DROP TABLE x",))
    assert not Notification.objects.exists()


def test_outside_channels_are_delivered_once_after_commit(world, django_capture_on_commit_callbacks):
    world.psych.email = "p@example.cn"
    world.psych.save()
    sql, params = pairs_sql([world.psych], 5)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        many(sql, params, channels=("email",))
    assert len(callbacks) == 1 and [m.to for m in mail.outbox] == [["p@example.cn"]]
    assert Notification.objects.get().sent_at is not None


def test_one_delivery_task_is_queued_however_many_transactions_ask(world, monkeypatch):
    """A burst: many transactions each record e-mails; while a delivery task waits in the queue, no second one
    is asked for, and once it starts, the next transaction asks again."""
    from runxin.notify import tasks

    queued = []
    monkeypatch.setattr(tasks.deliver_notifications, "delay", lambda: queued.append(1))
    services.cache.delete(services.DELIVERY_MARK)
    for _ in range(5):
        services._enqueue_delivery()
    assert queued == [1]
    services.delivery_started()
    services._enqueue_delivery()
    assert queued == [1, 1]
    services.cache.delete(services.DELIVERY_MARK)
    assert connection.vendor in ("postgresql", "sqlite")
