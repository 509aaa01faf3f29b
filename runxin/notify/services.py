"""Writes about notifications: record them (inside the caller's transaction) and deliver them (a worker)."""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .adapters import DeliveryError, adapter_for
from .models import Notification

logger = logging.getLogger("runxin.notify")

MAX_ATTEMPTS = 3


def notify(*, recipient_ids: Iterable[int], kind: str, subject: str, body: str = "", url: str = "", ref: str = "",
           channels: Iterable[str] = ("inbox",), dedupe: str) -> int:
    """Record one notification per recipient and channel and return how many are new.

    Guarantees: idempotent by `dedupe` (the same event recorded twice notifies nobody twice); in-app ones are
    in the inbox at once; the others are delivered by the worker after the caller's transaction commits."""
    now = timezone.now()
    channels = [c for c in dict.fromkeys(channels) if c in Notification.Channel.values]
    rows = [
        Notification(
            recipient_id=uid, channel=channel, kind=kind, subject=subject[:200], body=body, url=url[:300],
            ref=ref[:64], dedupe_key=f"{dedupe}:{uid}:{channel}"[:200], created_at=now,
            sent_at=now if channel == Notification.Channel.INBOX else None,
        )
        for uid in dict.fromkeys(recipient_ids)
        for channel in channels
    ]
    if not rows:
        return 0
    existing = set(
        Notification.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).values_list("dedupe_key", flat=True)
    )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(r.channel != Notification.Channel.INBOX for r in rows):
        schedule_delivery()
    return sum(1 for r in rows if r.dedupe_key not in existing)


def schedule_delivery() -> None:
    """Ask the task engine to deliver the queue once the current transaction has committed."""

    def enqueue():
        from . import tasks

        tasks.deliver_notifications.delay()

    transaction.on_commit(enqueue)


def deliver_pending(*, limit: int = 500) -> dict[str, int]:
    """Deliver up to `limit` queued notifications. Each row is claimed with a conditional UPDATE
    (claimed_at IS NULL) before it is sent, so two workers, or a retried task, never send the same row twice.
    `more` says the queue held more than `limit`."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "more": 0}
    pending = list(
        Notification.objects.filter(claimed_at__isnull=True, sent_at__isnull=True, failed_at__isnull=True)
        .exclude(channel=Notification.Channel.INBOX)
        .select_related("recipient").order_by("id")[:limit + 1]
    )
    if len(pending) > limit:
        counts["more"] = 1
        pending = pending[:limit]
    for item in pending:
        claimed = Notification.objects.filter(pk=item.pk, claimed_at__isnull=True, sent_at__isnull=True).update(
            claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
        if not claimed:
            continue
        try:
            adapter_for(item.channel).send(item)
        except DeliveryError as exc:
            final = exc.final or item.attempts + 1 >= MAX_ATTEMPTS
            if final:
                Notification.objects.filter(pk=item.pk).update(failed_at=timezone.now(), error=str(exc)[:300])
                counts["failed"] += 1
            else:  # release the claim: the send did not happen, so a later attempt cannot duplicate it
                Notification.objects.filter(pk=item.pk).update(claimed_at=None, error=str(exc)[:300])
                counts["retry"] += 1
            logger.debug("notification %s not delivered: %s", item.pk, exc)
            continue
        Notification.objects.filter(pk=item.pk).update(sent_at=timezone.now(), error="")
        counts["sent"] += 1
    if counts["failed"] or counts["retry"]:
        logger.warning("notifications: %s sent, %s failed for good, %s to retry (reasons on each row)",
                       counts["sent"], counts["failed"], counts["retry"])
    return counts


def deliver_all(*, budget_seconds: float = 45.0) -> dict[str, int]:
    """Deliver batches until the queue is empty or the time budget is spent (the embedded scheduler's tick)."""
    import time

    started = time.monotonic()
    total = {"sent": 0, "failed": 0, "retry": 0, "more": 0}
    while True:
        counts = deliver_pending()
        for key in ("sent", "failed", "retry"):
            total[key] += counts[key]
        total["more"] = counts["more"]
        if not counts["more"] or time.monotonic() - started > budget_seconds:
            return total


def mark_read(*, user, notification_id: int) -> Notification | None:
    """Mark one of the user's own inbox notifications read; None when it is not theirs."""
    item = Notification.objects.filter(pk=notification_id, recipient=user, channel=Notification.Channel.INBOX).first()
    if item is None:
        return None
    if item.read_at is None:
        Notification.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=timezone.now())
    return item


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INBOX, read_at__isnull=True
    ).update(read_at=timezone.now())
