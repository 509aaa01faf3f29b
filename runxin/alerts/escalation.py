"""Escalation on the timer (超时升级). One sweep moves every overdue warning up one tier of the network
(class → school → district centre → city centre; class → grade → school for a level that routes through the
grade, states.routes_through_grade), appends an `escalated` event for each and tells the
people at the new tier, in a handful of set-based statements whatever the number of warnings.

Idempotent: a warning is overdue when `due_at <= now`; escalating it sets a new `due_at` in the future
(the level's acknowledgement time, now for the new tier), so a second sweep finds nothing to do, and two
sweeps running at once cannot both move the same row (the UPDATE re-checks the condition under its lock).
A warning already at the city tier stays overdue and is marked so on every page.

Follow-ups (回访) long overdue escalate in the same sweep, in two steps (FOLLOW_UP_ESCALATION_DAYS, settable in
settings): so many days overdue, the school's psychology teachers and leaders are told (and the responsible person
reminded); later, the district centre. `escalated_at` records the last step taken: a step is taken when the
follow-up is not done and escalated_at is empty (the school step) or falls before the day the district step became
due (the district step), so no step is ever taken twice, and the notifications' dedupe keys name the step as well.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from runxin.notify.services import notify_many

from . import clock, network, services, states
from .models import Tier, Warning, WarningEvent, WarningLevel


def escalation_sweep(*, now: datetime | None = None) -> int:
    """Run one sweep at `now` (default: the clock): overdue warnings, then long-overdue follow-ups
    (follow_up_sweep). Returns the number of warnings escalated."""
    now = now or clock.now()
    escalated = _warning_sweep(now)
    follow_up_sweep(now=now)
    return escalated


def _warning_sweep(now: datetime) -> int:
    levels = list(WarningLevel.objects.all())
    escalated = 0
    with transaction.atomic():
        moved: list[tuple[WarningLevel, int]] = []
        for level in levels:
            count = Warning.objects.filter(
                level=level, due_at__lte=now, tier__lt=states.TOP_TIER, state__in=states.OPEN,
            ).update(
                tier=_next_tier(level), ack_pending=True, due_at=now + timedelta(minutes=level.ack_minutes),
                escalated_at=now, escalation_count=F("escalation_count") + 1, last_event_at=now,
            )
            if count:
                moved.append((level, count))
                escalated += count
        if not escalated:
            return 0
        _append_events(now, [level for level, _count in moved])
        moved_ids = [level.pk for level, _count in moved]
        tiers = (states.SCHOOL, states.DISTRICT, states.CITY)
        if any(level.routes_through_grade for level, _count in moved):
            tiers = (states.GRADE, *tiers)
        for tier in tiers:
            _record_inbox(tier, now)
            _record_digest(moved_ids, tier, "inbox", now, more_than=INBOX_PER_SWEEP)
        # notify_many asks the worker to deliver the e-mails and SMS after commit.
        for tier in tiers:
            for channel in OUTSIDE_CHANNELS:
                with_channel = [level.pk for level, _count in moved if channel in (level.channels or [])]
                if with_channel:
                    _record_digest(with_channel, tier, channel, now)
    return escalated


def _next_tier(level: WarningLevel):
    """The tier a warning of this level moves to, as an expression over its row (states.next_tier)."""
    if not level.routes_through_grade:
        return F("tier") + 1
    return Case(When(tier=states.CLASS, then=Value(states.GRADE)), When(tier=states.GRADE, then=Value(states.SCHOOL)),
                default=F("tier") + 1)


def _previous_tier(through_grade: bool):
    """Where a warning the sweep just moved came from, as an expression over its (moved) row."""
    if not through_grade:
        return F("tier") - 1
    return Case(When(tier=states.GRADE, then=Value(states.CLASS)), When(tier=states.SCHOOL, then=Value(states.GRADE)),
                default=F("tier") - 1)


def _append_events(now: datetime, levels: list[WarningLevel]) -> None:
    """One event per warning this sweep moved: they are exactly the rows stamped escalated_at = now (a sweep
    that moved nothing returns before this, so a repeated `now` adds nothing)."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Not acknowledged or progressed within the level's time.")
    through_grade = [level.pk for level in levels if level.routes_through_grade]
    moved = Warning.objects.filter(escalated_at=now)
    batches = [(False, moved)]
    if through_grade:
        batches = [(False, moved.exclude(level_id__in=through_grade)), (True, moved.filter(level_id__in=through_grade))]
    for grade, warnings in batches:
        services.record_events(
            warnings=warnings, kind=WarningEvent.Kind.ESCALATED, at=now, from_state=F("state"),
            to_state=F("state"), from_tier=_previous_tier(grade), to_tier=F("tier"), reason=reason,
        )


OUTSIDE_CHANNELS = ("email", "sms", "wechat")
# In-app notifications one by one per person and sweep; beyond this a backlog arrives as one digest.
INBOX_PER_SWEEP = 20

# The people told at a tier: the tier's roles at the student's unit for that tier, active today. Column
# names come from the fixed tables in network.py, never from input.
_PEOPLE_OF_TIER = """
    JOIN people_roleassignment ra ON ra.org_unit_id = s.{column} AND ra.role IN ({roles})
         AND ra.is_active = %s AND (ra.starts_on IS NULL OR ra.starts_on <= %s)
         AND (ra.ends_on IS NULL OR ra.ends_on >= %s)
"""


def _people_of_tier(roles_at_tier, column: str, now: datetime) -> tuple[str, list]:
    """The JOIN (as `ra`) of the people holding one of these roles, in force today, at the unit in the student's
    (`s`) placement column: the SQL twin of network.people_at for the set-wise sweeps."""
    today = timezone.localdate(now)
    sql = _PEOPLE_OF_TIER.format(column=column, roles=", ".join("%s" for _ in roles_at_tier))
    return sql, [*roles_at_tier, True, today, today]


def _recipients_sql(tier: int, now: datetime) -> tuple[str, list]:
    people, params = _people_of_tier(network.TIER_ROLES[tier], network.TIER_COLUMNS[tier][0], now)
    return f"""
        FROM alerts_warning w
        JOIN people_student s ON s.id = w.student_id
        LEFT JOIN org_orgunit sc ON sc.id = s.school_id
        {people}
    """, params  # noqa: S608 - column names from network.py's fixed tables


def _record_inbox(tier: int, now: datetime) -> None:
    """An in-app notification per warning this sweep moved to `tier`, to each person there, linking to the
    warning — the first INBOX_PER_SWEEP per person, most severe first; the rest reach them as one digest."""
    lang = settings.LANGUAGE_CODE
    with translation.override(lang):
        subject = (_("%(level)s warning escalated to the %(tier)s") % {"level": "%(level_name)s",
                                                                        "tier": Tier(tier).label}
                   + " #%(object_id)s · %(school_name)s")
        body = _("This warning was not acknowledged or progressed in time and now needs acknowledgement at "
                 "your level within %(minutes)s minutes.") % {"minutes": "%(ack_minutes)s"}
    name_column = "name_en" if lang.startswith("en") else "name_zh"
    recipients, params = _recipients_sql(tier, now)
    pairs = f"""
        SELECT DISTINCT ra.user_id AS recipient_id, w.id AS object_id, w.escalation_count,
               l.{name_column} AS level_name, l.ack_minutes, l.severity, sc.name AS school_name
        {recipients}
        JOIN alerts_warninglevel l ON l.id = w.level_id
        WHERE w.escalated_at = %s AND w.tier = %s
    """  # noqa: S608 - column names from network.py's fixed tables
    notify_many(
        source=pairs, params=[*params, _sql_time(now), tier],
        columns=("escalation_count", "level_name", "ack_minutes", "severity", "school_name"),
        kind="warning.escalated", channels=("inbox",), subject=subject, body=body,
        about="warning", event="escalated:%(escalation_count)s", url_name="alerts:detail",
        per_recipient=INBOX_PER_SWEEP, most_important_first=("severity",), at=now,
    )


def _record_digest(level_ids: list[int], tier: int, channel: str, now: datetime, *, more_than: int = 0) -> bool:
    """One e-mail (or SMS, WeChat message) per person at `tier` for everything this sweep moved to them: a
    backlog must not become a thousand text messages. It links to their queue of warnings to acknowledge.
    In the inbox it is only for people who got more than `more_than` warnings (the rest came one by one)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Warnings escalated to the %(tier)s, waiting for your acknowledgement:") % {
            "tier": Tier(tier).label}
        body = _("Warnings were not acknowledged or progressed in time and were escalated to your level. "
                 "Open the list of warnings waiting for acknowledgement.")
    recipients, params = _recipients_sql(tier, now)
    level_marks = ", ".join("%s" for _ in level_ids)
    per_person = f"""
        SELECT ra.user_id AS recipient_id, %s AS object_id, COUNT(DISTINCT w.id) AS warnings
        {recipients}
        WHERE w.escalated_at = %s AND w.tier = %s AND w.level_id IN ({level_marks})
        GROUP BY ra.user_id
        HAVING COUNT(DISTINCT w.id) > %s
    """  # noqa: S608 - column names from network.py's fixed tables
    return notify_many(
        source=per_person, params=[now.isoformat(), *params, _sql_time(now), tier, *level_ids, more_than],
        columns=("warnings",), kind="warning.escalated.digest", channels=(channel,),
        subject=subject.replace("%", "%%") + " %(warnings)s", body=body.replace("%", "%%"),
        about="escalation", event=str(tier), url_name="alerts:queue", link_object=False, url_query="mine=1", at=now,
    ) > 0


def _sql_time(now: datetime):
    """`now` as the database stores it: raw SQL bypasses the ORM's adaptation, and SQLite compares the
    stored text, which has no '+00:00' suffix (PostgreSQL takes the datetime as it is)."""
    return connection.ops.adapt_datetimefield_value(now)


# ------------------------------------------------------------------------------------------- follow-ups (回访)

# The follow-ups this sweep stamped that are at least a step's days overdue, with their student (`s`).
_FOLLOW_UPS_STAMPED = """
    FROM alerts_followup f
    JOIN people_student s ON s.id = f.student_id
    LEFT JOIN org_orgunit sc ON sc.id = s.school_id
"""
_FOLLOW_UPS_WHERE = "f.escalated_at = %s AND f.done_at IS NULL AND f.due_on <= %s"


def follow_up_escalation_days() -> tuple[int, int]:
    """Days overdue before the school's psychology teachers and leaders, then the district centre, are told."""
    school, district = settings.FOLLOW_UP_ESCALATION_DAYS
    return int(school), int(district)


def follow_up_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Escalate long-overdue follow-ups: (number told to the school, number told to the district centre). Two
    UPDATEs and a few INSERT … SELECTs of notifications, whatever the number of follow-ups."""
    from .models import FollowUp

    now = now or clock.now()
    today = timezone.localdate(now)
    school_days, district_days = follow_up_escalation_days()
    school_due, district_due = today - timedelta(days=school_days), today - timedelta(days=district_days)
    with transaction.atomic():
        to_school = FollowUp.objects.filter(done_at__isnull=True, escalated_at__isnull=True,
                                            due_on__lte=school_due).update(escalated_at=now)
        if to_school:
            _tell_follow_ups(now, school_due, roles_at_tier=network.TIER_ROLES[states.SCHOOL], column="school_id",
                             step="school", assignees=True)
        # The district step: not yet taken when escalated_at (the school step's time) is before the day this step
        # became due (due_on + district_days), or is this sweep's own school step. (`__lte` the day before keeps the
        # comparison right on SQLite, which compares dates as text.)
        to_district = FollowUp.objects.filter(done_at__isnull=True, due_on__lte=district_due).filter(
            Q(escalated_at=now)
            | Q(escalated_at__isnull=True)
            | Q(escalated_at__date__lte=F("due_on") + timedelta(days=district_days - 1))
        ).update(escalated_at=now)
        if to_district:
            _tell_follow_ups(now, district_due, roles_at_tier=network.TIER_ROLES[states.DISTRICT],
                             column="district_id", step="district", assignees=False)
    return to_school, to_district


def _tell_follow_ups(now: datetime, due_by, *, roles_at_tier, column: str, step: str, assignees: bool) -> None:
    """Tell the people of one tier about the follow-ups this sweep stamped (escalated_at = now) that are at least
    this step's days overdue. Subject and body name the school and the due day, never the student."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Follow-up (回访) overdue since %(day)s · %(school)s") % {"day": "%(due_on)s",
                                                                            "school": "%(school_name)s"}
        body = (_("A follow-up of a student of your school is overdue and has not been recorded. See that it is "
                  "done, or that someone is made responsible.") if step == "school" else
                _("A follow-up has been overdue for a week and has not been recorded. The school has been told."))
    people, params = _people_of_tier(roles_at_tier, column, now)
    sql = f"""
        SELECT DISTINCT ra.user_id AS recipient_id, f.id AS object_id, f.due_on AS due_on, sc.name AS school_name
        {_FOLLOW_UPS_STAMPED} {people}
        WHERE {_FOLLOW_UPS_WHERE}
    """  # noqa: S608 - column names from network.py's fixed tables
    params = [*params, _sql_time(now), due_by]
    common = {"columns": ("due_on", "school_name"), "kind": f"follow_up.escalated.{step}", "channels": ("inbox",),
              "subject": subject, "body": body, "about": "follow_up", "event": f"escalated:{step}",
              "url_name": "alerts:follow_up", "at": now}
    notify_many(source=sql, params=params, **common)
    if assignees:
        with translation.override(settings.LANGUAGE_CODE):
            reminder = _("A follow-up you are responsible for is overdue. Record it as soon as it is done.")
        assignees_sql = f"""
            SELECT f.assigned_to_id AS recipient_id, f.id AS object_id, f.due_on AS due_on, sc.name AS school_name
            {_FOLLOW_UPS_STAMPED}
            WHERE {_FOLLOW_UPS_WHERE} AND f.assigned_to_id IS NOT NULL
        """  # noqa: S608 - fixed text
        notify_many(source=assignees_sql, params=[_sql_time(now), due_by], **(common | {"body": reminder}))
