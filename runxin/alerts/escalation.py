"""Escalation on the timer (超时升级). One sweep moves every overdue warning up one tier of the network
(class → school → district centre → city centre), appends an `escalated` event for each and tells the
people at the new tier, in a handful of set-based statements whatever the number of warnings.

Idempotent: a warning is overdue when `due_at <= now`; escalating it sets a new `due_at` in the future
(the level's acknowledgement time, now for the new tier), so a second sweep finds nothing to do, and two
sweeps running at once cannot both move the same row (the UPDATE re-checks the condition under its lock).
A warning already at the city tier stays overdue and is marked so on every page.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from runxin.notify.services import schedule_delivery

from . import clock, network, states
from .models import Tier, Warning, WarningLevel


def escalation_sweep(*, now: datetime | None = None) -> int:
    """Run one sweep at `now` (default: the clock). Returns the number of warnings escalated."""
    now = now or clock.now()
    levels = list(WarningLevel.objects.all())
    escalated = 0
    with transaction.atomic():
        moved: list[tuple[WarningLevel, int]] = []
        for level in levels:
            count = Warning.objects.filter(
                level=level, due_at__lte=now, tier__lt=states.TOP_TIER, state__in=states.OPEN,
            ).update(
                tier=F("tier") + 1, ack_pending=True, due_at=now + timedelta(minutes=level.ack_minutes),
                escalated_at=now, escalation_count=F("escalation_count") + 1, last_event_at=now,
            )
            if count:
                moved.append((level, count))
                escalated += count
        if not escalated:
            return 0
        _append_events(now)
        moved_ids = [level.pk for level, _count in moved]
        for tier in (states.SCHOOL, states.DISTRICT, states.CITY):
            _record_inbox(tier, now)
            _record_digest(moved_ids, tier, "inbox", now, more_than=INBOX_PER_SWEEP)
        outside = False
        for tier in (states.SCHOOL, states.DISTRICT, states.CITY):
            for channel in OUTSIDE_CHANNELS:
                with_channel = [level.pk for level, _count in moved if channel in (level.channels or [])]
                if with_channel:
                    outside |= _record_digest(with_channel, tier, channel, now)
        if outside:
            schedule_delivery()
    return escalated


def _sql_time(now: datetime):
    """`now` as the database stores it: raw SQL bypasses the ORM's adaptation, and SQLite compares the
    stored text, which has no '+00:00' suffix (PostgreSQL takes the datetime as it is)."""
    return connection.ops.adapt_datetimefield_value(now)


def _append_events(now: datetime) -> None:
    """One event per warning this sweep moved: they are exactly the rows stamped escalated_at = now (a sweep
    that moved nothing returns before this, so a repeated `now` adds nothing)."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Not acknowledged or progressed within the level's time.")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO alerts_warningevent
                (warning_id, at, actor_id, kind, from_state, to_state, from_tier, to_tier, reason, clinical_note)
            SELECT w.id, %s, NULL, 'escalated', w.state, w.state, w.tier - 1, w.tier, %s, ''
            FROM alerts_warning w
            WHERE w.escalated_at = %s
            """,
            [_sql_time(now), reason, _sql_time(now)],
        )


OUTSIDE_CHANNELS = ("email", "sms", "wechat")
# In-app notifications one by one per person and sweep; beyond this a backlog arrives as one digest.
INBOX_PER_SWEEP = 20

# The people told at a tier: the tier's roles at the student's unit for that tier, active today. Column
# names come from the fixed tables in network.py, never from input.
_RECIPIENTS = """
    FROM alerts_warning w
    JOIN people_student s ON s.id = w.student_id
    LEFT JOIN org_orgunit sc ON sc.id = s.school_id
    JOIN people_roleassignment ra ON ra.org_unit_id = s.{column} AND ra.role IN ({roles})
         AND ra.is_active = %s AND (ra.starts_on IS NULL OR ra.starts_on <= %s)
         AND (ra.ends_on IS NULL OR ra.ends_on >= %s)
"""


def _recipients_sql(tier: int) -> tuple[str, list]:
    roles_at_tier = network.TIER_ROLES[tier]
    sql = _RECIPIENTS.format(column=network.TIER_COLUMNS[tier][0], roles=", ".join("%s" for _ in roles_at_tier))
    return sql, list(roles_at_tier)


def _split(template: str) -> tuple[str, str]:
    """A translated sentence with one placeholder marked by NUL, as the SQL text before and after it."""
    before, _mark, after = template.partition("\x00")
    return before, after


def _record_inbox(tier: int, now: datetime) -> None:
    """An in-app notification per warning this sweep moved to `tier`, to each person there, linking to the
    warning — the first INBOX_PER_SWEEP per person, most severe first; the rest reach them as one digest."""
    lang = settings.LANGUAGE_CODE
    with translation.override(lang):
        subject = _split(_("%(level)s warning escalated to the %(tier)s") % {"level": "\x00", "tier": Tier(tier).label})
        body = _split(_("This warning was not acknowledged or progressed in time and now needs acknowledgement at "
                        "your level within %(minutes)s minutes.") % {"minutes": "\x00"})
    name_column = "name_en" if lang.startswith("en") else "name_zh"
    recipients, role_params = _recipients_sql(tier)
    today = timezone.localdate(now)
    sql = f"""
        INSERT INTO notify_notification
            (recipient_id, channel, kind, subject, body, url, ref, dedupe_key, created_at, sent_at, attempts, error)
        SELECT x.user_id, 'inbox', 'warning.escalated',
               %s || x.level_name || %s || ' #' || CAST(x.warning_id AS TEXT) || ' · ' || COALESCE(x.school_name, ''),
               %s || CAST(x.ack_minutes AS TEXT) || %s,
               '/alerts/' || CAST(x.warning_id AS TEXT) || '/', 'warning:' || CAST(x.warning_id AS TEXT),
               'warning:' || CAST(x.warning_id AS TEXT) || ':escalated:' || CAST(x.escalation_count AS TEXT) || ':'
                   || CAST(x.user_id AS TEXT) || ':inbox',
               %s, %s, 0, ''
        FROM (
            SELECT pairs.*, ROW_NUMBER() OVER (PARTITION BY pairs.user_id
                                               ORDER BY pairs.severity DESC, pairs.warning_id) AS n
            FROM (
                SELECT DISTINCT ra.user_id, w.id AS warning_id, w.escalation_count, l.{name_column} AS level_name,
                       l.ack_minutes, l.severity, sc.name AS school_name
                {recipients}
                JOIN alerts_warninglevel l ON l.id = w.level_id
                WHERE w.escalated_at = %s AND w.tier = %s
            ) pairs
        ) x
        WHERE x.n <= %s
        ON CONFLICT (dedupe_key) DO NOTHING
    """  # noqa: S608
    at = _sql_time(now)
    params = [subject[0], subject[1], body[0], body[1], at, at, *role_params, True, today, today, at, tier,
              INBOX_PER_SWEEP]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _record_digest(level_ids: list[int], tier: int, channel: str, now: datetime, *, more_than: int = 0) -> bool:
    """One e-mail (or SMS, WeChat message) per person at `tier` for everything this sweep moved to them: a
    backlog must not become a thousand text messages. It links to their queue of warnings to acknowledge.
    In the inbox it is only for people who got more than `more_than` warnings (the rest came one by one)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Warnings escalated to the %(tier)s, waiting for your acknowledgement:") % {
            "tier": Tier(tier).label}
        body = _("Warnings were not acknowledged or progressed in time and were escalated to your level. "
                 "Open the list of warnings waiting for acknowledgement.")
    recipients, role_params = _recipients_sql(tier)
    today = timezone.localdate(now)
    stamp = now.isoformat()
    level_marks = ", ".join("%s" for _ in level_ids)
    sql = f"""
        INSERT INTO notify_notification
            (recipient_id, channel, kind, subject, body, url, ref, dedupe_key, created_at, sent_at, attempts, error)
        SELECT ra.user_id, %s, 'warning.escalated.digest', %s || ' ' || CAST(COUNT(DISTINCT w.id) AS TEXT),
               %s, '/alerts/?mine=1', 'escalation:' || %s,
               'escalation:' || %s || ':' || CAST(%s AS TEXT) || ':' || CAST(ra.user_id AS TEXT) || ':' || %s,
               %s, CASE WHEN %s = 'inbox' THEN %s ELSE NULL END, 0, ''
        {recipients}
        WHERE w.escalated_at = %s AND w.tier = %s AND w.level_id IN ({level_marks})
        GROUP BY ra.user_id
        HAVING COUNT(DISTINCT w.id) > %s
        ON CONFLICT (dedupe_key) DO NOTHING
    """  # noqa: S608
    at = _sql_time(now)
    params = [channel, subject, body, stamp, stamp, tier, channel, at, channel, at, *role_params, True, today,
              today, at, tier, *level_ids, more_than]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount > 0
