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
        outside = False
        for level, _count in moved:
            for tier in (states.SCHOOL, states.DISTRICT, states.CITY):
                outside |= _record_notifications(level, tier, now)
        if outside:
            schedule_delivery()
    return escalated


def _append_events(now: datetime) -> None:
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
              AND NOT EXISTS (SELECT 1 FROM alerts_warningevent e
                              WHERE e.warning_id = w.id AND e.kind = 'escalated' AND e.at = %s)
            """,
            [now, reason, now, now],
        )


def _record_notifications(level: WarningLevel, tier: int, now: datetime) -> bool:
    """Tell the people at `tier` about the warnings of `level` this sweep moved there (one INSERT … SELECT).
    Returns whether any outside-channel (e-mail, SMS …) rows may have been recorded."""
    roles_at_tier = network.TIER_ROLES[tier]
    column = network.TIER_COLUMNS[tier][0]
    channels = [c for c in dict.fromkeys(["inbox", *(level.channels or [])])
                if c in ("inbox", "email", "sms", "wechat")]
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(level)s warning escalated to the %(tier)s") % {
            "level": level.label(settings.LANGUAGE_CODE), "tier": Tier(tier).label}
        body = _("This warning was not acknowledged or progressed in time and now needs acknowledgement at "
                 "your level within %(minutes)s minutes.") % {"minutes": level.ack_minutes}
    channel_rows = " UNION ALL ".join("SELECT %s AS c" for _ in channels)
    role_marks = ", ".join("%s" for _ in roles_at_tier)
    today = timezone.localdate(now)
    # Column names come from the fixed tables in network.py, never from input.
    sql = f"""
        INSERT INTO notify_notification
            (recipient_id, channel, kind, subject, body, url, ref, dedupe_key, created_at, sent_at, attempts, error)
        SELECT DISTINCT ra.user_id, ch.c, 'warning.escalated',
               %s || ' #' || CAST(w.id AS TEXT) || ' · ' || COALESCE(sc.name, ''),
               %s, '/alerts/' || CAST(w.id AS TEXT) || '/', 'warning:' || CAST(w.id AS TEXT),
               'warning:' || CAST(w.id AS TEXT) || ':escalated:' || CAST(w.escalation_count AS TEXT) || ':'
                   || CAST(ra.user_id AS TEXT) || ':' || ch.c,
               %s, CASE WHEN ch.c = 'inbox' THEN %s ELSE NULL END, 0, ''
        FROM alerts_warning w
        JOIN people_student s ON s.id = w.student_id
        LEFT JOIN org_orgunit sc ON sc.id = s.school_id
        JOIN people_roleassignment ra ON ra.org_unit_id = s.{column} AND ra.role IN ({role_marks})
             AND ra.is_active = %s AND (ra.starts_on IS NULL OR ra.starts_on <= %s)
             AND (ra.ends_on IS NULL OR ra.ends_on >= %s)
        CROSS JOIN ({channel_rows}) ch
        WHERE w.escalated_at = %s AND w.tier = %s AND w.level_id = %s
        ON CONFLICT (dedupe_key) DO NOTHING
    """  # noqa: S608
    params = [subject, body, now, now, *roles_at_tier, True, today, today, *channels, now, tier, level.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.rowcount
    return inserted > 0 and len(channels) > 1
