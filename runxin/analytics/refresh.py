"""When the figures are recomputed: the incremental pass every minute, the full rebuild every night.

refresh() finds the schools whose records changed since the last pass, from the records' own timestamps with
an overlap (OVERLAP) for transactions that committed late, and recomputes them for the months those changes
touch plus the running month (facts.recompute_schools). Time alone moves some stocks, so it also picks the
schools where a warning's due time or a follow-up's day passed, and at the turn of a month every school (the
month that ended is then taken at its end, the new one begins). rebuild() recomputes everything; the nightly
one heals whatever the incremental pass cannot see (a record's date edited into another month, a visit
recorded more than a month after it was made, a school moved to another district).

One pass at a time: on PostgreSQL a session advisory lock; a pass that finds it taken returns at once.
Progress and "figures as of …" are kept in RefreshState (name "unit_figures").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Min, Q
from django.utils import timezone

from runxin.alerts.models import FollowUp, Warning, WarningEvent
from runxin.cases.models import IncidentReview
from runxin.org.models import SchoolYear
from runxin.people.models import Enrollment, Student
from runxin.referrals.models import Referral
from runxin.screening.models import Campaign, CampaignTarget, Submission
from runxin.visits.models import FamilyContact

from . import facts
from .models import RefreshState

logger = logging.getLogger("runxin.analytics")

STATE = "unit_figures"
OVERLAP = timedelta(minutes=5)  # a transaction that commits this late is still seen by the next pass
SEEN_KEY = "analytics:refresh:seen"  # the changes the last passes took in (a lost cache only costs a recompute)
LATE_VISIT_DAYS = 31  # a home visit recorded up to this long after it was made is picked up at once
NIGHTLY_AT = time(2, 30)  # local time of the nightly rebuild (CELERY_BEAT_SCHEDULE says the same)
HISTORY_YEARS = 10  # the rebuild goes back no further, whatever stray date a record carries
_LOCK_KEY = 13_0001  # pg advisory lock: one pass (refresh or rebuild) at a time


def state() -> RefreshState:
    found, _created = RefreshState.objects.get_or_create(name=STATE)
    return found


@contextmanager
def _one_pass() -> Iterator[bool]:
    """Whether this process holds the upkeep lock (always on SQLite, which has one writer anyway)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


# ---------------------------------------------------------------------------------------------- rebuild

def first_month(now: datetime | None = None) -> date:
    """The first month with figures: the earliest school year or dated record, at most HISTORY_YEARS back."""
    today = timezone.localdate(now or timezone.now())
    found = [today]
    for value in (SchoolYear.objects.aggregate(v=Min("starts_on"))["v"],
                  Campaign.objects.aggregate(v=Min("window_start"))["v"],
                  Warning.objects.aggregate(v=Min("raised_at"))["v"],
                  FollowUp.objects.aggregate(v=Min("due_on"))["v"],
                  Referral.objects.aggregate(v=Min("referred_at"))["v"],
                  FamilyContact.objects.filter(status=FamilyContact.Status.DONE).aggregate(v=Min("done_on"))["v"],
                  IncidentReview.objects.aggregate(v=Min("incident_on"))["v"]):
        if isinstance(value, datetime):
            value = timezone.localdate(value)
        if value is not None:
            found.append(value)
    return facts.month_of(max(min(found), today.replace(year=today.year - HISTORY_YEARS)))


def rebuild(*, now: datetime | None = None, progress: Callable[[int, int], None] | None = None) -> dict:
    """Every figure from scratch: every school for every month from first_month() to the running month, then
    districts, the city and suppression for every month. Progress (schools done of total) is kept in
    RefreshState as it goes. Figures of months outside that range are removed."""
    with _one_pass() as held:
        if not held:
            return {"skipped": "another pass is running"}
        return _rebuild(now=now, progress=progress)


def _rebuild(*, now: datetime | None, progress) -> dict:
    started = now or timezone.now()
    months = facts.months_between(first_month(started), timezone.localdate(started))
    schools = facts.school_ids()
    current = state()
    current.rebuild_started_at, current.rebuild_finished_at = started, None
    current.done, current.total, current.error = 0, len(schools), ""
    current.save(update_fields=["rebuild_started_at", "rebuild_finished_at", "done", "total", "error"])

    def step(done: int) -> None:
        if done % 10 == 0 or done == len(schools):
            RefreshState.objects.filter(pk=current.pk).update(done=done)
        if done in (10, 100) or done % 500 == 0:
            facts.analyze()  # the table grows from nothing: keep the planner on the (unit, month) index
        if progress is not None:
            progress(done, len(schools))

    try:
        facts.forget_other_months(months)
        facts.recompute_schools(schools, months, now=started, suppress_months=months, progress=step)
    except Exception as error:
        RefreshState.objects.filter(pk=current.pk).update(error=f"{type(error).__name__}: {error}"[:2000])
        raise
    finished = timezone.now()
    RefreshState.objects.filter(pk=current.pk).update(started_at=started, finished_at=finished,
                                                      rebuild_finished_at=finished, done=len(schools))
    return {"schools": len(schools), "months": len(months), "seconds": round((finished - started).total_seconds(), 1)}


def last_nightly_slot(now: datetime) -> datetime:
    """The latest NIGHTLY_AT moment at or before `now` (local time)."""
    local = timezone.localtime(now)
    slot = local.replace(hour=NIGHTLY_AT.hour, minute=NIGHTLY_AT.minute, second=0, microsecond=0)
    return slot if slot <= local else slot - timedelta(days=1)


def nightly(*, now: datetime | None = None) -> dict:
    """The nightly rebuild, once per night: skipped when a rebuild already started since the last slot (the
    embedded scheduler runs every job at its start, to catch up)."""
    now = now or timezone.now()
    started = state().rebuild_started_at
    if started is not None and started >= last_nightly_slot(now):
        return {"skipped": "rebuilt since the last nightly slot"}
    return rebuild(now=now)


# ---------------------------------------------------------------------------------------------- refresh

def refresh(*, now: datetime | None = None) -> dict:
    """The incremental pass (every minute). With no pass before it, a rebuild."""
    now = now or timezone.now()
    current = state()
    if current.started_at is None:
        return rebuild(now=now)
    with _one_pass() as held:
        if not held:
            return {"skipped": "another pass is running"}
        current.refresh_from_db()
        previous = current.started_at
        # A pass that failed leaves its months possibly hidden too much: decide them again this time.
        failed = bool(current.error)
        try:
            found = changes_since(since=previous - OVERLAP, previous=previous, now=now)
            # The overlap finds again what the last passes already took in: only what is new is recomputed.
            seen = cache.get(SEEN_KEY) or {}
            touched: dict[int, set[date]] = defaultdict(set)
            for school, token, months in found:
                if token not in seen:
                    touched[school] |= months
            changes = facts.Changes()
            for months, schools in _groups(touched):
                changes.merge(_recompute(schools, sorted(months), now=now))
            running = facts.month_of(timezone.localdate(now))
            facts.finish(changes, suppress_months={running} if failed and touched else ())
        except Exception as error:
            RefreshState.objects.filter(pk=current.pk).update(error=f"{type(error).__name__}: {error}"[:2000])
            raise
        RefreshState.objects.filter(pk=current.pk).update(started_at=now, finished_at=timezone.now(), error="")
        keep = now - 2 * OVERLAP
        cache.set(SEEN_KEY, {**{token: at for token, at in seen.items() if at >= keep},
                             **{token: now for _school, token, _months in found}}, timeout=None)
    return {"schools": len(touched), "months": sorted(m.isoformat() for m in changes)}


def _groups(touched: dict[int, set[date]]) -> list[tuple[frozenset[date], list[int]]]:
    """The schools to compute together: those with a month or two (the running month, a follow-up's day …) by
    month, so a busy minute's hundreds of schools are a few batches; those with many months (a student who
    moved) by their months."""
    single: dict[date, list[int]] = defaultdict(list)
    many: dict[frozenset[date], list[int]] = defaultdict(list)
    for school, months in touched.items():
        if len(months) <= 2:
            for month in months:
                single[month].append(school)
        else:
            many[frozenset(months)].append(school)
    return [(frozenset({month}), schools) for month, schools in single.items()] + list(many.items())


def _recompute(schools: list[int], months: list[date], *, now: datetime) -> facts.Changes:
    """Schools written, without the roll-up and suppression (refresh() does those once for all)."""
    return facts.write_schools(sorted(schools), facts.windows(months, now=now), levels=facts.level_codes(), now=now)


def changed_schools(*, since: datetime, previous: datetime, now: datetime) -> dict[int, set[date]]:
    """The schools whose figures may have changed since `since`, each with the months to recompute."""
    touched: dict[int, set[date]] = defaultdict(set)
    for school, _token, months in changes_since(since=since, previous=previous, now=now):
        touched[school] |= months
    return dict(touched)


Change = tuple[int, tuple, frozenset[date]]  # (school, what changed, the months to recompute)


def changes_since(*, since: datetime, previous: datetime, now: datetime) -> list[Change]:
    """What changed since `since` that moves a figure, each with its school and the months to recompute: the
    month of the change up to the running month (a change moves the stocks of every month after it), or only
    the months of a flow. Each change is named by a token (a row and its time), so a pass can tell what an
    earlier one already took in."""
    today = timezone.localdate(now)
    running = facts.month_of(today)
    found: list[Change] = []

    def month(when) -> date:
        return facts.month_of(timezone.localdate(when) if isinstance(when, datetime) else when)

    def from_month(school: int | None, token: tuple, when) -> None:
        if school is not None and when is not None:
            found.append((school, token, frozenset(facts.months_between(min(month(when), running), running))))

    def only(school: int | None, token: tuple, *whens) -> None:
        if school is not None:
            found.append((school, token, frozenset({running, *(month(w) for w in whens if w is not None
                                                               and month(w) <= running)})))

    # The turn of a month: every school, the month that ended (now at its end) and the new one.
    if month(previous) < running:
        for school in facts.school_ids():
            from_month(school, ("month", running), timezone.localdate(previous))
    # Warnings: every step is an event (the (kind, at) index answers with the kinds listed). A warning's
    # month of raising is recomputed too: dismissing it or changing its level changes that month's new ones.
    for event, school, raised_at, at in (
            WarningEvent.objects.filter(kind__in=WarningEvent.Kind.values, at__gte=since)
            .values_list("id", "warning__student__school_id", "warning__raised_at", "at")):
        from_month(school, ("event", event), at)
        only(school, ("raised", event), raised_at)
    # A current warning's due time passed: it is overdue now.
    for warning, school, due_at in (Warning.objects.filter(due_at__gt=previous - OVERLAP, due_at__lte=now)
                                    .values_list("id", "student__school_id", "due_at")):
        only(school, ("due", warning, due_at))
    for follow_up, school, due_on, done_at in (
            FollowUp.objects.filter(Q(created_at__gte=since) | Q(done_at__gte=since))
            .values_list("id", "student__school_id", "due_on", "done_at")):
        only(school, ("follow-up", follow_up, due_on, done_at), due_on, done_at)
    # An open follow-up's day passed: overdue now.
    for follow_up, school in (FollowUp.objects.filter(
            done_at__isnull=True, due_on__gte=timezone.localdate(previous) - timedelta(days=1), due_on__lt=today)
            .values_list("id", "student__school_id")):
        only(school, ("overdue follow-up", follow_up, today))
    for referral, school, updated_at, referred_at, first_visit_at in (
            Referral.objects.filter(updated_at__gte=since)
            .values_list("id", "student__school_id", "updated_at", "referred_at", "first_visit_at")):
        only(school, ("referral", referral, updated_at), referred_at, first_visit_at)
    # Home visits done lately (the (school, status, done_on) index, once per school).
    for contact, school, updated_at, done_on in (
            FamilyContact.objects.filter(school_id__in=facts.school_ids(), status=FamilyContact.Status.DONE,
                                         kind=FamilyContact.Kind.HOME_VISIT,
                                         done_on__gte=timezone.localdate(since) - timedelta(days=LATE_VISIT_DAYS),
                                         updated_at__gte=since)
            .values_list("id", "student__school_id", "updated_at", "done_on")):
        from_month(school, ("visit", contact, updated_at), done_on)
    for review, school, created_at, finalised_at, incident_on in (
            IncidentReview.objects.filter(Q(created_at__gte=since) | Q(finalised_at__gte=since))
            .values_list("id", "school_id", "created_at", "finalised_at", "incident_on")):
        only(school, ("incident", review, created_at, finalised_at), incident_on)
    _screening(found, since=since, from_month=from_month)
    _students(found, since=since, from_month=from_month)
    return found


def recent_ids(model, column: str, since: datetime, *, page: int = 5000) -> int:
    """The lowest id from which every row of an append-mostly table with `column` at or after `since` is
    found: rows are inserted in time order, so walk back from the newest id in growing steps until a step
    holds a row older than `since` (no index on the time column needed)."""
    newest = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    if newest is None:
        return 0
    low = newest - page
    while low > 0:
        oldest = model.objects.filter(pk__gt=low).aggregate(v=Min(column))["v"]
        if oldest is not None and oldest < since:
            return low
        page *= 2
        low = newest - page
    return 0


def _screening(found, *, since: datetime, from_month) -> None:
    """Questionnaires handed in since `since`: their campaign targets' schools from the month they were
    handed in; and the other schools where those students finished a screening this school year (their
    latest screening now counts elsewhere)."""
    low = recent_ids(Submission, "received_at", since)
    rows = list(Submission.objects.filter(pk__gt=low, received_at__gte=since)
                .values_list("id", "target__school_id", "target__student_id", "received_at"))
    students: dict[int, tuple[int, datetime]] = {}
    for submission, school, student, received_at in rows:
        from_month(school, ("submission", submission), received_at)
        if student not in students or received_at < students[student][1]:
            students[student] = (submission, received_at)
    if not students:
        return
    year_start = facts.school_year_start(timezone.localdate(min(at for _s, at in students.values())))
    tz = timezone.get_current_timezone()
    for school, student in (CampaignTarget.objects.filter(
            student_id__in=list(students), finished_at__gte=datetime.combine(year_start, time.min, tzinfo=tz))
            .values_list("school_id", "student_id").distinct()):
        submission, received_at = students[student]
        from_month(school, ("submission elsewhere", submission, school), received_at)


def _students(found, *, since: datetime, from_month) -> None:
    """Students changed since `since` (placed in another class, left, marked as key students …): a move
    takes every record of the student along, whatever its date, so their schools now and lately are recomputed
    for every stored month (the writes find nothing to change when only a name was edited)."""
    changed = list(Student.objects.filter(updated_at__gte=since).values_list("id", "school_id", "updated_at"))
    if not changed:
        return
    first = facts.first_stored_month() or timezone.localdate(since)
    when = {student: updated_at for student, _school, updated_at in changed}
    for student, school, updated_at in changed:
        from_month(school, ("student", student, updated_at), first)
    for student, school in (Enrollment.objects.filter(
            student_id__in=list(when), ended_on__gte=timezone.localdate(since) - timedelta(days=7))
            .values_list("student_id", "school_id")):
        from_month(school, ("student left", student, when[student], school), first)
