"""Writes about notifications: record them (inside the caller's transaction) and deliver them (a worker)."""

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
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
    # One statement that says how many were new (ON CONFLICT … DO NOTHING counts only the rows it wrote).
    at = connection.ops.adapt_datetimefield_value(now)
    values = ", ".join("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, '')" for _ in rows)
    params = [value for r in rows for value in (
        r.recipient_id, r.channel, r.kind, r.subject, r.body, r.url, r.ref, r.dedupe_key, at,
        at if r.sent_at else None)]
    columns = "recipient_id, channel, kind, subject, body, url, ref, dedupe_key, created_at, sent_at, attempts, error"
    sql = f"INSERT INTO notify_notification ({columns}) VALUES {values} ON CONFLICT (dedupe_key) DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        added = max(cursor.rowcount, 0)
    if added and any(r.channel != Notification.Channel.INBOX for r in rows):
        schedule_delivery()
    return added


# --- many at once -------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_MARK = "0"  # the object id reverse() is given to find where the id goes in a link (ids are digits)


def _template_sql(template: str, columns: set[str]) -> tuple[str, list[str]]:
    """A "%(column)s" template as SQL that concatenates its text (as parameters) and the source's columns."""
    parts = _PLACEHOLDER.split(template)
    sql, params = [], []
    for i, part in enumerate(parts):
        if i % 2:
            if part not in columns:
                raise ValueError(f"template names {part!r}, which the source does not provide: {sorted(columns)}")
            sql.append(f'COALESCE(CAST(x."{part}" AS TEXT), \'\')')
        elif part:
            sql.append("%s")
            params.append(part.replace("%%", "%"))
    return (" || ".join(sql) or "''"), params


def _link(url_name: str, *, with_id: bool, query: str) -> tuple[str, str]:
    """The link of a notification as the text before and after the object's id (both empty parts when none)."""
    if not with_id:
        return reverse(url_name) + (f"?{query}" if query else ""), ""
    url = reverse(url_name, args=[int(_MARK)])
    before, mark, after = url.rpartition(f"/{_MARK}/")
    if not mark:
        raise ValueError(f"{url_name} does not take an object id in its path")
    return before + "/", "/" + after + (f"?{query}" if query else "")


def notify_many(*, source: str | Sequence[Mapping], params: Sequence = (), columns: Iterable[str] = (),
                kind: str, channels: Iterable[str] = ("inbox",), subject: str, body: str = "",
                about: str, event: str, url_name: str, link_object: bool = True, url_query: str = "",
                per_recipient: int | None = None, most_important_first: Sequence[str] = (),
                at: datetime | None = None) -> int:
    """Record many notifications at once, set-based (one INSERT … SELECT per call), inside the caller's
    transaction; the one writer of notification rows for bulk paths. Returns how many are new.

    `source` gives the rows to tell: SQL (with `params`; it must select `recipient_id` and `object_id`, plus
    every column the templates name, listed in `columns`), or a list of dicts with the same keys. `subject`,
    `body` and `event` are templates whose "%(column)s" take the row's values. For each row and channel the
    notify app builds:
      ref        "<about>:<object_id>"
      dedupe key "<about>:<object_id>:<event>:<recipient>:<channel>"  (the same as notify()'s, so recording the
                 same event twice, by either path, tells nobody twice)
      url        reverse(url_name) with the object id (or without it when not `link_object`), "?url_query"
    With `per_recipient`, each person gets at most that many rows of this call, the first by
    `most_important_first` (source columns, descending). `at` is the time recorded (default: now). In-app ones are in the inbox at once; the worker
    delivers the others after commit."""
    channels = [c for c in dict.fromkeys(channels) if c in Notification.Channel.values]
    if not channels:
        return 0
    if not isinstance(source, str):
        return _notify_rows(rows=list(source), kind=kind, channels=channels, subject=subject, body=body,
                            about=about, event=event, url_name=url_name, link_object=link_object,
                            url_query=url_query, per_recipient=per_recipient,
                            most_important_first=most_important_first, at=at)
    names = {"recipient_id", "object_id", *columns}
    for name in names:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a column name: {name!r}")
    subject_sql, subject_params = _template_sql(subject, names)
    body_sql, body_params = _template_sql(body, names)
    event_sql, event_params = _template_sql(event, names)
    before, after = _link(url_name, with_id=link_object, query=url_query)
    url_sql = "%s || CAST(x.object_id AS TEXT) || %s" if link_object else "%s"
    url_params = [before, after] if link_object else [before]
    ranked = f"({source})"
    if per_recipient is not None:
        order = ", ".join(f'"{c}" DESC' for c in most_important_first if c in names) or "object_id"
        window = f"ROW_NUMBER() OVER (PARTITION BY s.recipient_id ORDER BY {order}, s.object_id)"
        ranked = f"(SELECT s.*, {window} AS notify_rank FROM ({source}) s)"  # noqa: S608 - names checked above
    # (SQLite needs a WHERE before ON CONFLICT in an INSERT … SELECT.)
    where = "WHERE x.notify_rank <= %s" if per_recipient is not None else "WHERE 1 = 1"
    at = connection.ops.adapt_datetimefield_value(at or timezone.now())
    # A UNION ALL rather than VALUES … c(channel): SQLite (the embedded demo) has no column aliases on VALUES.
    channel_values = " UNION ALL ".join("SELECT CAST(%s AS TEXT) AS channel" for _ in channels)
    sql = f"""
        INSERT INTO notify_notification
            (recipient_id, channel, kind, subject, body, url, ref, dedupe_key, created_at, sent_at, attempts, error)
        SELECT x.recipient_id, c.channel, %s, SUBSTR({subject_sql}, 1, 200), {body_sql}, SUBSTR({url_sql}, 1, 300),
               SUBSTR(%s || ':' || CAST(x.object_id AS TEXT), 1, 64),
               SUBSTR(%s || ':' || CAST(x.object_id AS TEXT) || ':' || {event_sql} || ':'
                      || CAST(x.recipient_id AS TEXT) || ':' || c.channel, 1, 200),
               %s, CASE WHEN c.channel = 'inbox' THEN %s END, 0, ''
        FROM {ranked} x CROSS JOIN ({channel_values}) c
        {where}
        ON CONFLICT (dedupe_key) DO NOTHING
    """  # noqa: S608 - column names checked above, every value a parameter
    all_params = [kind, *subject_params, *body_params, *url_params, about, about, *event_params, at, at,
                  *params, *channels]
    if per_recipient is not None:
        all_params.append(per_recipient)
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        added = max(cursor.rowcount, 0)
    if added and any(c != Notification.Channel.INBOX for c in channels):
        schedule_delivery()
    return added


def _render(template: str, row: Mapping) -> str:
    parts = _PLACEHOLDER.split(template)
    return "".join(("" if row.get(part) is None else str(row[part])) if i % 2 else part.replace("%%", "%")
                   for i, part in enumerate(parts))


def _notify_rows(*, rows: list[Mapping], kind: str, channels: list[str], subject: str, body: str, about: str,
                 event: str, url_name: str, link_object: bool, url_query: str, per_recipient: int | None,
                 most_important_first: Sequence[str], at: datetime | None) -> int:
    """notify_many for a list of rows (the same keys, the same result; for callers with the rows in hand)."""
    if per_recipient is not None:
        rows = sorted(rows, key=lambda r: (r["recipient_id"], *[-(r.get(c) or 0) for c in most_important_first],
                                           r["object_id"]))
        kept, seen = [], {}
        for row in rows:
            seen[row["recipient_id"]] = seen.get(row["recipient_id"], 0) + 1
            if seen[row["recipient_id"]] <= per_recipient:
                kept.append(row)
        rows = kept
    before, after = _link(url_name, with_id=link_object, query=url_query)
    now = at or timezone.now()
    objects = [
        Notification(
            recipient_id=row["recipient_id"], channel=channel, kind=kind, subject=_render(subject, row)[:200],
            body=_render(body, row), url=(f"{before}{row['object_id']}{after}" if link_object else before)[:300],
            ref=f"{about}:{row['object_id']}"[:64],
            dedupe_key=f"{about}:{row['object_id']}:{_render(event, row)}:{row['recipient_id']}:{channel}"[:200],
            created_at=now, sent_at=now if channel == Notification.Channel.INBOX else None,
        )
        for row in rows for channel in channels
    ]
    if not objects:
        return 0
    existing = set(Notification.objects.filter(dedupe_key__in=[o.dedupe_key for o in objects])
                   .values_list("dedupe_key", flat=True))
    Notification.objects.bulk_create(objects, ignore_conflicts=True)
    added = len({o.dedupe_key for o in objects} - existing)
    if added and any(c != Notification.Channel.INBOX for c in channels):
        schedule_delivery()
    return added


# --- delivery ----------------------------------------------------------------------------------------------

# A burst records thousands of notifications in as many transactions: one delivery task at a time is asked
# for, not one per transaction (the task clears the mark when it starts, so nothing recorded later is missed).
DELIVERY_MARK = "notify:delivery-scheduled"
DELIVERY_MARK_SECONDS = 10


def _enqueue_delivery() -> None:
    from . import tasks

    if not cache.add(DELIVERY_MARK, 1, DELIVERY_MARK_SECONDS):
        return  # a delivery task is queued and has not started: it will see these rows
    try:
        tasks.deliver_notifications.delay()
    except Exception:
        cache.delete(DELIVERY_MARK)  # the next transaction asks again; the beat entry delivers meanwhile
        raise


def schedule_delivery() -> None:
    """Ask the task engine to deliver the queue once the current transaction has committed (not again while
    a delivery task is queued and has not started)."""
    transaction.on_commit(_enqueue_delivery)


def delivery_started() -> None:
    """Called by the delivery task as it starts: rows recorded from now on need (and get) a new task."""
    cache.delete(DELIVERY_MARK)


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
