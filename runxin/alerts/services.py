"""Writes about warnings (预警). One function per step; each validates, changes the warning with a conditional
UPDATE (so two people acting at once cannot both win), appends a WarningEvent in the same transaction and
records its notifications, which are delivered after commit.

Entry points for other apps:
  warning_raise_from_screening(...)  the screening app, when a scored result needs a warning
  warning_record_referral(...)       the case/referral app, when a student with a warning is referred
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from runxin.access import roles, scope
from runxin.notify import services as notify
from runxin.people.models import Student

from . import clock, network, states
from .models import (
    STATE_LABELS,
    FollowUp,
    Tier,
    Warning,
    WarningEvent,
    WarningLevel,
    WarningReport,
)

Source = Warning.Source
Kind = WarningEvent.Kind


class WarningError(ValueError):
    """A step the user asked for that cannot be done; the message says why, in the user's language."""


# The screening app's four suggestions. Which level each lands on is data (WarningLevel.screening_codes);
# "review" lands on a level (by default yellow) and marks the warning "needs review" (待复核), so a psychology
# teacher looks at the result before anything else happens.
SCREENING_SUGGESTIONS = ("critical", "high", "moderate", "review")

# Screening results whose instrument's own pathway asks for a brief safety assessment the same day: the ASQ's
# non-acute positive ("high"; also a refused question) needs it before the student leaves school (NIMH ASQ
# pathway), not on the level's ordinary clock. The acute positive is "critical" and immediate anyway.
SAME_DAY_SAFETY_ASSESSMENT = {"asq": {"high"}}

_DONE = {
    "acknowledge": gettext_lazy("acknowledged"),
    "assess": gettext_lazy("assessed"),
    "dismiss": gettext_lazy("dismissed"),
    "start_intervention": gettext_lazy("taken into intervention"),
    "monitor": gettext_lazy("moved to monitoring"),
    "request_clear": gettext_lazy("put forward for clearing"),
    "approve_clear": gettext_lazy("cleared"),
    "reject_clear": gettext_lazy("sent back to monitoring"),
    "return_to_normal": gettext_lazy("returned to normal"),
    "reopen": gettext_lazy("reopened"),
    "change_level": gettext_lazy("given another level"),
}
MAX_TEXT = 4000


# ---------------------------------------------------------------------------------------------------- levels

def active_levels() -> list[WarningLevel]:
    return list(WarningLevel.objects.filter(is_active=True).order_by("-severity"))


def entry_level() -> WarningLevel:
    """The level a lay report (peer, parent, the student) starts at: the least severe active level."""
    level = WarningLevel.objects.filter(is_active=True).order_by("severity").first()
    if level is None:
        raise WarningError(_("No warning level is active. Ask the city administrator to set up the levels."))
    return level


def level_for_screening(suggested_level: str, levels: list[WarningLevel] | None = None) -> WarningLevel:
    """The most severe active level that receives this screening suggestion (`levels`: the active levels, most
    severe first, when the caller has them in hand)."""
    if suggested_level not in SCREENING_SUGGESTIONS:
        raise ValueError(f"suggested_level must be one of {SCREENING_SUGGESTIONS}, not {suggested_level!r}")
    levels = active_levels() if levels is None else levels
    for level in levels:
        if suggested_level in (level.screening_codes or []):
            return level
    # A region that configured no level for this suggestion still gets a warning rather than silence.
    if suggested_level in ("moderate", "review"):
        return levels[-1] if levels else entry_level()
    if not levels:
        raise WarningError(_("No warning level is active. Ask the city administrator to set up the levels."))
    return levels[0]


def _minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def _due(level: WarningLevel, state: str, *, ack_pending: bool, now: datetime,
         assess_by: datetime | None = None) -> datetime | None:
    """When the next step is due. A same-day safety assessment (`assess_by`) caps the clocks before it."""
    minutes = states.timer_minutes(state, ack_pending=ack_pending, ack=level.ack_minutes,
                                   assess=level.assess_minutes, progress=level.progress_minutes)
    due = None if minutes is None else now + timedelta(minutes=minutes)
    if due is not None and assess_by is not None and state in (states.RAISED, states.ACKNOWLEDGED):
        due = min(due, assess_by)
    return due


# ----------------------------------------------------------------------------------------------- telling

def _placement(student: Student) -> str:
    parts = [student.school.name if student.school_id and student.school else "",
             student.school_class.name if student.school_class_id and student.school_class else ""]
    return " ".join(p for p in parts if p)


def _subject(warning: Warning) -> str:
    """A warning notification's subject, in the platform's language: the level and where, never the name."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(level)s warning #%(id)s · %(where)s") % {
            "level": warning.level.label(settings.LANGUAGE_CODE), "id": warning.pk,
            "where": _placement(warning.student)}


def _tell(warning: Warning, *, tiers, kind: str, event: WarningEvent, exclude: set[int] | None = None,
          text: str = "", channels=None) -> None:
    """Notify the people at `tiers` about a step of this warning. Recipients see the level and where, not the
    student's name: e-mail and SMS leave the platform, so they carry a link instead."""
    level = warning.level
    recipients = [uid for uid in network.people_at(warning.student, tiers) if uid not in (exclude or set())]
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = str(text)
    notify.notify(
        recipient_ids=recipients, kind=f"warning.{kind}", subject=_subject(warning), body=body,
        url=f"/alerts/{warning.pk}/", ref=f"warning:{warning.pk}",
        channels=channels if channels is not None else (level.channels or ["inbox"]),
        dedupe=f"warning:{warning.pk}:event:{event.pk}",
    )


def _record_tell(warning_id: int, **kwargs) -> None:
    """Record the notifications of a step in the step's own transaction (so a committed step is never left
    untold); the notify app delivers the outside channels after commit."""
    warning = Warning.objects.select_related("level", "student__school", "student__school_class").get(pk=warning_id)
    _tell(warning, **kwargs)


# ----------------------------------------------------------------------------------------------- raising

def _start_tier(level: WarningLevel, reporter, student: Student) -> int:
    """Where a new warning enters the network: the level's tier, but a report by class-tier staff (the head
    teacher, a mentor) has already gone up, so it starts at the school at least (班级上报学校) — or at the grade,
    where the level routes through it; a grade leader's report starts at the school."""
    tier = level.ack_tier
    acting = network.acting_tier(reporter, student, roles.ALERT_RAISE) if reporter is not None else None
    if acting in (states.CLASS, states.GRADE):
        tier = states.higher(tier, states.next_tier(acting, through_grade=level.routes_through_grade))
    return tier


def _lock_student(student: Student) -> None:
    # Reports about one student are serialised, so two arriving together join one warning.
    list(Student.objects.select_for_update().filter(pk=student.pk).values_list("pk", flat=True))


@transaction.atomic
def _report(*, student: Student, source: str, level: WarningLevel, reported_by=None, summary: str = "",
            reporter_name: str = "", reported_at: datetime | None = None, screening_result_id: str = "",
            instrument_code: str = "", reasons=(), needs_review: bool = False, urgency: str = "",
            risk_phrases=(), assess_by: datetime | None = None) -> Warning:
    """Record a report: it raises a warning, or joins the student's open one (raising its level when the
    report suggests a more severe one; reopening it when it was cleared and under continued attention)."""
    now = reported_at or clock.now()
    _lock_student(student)
    if screening_result_id:
        earlier = WarningReport.objects.filter(screening_result_id=screening_result_id).select_related("warning").first()
        if earlier is not None:
            return earlier.warning  # the same result reported again (a retry): nothing new
    warning = (Warning.objects.select_for_update().select_related("level")
               .filter(student=student, state__in=states.OPEN).first())
    report = WarningReport(
        source=source, reported_by=reported_by, reported_at=now, reporter_name=reporter_name[:100],
        summary=summary[:MAX_TEXT], suggested_level=level, screening_result_id=screening_result_id,
        instrument_code=instrument_code[:40], reasons=list(reasons), needs_review=needs_review,
        urgency=urgency, risk_phrases=list(risk_phrases),
    )
    # A peer reporter was promised that nobody else would know: only the care team sees who it was.
    protected = source == Source.PEER
    if warning is None:
        tier = _start_tier(level, reported_by, student)
        warning = Warning.objects.create(
            student=student, level=level, state=states.RAISED, tier=tier, ack_pending=True,
            due_at=_due(level, states.RAISED, ack_pending=True, now=now, assess_by=assess_by), source=source,
            needs_review=needs_review, raised_at=now, raised_by=reported_by, last_event_at=now, assess_by=assess_by,
        )
        report.warning = warning
        report.save()
        event = WarningEvent.objects.create(
            warning=warning, at=now, actor=reported_by, kind=Kind.RAISED, to_state=states.RAISED, to_level=level,
            to_tier=tier, reason=_source_line(source, reporter_name), actor_protected=protected,
        )
        _record_tell(warning.pk, tiers=sorted(set(level.notify_tiers) | {tier}), kind="raised", event=event,
                           exclude={reported_by.pk} if reported_by else None,
                           text=_("A new warning needs acknowledgement by %(due)s.")
                           % {"due": _local(warning.due_at)})
        return warning

    report.warning = warning
    report.save()
    event = WarningEvent.objects.create(
        warning=warning, at=now, actor=reported_by, kind=Kind.REPORT_JOINED, from_state=warning.state,
        to_state=warning.state, reason=_source_line(source, reporter_name), actor_protected=protected,
    )
    rises = level.severity > warning.level.severity
    updates: dict = {"last_event_at": now}
    if needs_review:
        updates["needs_review"] = True
    if assess_by is not None and (warning.assess_by is None or assess_by < warning.assess_by):
        # A same-day safety assessment now applies to the open warning too: it brings a running clock forward.
        updates["assess_by"] = assess_by
        if warning.state in (states.RAISED, states.ACKNOWLEDGED) and warning.due_at and warning.due_at > assess_by:
            updates["due_at"] = assess_by
    if warning.state == states.CLEARED:
        # A new concern during continued attention reopens the warning.
        target_level = level if rises else warning.level
        tier = _start_tier(target_level, reported_by, student)
        updates.update(state=states.RAISED, level=target_level, tier=tier, ack_pending=True,
                       due_at=_due(target_level, states.RAISED, ack_pending=True, now=now,
                                   assess_by=updates.get("assess_by", warning.assess_by)),
                       reopen_count=F("reopen_count") + 1, cleared_at=None)
        Warning.objects.filter(pk=warning.pk, state=states.CLEARED).update(**updates)
        event = WarningEvent.objects.create(
            warning=warning, at=now, actor=reported_by, kind=Kind.REOPENED, from_state=states.CLEARED,
            to_state=states.RAISED, from_level=warning.level, to_level=target_level, from_tier=warning.tier,
            to_tier=tier, reason=_("A new report arrived during continued attention."),
        )
        _record_tell(warning.pk, tiers=sorted(set(target_level.notify_tiers) | {tier}), kind="reopened",
                           event=event, exclude={reported_by.pk} if reported_by else None,
                           text=_("A cleared warning was reopened by a new report and needs acknowledgement."))
    elif rises:
        tier = states.higher(warning.tier, _start_tier(level, reported_by, student))
        updates.update(level=level, tier=tier, ack_pending=True,
                       due_at=_due(level, states.RAISED, ack_pending=True, now=now,
                                   assess_by=updates.get("assess_by", warning.assess_by)))
        Warning.objects.filter(pk=warning.pk).update(**updates)
        event = WarningEvent.objects.create(
            warning=warning, at=now, actor=reported_by, kind=Kind.LEVEL_CHANGED, from_state=warning.state,
            to_state=warning.state, from_level=warning.level, to_level=level, from_tier=warning.tier, to_tier=tier,
            reason=_("A further report suggests a more severe level."),
        )
        _record_tell(warning.pk, tiers=sorted(set(level.notify_tiers) | {tier}), kind="level_raised",
                           event=event, exclude={reported_by.pk} if reported_by else None,
                           text=_("A further report raised this warning's level; it needs acknowledgement "
                                  "within %(minutes)s minutes.") % {"minutes": level.ack_minutes})
    else:
        Warning.objects.filter(pk=warning.pk).update(**updates)
        _record_tell(warning.pk, tiers=[warning.tier], kind="report_joined", event=event,
                           exclude={reported_by.pk} if reported_by else None, channels=["inbox"],
                           text=_("A further report about this student joined the open warning."))
    warning.refresh_from_db()
    return warning


def _local(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def _source_line(source: str, reporter_name: str) -> str:
    label = str(Source(source).label)
    return f"{label}: {reporter_name}" if reporter_name else label


def warning_raise_from_screening(*, student: Student, result_id: str, suggested_level: str, reasons: list[str],
                                 instrument_code: str, raised_at: datetime | None = None) -> Warning:
    """Raise (or join) a warning for a scored screening result. Called by the screening app, no user acting.

    `suggested_level` is "critical", "high", "moderate" or "review"; the level it lands on is data
    (WarningLevel.screening_codes: by default critical → red, high → orange, moderate and review → yellow).
    "review" also marks the warning "needs review". Idempotent per `result_id`: a retry returns the same
    warning and adds nothing. Returns the student's open warning."""
    if not result_id:
        raise ValueError("result_id is required")
    level = level_for_screening(suggested_level)
    assess_by = _same_day(suggested_level, instrument_code, raised_at)
    try:
        return _report(
            student=student, source=Source.SCREENING, level=level, reported_at=raised_at,
            screening_result_id=str(result_id)[:64], instrument_code=instrument_code or "",
            reasons=[str(r) for r in (reasons or [])], needs_review=suggested_level == "review",
            assess_by=assess_by,
        )
    except IntegrityError:
        # Lost a race with the same result arriving twice at once: the other one recorded it.
        report = WarningReport.objects.select_related("warning").get(screening_result_id=str(result_id)[:64])
        return report.warning


def _same_day(suggested_level: str, instrument_code: str, raised_at: datetime | None) -> datetime | None:
    code = (instrument_code or "").lower()
    same_day = any(code == key or code.startswith(key + "-") or code.startswith(key + "_")
                   for key, levels in SAME_DAY_SAFETY_ASSESSMENT.items() if suggested_level in levels)
    return clock.same_day_deadline(raised_at or clock.now()) if same_day else None


@transaction.atomic
def warnings_raise_from_screening_many(flags: list[dict]) -> int:
    """warning_raise_from_screening for a batch of flags (the hand-over of a burst), in the caller's transaction.

    Each flag is a dict of warning_raise_from_screening's arguments (the student with school and class loaded).
    The common case — a student with no open warning, a result not reported before, once in the batch — is
    written set-wise: the students locked in one statement, then one INSERT each of warnings, reports and
    events, one read of the network's people and one of notifications per channel set, the same rows and the same
    notifications (the same dedupe keys) as one by one. Every other flag (a student with an open warning, whose
    report joins it or raises its level; a result reported before; a second flag for the same student) takes the
    single path afterwards. Returns how many flags were handled."""
    if not flags:
        return 0
    for flag in flags:
        if not flag.get("result_id"):
            raise ValueError("result_id is required")
    levels = active_levels()
    student_ids = sorted({flag["student"].pk for flag in flags})
    list(Student.objects.select_for_update().filter(pk__in=student_ids).order_by("pk").values_list("pk", flat=True))
    reported = set(WarningReport.objects.filter(screening_result_id__in=[str(f["result_id"])[:64] for f in flags])
                   .values_list("screening_result_id", flat=True))
    busy = set(Warning.objects.filter(student_id__in=student_ids, state__in=states.OPEN)
               .values_list("student_id", flat=True))
    simple, rest, seen = [], [], set()
    for flag in flags:
        student_id = flag["student"].pk
        if str(flag["result_id"])[:64] in reported or student_id in busy or student_id in seen:
            rest.append(flag)
        else:
            seen.add(student_id)
            simple.append(flag)
    if simple:
        _raise_new_many(simple, levels)
    for flag in rest:
        warning_raise_from_screening(**flag)
    return len(flags)


def _raise_new_many(flags: list[dict], levels: list[WarningLevel]) -> None:
    rows = []
    for flag in flags:
        level = level_for_screening(flag["suggested_level"], levels)
        now = flag.get("raised_at") or clock.now()
        assess_by = _same_day(flag["suggested_level"], flag.get("instrument_code", ""), flag.get("raised_at"))
        rows.append((flag, level, now, assess_by, level.ack_tier))
    warnings = Warning.objects.bulk_create([
        Warning(student=flag["student"], level=level, state=states.RAISED, tier=tier, ack_pending=True,
                due_at=_due(level, states.RAISED, ack_pending=True, now=now, assess_by=assess_by),
                source=Source.SCREENING, needs_review=flag["suggested_level"] == "review", raised_at=now,
                raised_by=None, last_event_at=now, assess_by=assess_by)
        for flag, level, now, assess_by, tier in rows])
    WarningReport.objects.bulk_create([
        WarningReport(warning=warning, source=Source.SCREENING, reported_at=now, suggested_level=level,
                      screening_result_id=str(flag["result_id"])[:64],
                      instrument_code=(flag.get("instrument_code") or "")[:40],
                      reasons=[str(r) for r in (flag.get("reasons") or [])],
                      needs_review=flag["suggested_level"] == "review")
        for warning, (flag, level, now, _assess_by, _tier) in zip(warnings, rows, strict=True)])
    reason = _source_line(Source.SCREENING, "")
    events = WarningEvent.objects.bulk_create([
        WarningEvent(warning=warning, at=now, kind=Kind.RAISED, to_state=states.RAISED, to_level=level, to_tier=tier,
                     reason=reason)
        for warning, (_flag, level, now, _assess_by, tier) in zip(warnings, rows, strict=True)])
    _tell_raised_many(warnings, events)


def _tell_raised_many(warnings: list[Warning], events: list[WarningEvent]) -> None:
    """The notifications of newly raised warnings, as _tell writes them one by one (same subject, text, link,
    channels and dedupe keys), in one read of the network and one insert per set of channels."""
    wanted = [(w, e, sorted(set(w.level.notify_tiers) | {w.tier})) for w, e in zip(warnings, events, strict=True)]
    people = network.people_at_many([(w.student, tiers) for w, _e, tiers in wanted])
    by_channels: dict[tuple[str, ...], list[dict]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for (warning, event, _tiers), recipients in zip(wanted, people, strict=True):
            subject = _subject(warning)
            body = str(_("A new warning needs acknowledgement by %(due)s.") % {"due": _local(warning.due_at)})
            channels = tuple(warning.level.channels or ["inbox"])
            for uid in recipients:
                by_channels.setdefault(channels, []).append({
                    "recipient_id": uid, "object_id": warning.pk, "event_id": event.pk, "subject": subject,
                    "body": body})
    for channels, rows in by_channels.items():
        notify.notify_many(source=rows, kind="warning.raised", channels=channels, subject="%(subject)s",
                           body="%(body)s", about="warning", event="event:%(event_id)s", url_name="alerts:detail")


def _clean_text(text: str, *, required: bool, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise WarningError(what)
    if len(text) > MAX_TEXT:
        raise WarningError(_("Please keep the text under %(n)s characters.") % {"n": MAX_TEXT})
    return text


# ------------------------------------------------------------------------------------------- transitions

def _refuse(action: str, state: str) -> WarningError:
    return WarningError(_("This warning is “%(state)s”, so it cannot be %(done)s now.")
                        % {"state": STATE_LABELS[state], "done": _DONE[action]})


def _target(action: str, warning: Warning) -> str:
    try:
        return states.target(action, warning.state)
    except states.TransitionRefused:
        raise _refuse(action, warning.state) from None


def _require(actor, warning: Warning, permission: str) -> None:
    """The actor must see this warning and hold `permission` for its student through their own roles."""
    from . import selectors

    if actor is None or not selectors.warnings_visible(actor).filter(pk=warning.pk).exists():
        raise PermissionDenied("warning out of scope")
    if permission not in scope.ordinary_permissions(actor, warning.student):
        raise PermissionDenied(permission)


def _reason(reason: str, *, required: bool) -> str:
    return _clean_text(reason, required=required, what=_("Give a reason: it is kept in the warning's history."))


def _apply(warning: Warning, *, actor, kind: str, to_state: str | None = None, reason: str = "",
           clinical_note: str = "", updates: dict | None = None, to_level: WarningLevel | None = None,
           to_tier: int | None = None, now: datetime, guard: dict | None = None) -> WarningEvent:
    """Move the warning with one conditional UPDATE (it must still be as the actor saw it) and append the event."""
    to_state = to_state or warning.state
    values = {"state": to_state, "last_event_at": now, **(updates or {})}
    if to_level is not None:
        values["level"] = to_level
    if to_tier is not None:
        values["tier"] = to_tier
    changed = Warning.objects.filter(pk=warning.pk, state=warning.state, level_id=warning.level_id,
                                     tier=warning.tier, **(guard or {})).update(**values)
    if changed != 1:
        raise WarningError(_("Someone else changed this warning a moment ago. Reload the page and try again."))
    return WarningEvent.objects.create(
        warning=warning, at=now, actor=actor, kind=kind, from_state=warning.state, to_state=to_state,
        from_level=warning.level if to_level is not None and to_level.pk != warning.level_id else None,
        to_level=to_level if to_level is not None and to_level.pk != warning.level_id else None,
        from_tier=warning.tier if to_tier is not None and to_tier != warning.tier else None,
        to_tier=to_tier if to_tier is not None and to_tier != warning.tier else None,
        reason=reason, clinical_note=clinical_note,
    )



# Values record_events() accepts as they are (or as expressions over the warning row, such as F("tier") - 1).
_EVENT_FIELDS = ("from_state", "to_state", "from_level", "to_level", "from_tier", "to_tier", "reason",
                 "clinical_note", "actor_protected")


def record_events(*, warnings, kind: str, at: datetime, actor=None, **values) -> int:
    """Append one WarningEvent per warning in `warnings`, set-based: the one writer of warning history in bulk.

    `warnings` is a Warning queryset (one INSERT … SELECT over it, whatever its size) or a list of Warnings
    (one bulk INSERT). `values` are the event's other columns (see _EVENT_FIELDS); with a queryset each may be
    an expression over the warning row, e.g. from_tier=F("tier") - 1, to_state=F("state"). The rows are
    append-only and hash-chained in the database (PostgreSQL) like every other event. Returns how many."""
    from django.db import connection
    from django.db.models import BooleanField, CharField, DateTimeField, IntegerField, TextField, Value
    from django.db.models.expressions import Combinable

    unknown = set(values) - set(_EVENT_FIELDS)
    if unknown:
        raise ValueError(f"record_events does not take {sorted(unknown)}")
    if kind not in Kind.values:
        raise ValueError(f"not a warning event kind: {kind!r}")
    defaults = {"from_state": "", "to_state": "", "reason": "", "clinical_note": "", "actor_protected": False}
    values = {**defaults, **values}
    if not hasattr(warnings, "query"):
        events = [WarningEvent(warning=w, at=at, actor=actor, kind=kind,
                               **{(f"{k}_id" if k in ("from_level", "to_level") and isinstance(v, int) else k): v
                                  for k, v in values.items()})
                  for w in warnings]
        WarningEvent.objects.bulk_create(events)
        return len(events)
    fields = {
        "from_state": CharField(), "to_state": CharField(), "from_level": IntegerField(), "to_level": IntegerField(),
        "from_tier": IntegerField(), "to_tier": IntegerField(), "reason": TextField(), "clinical_note": TextField(),
        "actor_protected": BooleanField(),
    }

    def expression(name, value):
        if isinstance(value, Combinable) or hasattr(value, "resolve_expression"):
            return value
        if isinstance(value, WarningLevel):
            value = value.pk
        return Value(value, output_field=fields[name])

    columns = {"warning_id": F("pk"), "at": Value(at, output_field=DateTimeField()),
               "actor_id": Value(getattr(actor, "pk", actor), output_field=IntegerField()),
               "kind": Value(kind, output_field=CharField())}
    columns.update({name: expression(name, value) for name, value in values.items()})
    aliases = {f"event_{name}": expr for name, expr in columns.items()}
    query = warnings.order_by().annotate(**aliases).values_list(*aliases)
    select_sql, params = query.query.sql_with_params()
    db_columns = [name if name in ("warning_id", "at", "actor_id", "kind") else
                  WarningEvent._meta.get_field(name).column for name in columns]
    sql = f"INSERT INTO alerts_warningevent ({', '.join(db_columns)}) {select_sql}"  # noqa: S608 - model columns
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount

def _reload(warning: Warning) -> Warning:
    return Warning.objects.select_related("level", "student__school", "student__school_class").get(pk=warning.pk)


def may_acknowledge(actor, warning: Warning) -> bool:
    """Centre staff (who see the warning); at the class or school, the roles the level's policy names. A
    warning escalated on the timer stays workable by the school team: escalation adds people, it does not
    take the case away."""
    level = warning.level
    for tier, role in network.acting_roles(actor, warning.student, roles.ALERT_HANDLE):
        if tier >= states.DISTRICT:
            return True
        if tier == states.GRADE:
            # The grade leader acts only where the level routes through the grade: on a level received at the
            # class or grade that names the role, and on any warning escalated to the grade; never on their own
            # report (it goes up to the school).
            if not level.routes_through_grade or warning.raised_by_id == actor.pk:
                continue
            if warning.tier == states.GRADE or (role in (level.ack_roles or [])
                                                and states.rank(level.ack_tier) <= states.rank(states.GRADE)):
                return True
            continue
        if role not in (level.ack_roles or []):
            continue
        # Class-tier staff acknowledge only levels received at the class, and never their own report: what
        # a head teacher reports goes up to the school (班级上报学校), or to the grade where the level routes
        # through it.
        if tier == states.CLASS and (states.rank(level.ack_tier) > states.rank(states.CLASS)
                                     or warning.raised_by_id == actor.pk):
            continue
        return True
    return False


@transaction.atomic
def warning_acknowledge(*, warning: Warning, actor, reason: str = "") -> Warning:
    """Acknowledge (接报确认) a new warning, or an escalation or level rise waiting at the actor's tier."""
    _require(actor, warning, roles.ALERT_HANDLE)
    if warning.state == states.RAISED:
        to_state = _target("acknowledge", warning)
    elif warning.ack_pending and warning.state in states.ACKNOWLEDGEABLE:
        to_state = warning.state
    else:
        if warning.state in states.ACKNOWLEDGEABLE:
            raise WarningError(_("This warning has already been acknowledged."))
        raise _refuse("acknowledge", warning.state)
    if not may_acknowledge(actor, warning):
        raise WarningError(_("A %(level)s warning is acknowledged by %(who)s, or by the district centre.")
                           % {"level": warning.level.label(translation.get_language() or "zh-hans"),
                              "who": "、".join(roles.role_label(r) for r in (warning.level.ack_roles or []))})
    now = clock.now()
    updates = {"ack_pending": False,
               "due_at": _due(warning.level, to_state, ack_pending=False, now=now, assess_by=warning.assess_by)}
    if warning.acknowledged_at is None:
        updates["acknowledged_at"] = now
    _apply(warning, actor=actor, kind=Kind.ACKNOWLEDGED, to_state=to_state, reason=_reason(reason, required=False),
           updates=updates, now=now, guard={"ack_pending": True})
    return _reload(warning)


def _level_change(warning: Warning, new_level: WarningLevel | None, now: datetime) -> tuple[dict, int | None, bool]:
    """Updates for a level change: a more severe level must be acknowledged again at its tier, on its clock."""
    if new_level is None or new_level.pk == warning.level_id:
        return {}, None, False
    if not new_level.is_active:
        raise WarningError(_("This level is no longer in use. Choose another."))
    if new_level.severity > warning.level.severity:
        tier = states.higher(warning.tier, new_level.ack_tier)
        return {"ack_pending": True, "due_at": now + timedelta(minutes=new_level.ack_minutes)}, tier, True
    return {}, None, False


@transaction.atomic
def warning_assess(*, warning: Warning, actor, confirm: bool, level: WarningLevel | None = None, reason: str = "",
                   clinical_note: str = "") -> Warning:
    """A psychology teacher's assessment (心理研判): confirm the warning (at its level or another) or dismiss
    it with a reason. A more severe level must then be acknowledged at its tier within its time."""
    _require(actor, warning, roles.ALERT_ASSESS)
    now = clock.now()
    clinical_note = _clean_text(clinical_note, required=False, what="")
    if not confirm:
        to_state = _target("dismiss", warning)
        _apply(warning, actor=actor, kind=Kind.DISMISSED, to_state=to_state, now=now, clinical_note=clinical_note,
               reason=_reason(reason, required=True),
               updates={"dismissed_at": now, "due_at": None, "ack_pending": False, "needs_review": False})
        return _reload(warning)
    to_state = _target("assess", warning)
    changing = level is not None and level.pk != warning.level_id
    reason = _reason(reason, required=changing)
    updates, tier, rises = _level_change(warning, level, now)
    if not rises:
        updates["due_at"] = _due(level or warning.level, to_state, ack_pending=warning.ack_pending, now=now)
    updates.update(assessed_at=now, needs_review=False)
    event = _apply(warning, actor=actor, kind=Kind.ASSESSED, to_state=to_state, reason=reason,
                   clinical_note=clinical_note, updates=updates, to_level=level if changing else None,
                   to_tier=tier, now=now)
    if rises:
        _record_tell(warning.pk, tiers=sorted(set(level.notify_tiers) | {tier}), kind="level_raised",
                           event=event, exclude={actor.pk},
                           text=_("The assessment raised this warning's level; it needs acknowledgement within "
                                  "%(minutes)s minutes.") % {"minutes": level.ack_minutes})
    return _reload(warning)


@transaction.atomic
def warning_change_level(*, warning: Warning, actor, level: WarningLevel, reason: str,
                         clinical_note: str = "") -> Warning:
    """Re-assess the level during handling. A more severe level must be acknowledged again at its tier."""
    _require(actor, warning, roles.ALERT_ASSESS)
    if warning.state not in states.LEVEL_CHANGEABLE:
        raise _refuse("change_level", warning.state)
    if level.pk == warning.level_id:
        raise WarningError(_("The warning already has this level."))
    now = clock.now()
    updates, tier, rises = _level_change(warning, level, now)
    event = _apply(warning, actor=actor, kind=Kind.LEVEL_CHANGED, reason=_reason(reason, required=True),
                   clinical_note=_clean_text(clinical_note, required=False, what=""), updates=updates,
                   to_level=level, to_tier=tier, now=now)
    if rises:
        _record_tell(warning.pk, tiers=sorted(set(level.notify_tiers) | {tier}), kind="level_raised",
                           event=event, exclude={actor.pk},
                           text=_("This warning's level was raised; it needs acknowledgement within "
                                  "%(minutes)s minutes.") % {"minutes": level.ack_minutes})
    return _reload(warning)


def _simple_step(action: str, kind: str, permission: str, *, reason_required: bool = False, extra=None,
                 says_what: str = ""):
    """Build a service for a plain transition: permission, state check, conditional update, event. With
    `says_what`, the step must say what is done, in the note or the clinical note (that message otherwise)."""

    @transaction.atomic
    def step(*, warning: Warning, actor, reason: str = "", clinical_note: str = "") -> Warning:
        _require(actor, warning, permission)
        if says_what and not (reason or "").strip() and not (clinical_note or "").strip():
            raise WarningError(str(says_what))
        to_state = _target(action, warning)
        now = clock.now()
        # A pending acknowledgement keeps its own clock running; otherwise the new state's clock starts.
        updates = {} if warning.ack_pending else {"due_at": _due(warning.level, to_state, ack_pending=False, now=now)}
        if extra:
            updates.update(extra(warning, actor, now))
        _apply(warning, actor=actor, kind=kind, to_state=to_state, now=now, updates=updates,
               reason=_reason(reason, required=reason_required),
               clinical_note=_clean_text(clinical_note, required=False, what=""))
        return _reload(warning)

    return step


# An intervention with nothing written is a red case "in intervention" that nobody can follow: say what it is.
warning_start_intervention = _simple_step(
    "start_intervention", Kind.INTERVENTION_STARTED, roles.ALERT_ASSESS,
    extra=lambda w, actor, now: {"monitoring_since": None, **({} if w.intervention_at else {"intervention_at": now})},
    says_what=gettext_lazy("Say what the intervention is: the plan and measures (or open a plan, 一生一策)."))
warning_start_intervention.__doc__ = "Start (or resume, from monitoring) the intervention plan; it says what it is."
warning_monitor = _simple_step("monitor", Kind.MONITORING_STARTED, roles.ALERT_ASSESS,
                               extra=lambda w, actor, now: {"monitoring_since": now})
warning_monitor.__doc__ = "The intervention has taken hold; the student is monitored."


def monitoring_started(warning: Warning) -> datetime | None:
    """Since when the student has been monitored without interruption (None: not in monitoring)."""
    if warning.state not in (states.MONITORING, states.CLEAR_REQUESTED):
        return None
    if warning.monitoring_since is not None:
        return warning.monitoring_since
    # Warnings that entered monitoring before the column existed: the last "monitoring" step.
    event = warning.events.filter(kind=Kind.MONITORING_STARTED).order_by("-at", "-id").first()
    return event.at if event else None


def monitoring_days(warning: Warning, now: datetime) -> int | None:
    since = monitoring_started(warning)
    return None if since is None else max(0, (now - since).days)


@transaction.atomic
def warning_request_clear(*, warning: Warning, actor, reason: str, clinical_note: str = "",
                          early_reason: str = "") -> Warning:
    """Put the warning forward for clearing (解除); the approvers at the level's clearing tier are told. Before
    the level's minimum time in monitoring this needs a written reason for asking early (kept in the history)."""
    _require(actor, warning, roles.ALERT_ASSESS)
    to_state = _target("request_clear", warning)
    now = clock.now()
    reason = _reason(reason, required=True)
    days = monitoring_days(warning, now) or 0
    minimum = warning.level.min_monitoring_days or 0
    if days < minimum:
        early_reason = _clean_text(early_reason, required=True, what=_(
            "The student has been monitored for %(days)s day(s); a %(level)s warning is monitored for at least "
            "%(min)s days before clearing is requested. To ask earlier, write why.") % {
            "days": days, "min": minimum, "level": warning.level.label(translation.get_language() or "zh-hans")})
        reason = _("%(reason)s\nAsked after %(days)s of %(min)s days in monitoring, because: %(why)s") % {
            "reason": reason, "days": days, "min": minimum, "why": early_reason}
    event = _apply(warning, actor=actor, kind=Kind.CLEAR_REQUESTED, to_state=to_state, now=now,
                   reason=reason,
                   clinical_note=_clean_text(clinical_note, required=False, what=""),
                   updates={"clear_requested_by": actor})
    _record_tell(warning.pk, tiers=[warning.level.clear_tier], kind="clear_requested", event=event,
                       exclude={actor.pk}, channels=["inbox"],
                       text=_("Clearing this warning has been requested and needs your approval."))
    return _reload(warning)


def may_approve_clear(actor, warning: Warning) -> bool:
    return any(states.rank(tier) >= states.rank(warning.level.clear_tier)
               for tier, _role in network.acting_roles(actor, warning.student, roles.ALERT_APPROVE_CLEAR))


@transaction.atomic
def warning_approve_clear(*, warning: Warning, actor, reason: str = "") -> Warning:
    """Approve clearing (解除) at the tier the level's policy names. The student then stays under continued
    attention (持续关注): the level's follow-up visits are scheduled. Nobody approves their own request."""
    _require(actor, warning, roles.ALERT_APPROVE_CLEAR)
    to_state = _target("approve_clear", warning)
    if not may_approve_clear(actor, warning):
        raise WarningError(_("Clearing a %(level)s warning is approved at the %(tier)s tier.")
                           % {"level": warning.level.label(translation.get_language() or "zh-hans"),
                              "tier": Tier(warning.level.clear_tier).label})
    if warning.clear_requested_by_id == actor.pk:
        raise WarningError(_("Someone other than the person who asked must approve clearing."))
    now = clock.now()
    event = _apply(warning, actor=actor, kind=Kind.CLEAR_APPROVED, to_state=to_state, now=now,
                   reason=_reason(reason, required=False),
                   updates={"cleared_at": now, "due_at": None, "ack_pending": False})
    today = timezone.localdate(now)
    FollowUp.objects.bulk_create([FollowUp(warning=warning, student_id=warning.student_id, created_at=now,
                                           due_on=today + timedelta(days=int(days)))
                                  for days in sorted({int(d) for d in (warning.level.follow_up_days or [])})])
    _record_tell(warning.pk, tiers=sorted(set(warning.level.notify_tiers) | {warning.tier}), kind="cleared",
                       event=event, exclude={actor.pk}, channels=["inbox"],
                       text=_("This warning was cleared (解除); the student stays under continued attention."))
    return _reload(warning)


warning_reject_clear = _simple_step("reject_clear", Kind.CLEAR_REJECTED, roles.ALERT_APPROVE_CLEAR,
                                    reason_required=True)
warning_reject_clear.__doc__ = "Refuse a clearing request with a reason; the warning goes back to monitoring."


@transaction.atomic
def warning_record_follow_up(*, warning: Warning, actor, follow_up_id: int, note: str) -> Warning:
    """Record a follow-up visit (回访) during continued attention."""
    _require(actor, warning, roles.ALERT_HANDLE)
    note = _clean_text(note, required=True, what=_("Write what the follow-up found."))
    now = clock.now()
    done = FollowUp.objects.filter(pk=follow_up_id, warning=warning, done_at__isnull=True).update(
        done_at=now, done_by=actor, note=note)
    if not done:
        raise WarningError(_("This follow-up has already been recorded."))
    _apply(warning, actor=actor, kind=Kind.FOLLOW_UP_DONE, now=now, reason=note,
           updates={} if warning.revisited_at else {"revisited_at": now})
    return _reload(warning)


@transaction.atomic
def warning_record_visit(*, warning: Warning, actor, note: str) -> Warning:
    """Record a follow-up visit (回访) while the warning is still being handled: it counts as "revisited" in
    the provincial figures and appears in the case's follow-ups."""
    _require(actor, warning, roles.ALERT_HANDLE)
    if warning.state not in states.CURRENT:
        raise WarningError(_("Follow-up visits of a cleared warning are recorded against the scheduled visits."))
    note = _clean_text(note, required=True, what=_("Write what the follow-up found."))
    now = clock.now()
    FollowUp.objects.create(warning=warning, student_id=warning.student_id, origin=FollowUp.Origin.VISIT,
                            created_at=now, due_on=timezone.localdate(now), done_at=now, done_by=actor, note=note)
    _apply(warning, actor=actor, kind=Kind.FOLLOW_UP_DONE, now=now, reason=note,
           updates={} if warning.revisited_at else {"revisited_at": now})
    return _reload(warning)


# ------------------------------------------------------------------------------ follow-ups from cases

@transaction.atomic
def follow_up_schedule(*, student: Student, due_on, origin: str, actor=None, origin_id: int | None = None,
                       warning: Warning | None = None, assigned_to=None, note: str = "") -> FollowUp:
    """Schedule a follow-up (回访) for a student: from a case plan, after a hospital discharge, or while a warning
    is open. The caller (the plan or referral service) has checked the actor may act for this student; a
    warning, when given, must be the student's."""
    if origin not in FollowUp.Origin.values:
        raise ValueError(f"unknown follow-up origin {origin!r}")
    if warning is not None and warning.student_id != student.pk:
        raise WarningError(_("That warning is about another student."))
    return FollowUp.objects.create(student=student, warning=warning, origin=origin, origin_id=origin_id,
                                   assigned_to=assigned_to, due_on=due_on, note=note.strip(),
                                   created_at=clock.now())


FOLLOW_UP_AHEAD_DAYS = 366


def follow_up_candidates(student: Student) -> list[tuple[int, str]]:
    """Who may be made responsible for a follow-up of this student: the people of the warning network around
    the student at the class, grade and school tiers (head teacher, grade leader, psychology teacher, school
    leader) and the student's mentors, as (user id, "name · role")."""
    from runxin.people.models import MentorPair

    ids = network.people_at(student, [states.CLASS, states.GRADE, states.SCHOOL])
    labels: dict[int, str] = {}
    for user_id, name, username, role in (
            network.active_assignments().filter(user_id__in=ids, user__is_active=True)
            .filter(org_unit_id__in=[u for u in (student.school_class_id, student.grade_id, student.school_id) if u])
            .values_list("user_id", "user__display_name", "user__username", "role").order_by("role", "user_id")):
        labels.setdefault(user_id, f"{name or username} · {roles.role_label(role)}")
    for user_id, name, username in (MentorPair.objects.filter(student_id=student.pk, is_active=True,
                                                              mentor__is_active=True)
                                    .values_list("mentor_id", "mentor__display_name", "mentor__username")):
        labels.setdefault(user_id, f"{name or username} · {roles.role_label('mentor')}")
    return sorted(labels.items(), key=lambda item: item[1])


@transaction.atomic
def warning_schedule_follow_up(*, warning: Warning, actor, due_on, assigned_to_id: int | None = None,
                               note: str = "") -> FollowUp:
    """While a warning is being handled, schedule a follow-up (回访) with a due date and a responsible person from
    the people around the student (follow_up_candidates; none: whoever handles the warning). The responsible
    person is told in the inbox; it is first in their queue once overdue."""
    _require(actor, warning, roles.ALERT_HANDLE)
    if warning.state not in states.OPEN:
        raise WarningError(_("Follow-ups are scheduled while the warning is open."))
    today = timezone.localdate(clock.now())
    if due_on is None:
        raise WarningError(_("Give the day the follow-up is due."))
    if due_on < today:
        raise WarningError(_("The follow-up is due today or later."))
    if due_on > today + timedelta(days=FOLLOW_UP_AHEAD_DAYS):
        raise WarningError(_("Schedule the follow-up within the coming year."))
    assigned_to = None
    if assigned_to_id:
        if assigned_to_id not in dict(follow_up_candidates(warning.student)):
            raise WarningError(_("Choose the responsible person from the people offered."))
        from django.contrib.auth import get_user_model

        assigned_to = get_user_model().objects.get(pk=assigned_to_id)
    follow_up = follow_up_schedule(student=warning.student, due_on=due_on, origin=FollowUp.Origin.WARNING,
                                   actor=actor, origin_id=warning.pk, warning=warning, assigned_to=assigned_to,
                                   note=_clean_text(note, required=False, what=""))
    if assigned_to is not None and assigned_to.pk != actor.pk:
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("A follow-up (回访) is yours, due %(day)s") % {"day": due_on.isoformat()}
            body = _("%(who)s made you responsible for a follow-up of warning #%(id)s.") % {
                "who": str(actor), "id": warning.pk}
        notify.notify(recipient_ids=[assigned_to.pk], kind="follow_up.assigned", subject=subject, body=body,
                      url=reverse("alerts:follow_up", args=[follow_up.pk]), ref=f"follow_up:{follow_up.pk}", channels=["inbox"],
                      dedupe=f"follow_up:{follow_up.pk}:assigned")
    return follow_up


def may_record_follow_up(actor, follow_up: FollowUp) -> bool:
    """The responsible person, or anyone who handles warnings or plans the case for the student."""
    if follow_up.assigned_to_id is not None and follow_up.assigned_to_id == actor.pk:
        return True
    student = follow_up.student if follow_up.student_id else None
    return student is not None and bool({roles.ALERT_HANDLE, roles.CASE_PLAN}
                                        & scope.ordinary_permissions(actor, student))


def follow_ups_hand_over(*, student: Student, to_user) -> int:
    """A student's open follow-ups go to the new school's case lead when the case moves with the student (the old
    team no longer reaches the student, so they would otherwise be nobody's). `to_user` None leaves them unassigned,
    for whoever handles the student's warnings. Returns how many moved."""
    return FollowUp.objects.filter(student=student, done_at__isnull=True).update(assigned_to=to_user)


@transaction.atomic
def follow_up_done(*, follow_up: FollowUp, actor, note: str) -> FollowUp:
    """Record a scheduled follow-up as done; with a warning, the warning's timeline records it as well. The
    actor is its responsible person or someone who handles warnings or plans the case for the student."""
    if not may_record_follow_up(actor, follow_up):
        raise PermissionDenied(roles.ALERT_HANDLE)
    note = _clean_text(note, required=True, what=_("Write what the follow-up found."))
    now = clock.now()
    if not FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(done_at=now, done_by=actor,
                                                                                  note=note):
        raise WarningError(_("This follow-up has already been recorded."))
    if follow_up.warning_id:
        warning = Warning.objects.get(pk=follow_up.warning_id)
        _apply(warning, actor=actor, kind=Kind.FOLLOW_UP_DONE, now=now, reason=note,
               updates={} if warning.revisited_at else {"revisited_at": now})
    follow_up.refresh_from_db()
    return follow_up


# ------------------------------------------------------------------------------ handing up (服务升级)

HAND_UP_STATES = frozenset({states.ASSESSED, states.INTERVENTION, states.MONITORING})


@transaction.atomic
def warning_hand_up(*, warning: Warning, actor, reason: str, clinical_note: str = "") -> Warning:
    """After assessment, the school hands a complex case up to the district centre (服务升级 / 转介区中心), by
    decision rather than on the timer. The centre must accept it within the level's acknowledgement time (or
    the timer moves it on to the city); the school keeps the case in view and keeps working it."""
    _require(actor, warning, roles.ALERT_HAND_UP)
    if warning.state not in HAND_UP_STATES:
        raise WarningError(_("A case is handed up to the district centre after it has been assessed."))
    if warning.handed_up_at is not None:
        raise WarningError(_("This case has already been handed up to the district centre."))
    reason = _reason(reason, required=True)
    now = clock.now()
    tier = max(warning.tier, states.DISTRICT)
    event = _apply(warning, actor=actor, kind=Kind.HANDED_UP, now=now, reason=reason, to_tier=tier,
                   clinical_note=_clean_text(clinical_note, required=False, what=""),
                   updates={"handed_up_at": now, "handed_up_by": actor,
                            "due_at": now + timedelta(minutes=warning.level.ack_minutes)},
                   guard={"handed_up_at__isnull": True})
    _record_tell(warning.pk, tiers=[states.DISTRICT], kind="handed_up", event=event, exclude={actor.pk},
                 channels=warning.level.channels or ["inbox"],
                 text=_("A school handed this case up to the district centre; accept it by %(due)s.")
                 % {"due": _local(now + timedelta(minutes=warning.level.ack_minutes))})
    return _reload(warning)


def may_accept_hand_up(actor, warning: Warning) -> bool:
    return (warning.handed_up_at is not None and warning.hand_up_accepted_at is None
            and any(tier >= states.DISTRICT for tier, _role in
                    network.acting_roles(actor, warning.student, roles.ALERT_ASSESS)))


@transaction.atomic
def warning_accept_hand_up(*, warning: Warning, actor, reason: str = "", clinical_note: str = "") -> Warning:
    """The district centre accepts a case handed up by the school and becomes responsible for it; the school
    is told and stays in the loop."""
    _require(actor, warning, roles.ALERT_ASSESS)
    if warning.handed_up_at is None:
        raise WarningError(_("This case has not been handed up to the district centre."))
    if warning.hand_up_accepted_at is not None:
        raise WarningError(_("The district centre has already accepted this case."))
    if not may_accept_hand_up(actor, warning):
        raise WarningError(_("A case handed up is accepted by the district centre."))
    now = clock.now()
    due = warning.due_at if warning.ack_pending else _due(warning.level, warning.state, ack_pending=False, now=now,
                                                          assess_by=warning.assess_by)
    event = _apply(warning, actor=actor, kind=Kind.HAND_UP_ACCEPTED, now=now,
                   reason=_reason(reason, required=False),
                   clinical_note=_clean_text(clinical_note, required=False, what=""),
                   updates={"hand_up_accepted_at": now, "hand_up_accepted_by": actor, "due_at": due},
                   guard={"hand_up_accepted_at__isnull": True})
    _record_tell(warning.pk, tiers=[states.CLASS, states.SCHOOL], kind="hand_up_accepted", event=event,
                 exclude={actor.pk}, channels=["inbox"],
                 text=_("The district centre accepted this case and is now responsible for it; the school stays "
                        "in the loop."))
    return _reload(warning)


@transaction.atomic
def warning_return_to_normal(*, warning: Warning, actor, reason: str = "") -> Warning:
    """End continued attention once every scheduled follow-up has been recorded."""
    _require(actor, warning, roles.ALERT_ASSESS)
    to_state = _target("return_to_normal", warning)
    open_count = warning.follow_ups.filter(done_at__isnull=True).count()
    if open_count:
        raise WarningError(_("%(n)s follow-up visit(s) are still to be recorded before the student returns to "
                             "normal.") % {"n": open_count})
    now = clock.now()
    _apply(warning, actor=actor, kind=Kind.RETURNED_TO_NORMAL, to_state=to_state, now=now,
           reason=_reason(reason, required=False), updates={"closed_at": now})
    return _reload(warning)


@transaction.atomic
def warning_reopen(*, warning: Warning, actor, reason: str) -> Warning:
    """Reopen a cleared, closed or dismissed warning: it starts again from raised, at its level's tier."""
    _require(actor, warning, roles.ALERT_ASSESS)
    to_state = _target("reopen", warning)
    reason = _reason(reason, required=True)
    if warning.state != states.CLEARED:
        _lock_student(warning.student)
        other = Warning.objects.filter(student_id=warning.student_id, state__in=states.OPEN).exclude(pk=warning.pk).first()
        if other is not None:
            raise WarningError(_("This student already has an open warning (#%(id)s); add to that one instead.")
                               % {"id": other.pk})
    now = clock.now()
    level = warning.level
    tier = level.ack_tier
    event = _apply(warning, actor=actor, kind=Kind.REOPENED, to_state=to_state, now=now, reason=reason, to_tier=tier,
                   updates={"ack_pending": True, "due_at": now + timedelta(minutes=level.ack_minutes),
                            "reopen_count": F("reopen_count") + 1, "cleared_at": None, "closed_at": None,
                            "dismissed_at": None, "clear_requested_by": None})
    _record_tell(warning.pk, tiers=sorted(set(level.notify_tiers) | {tier}), kind="reopened", event=event,
                       exclude={actor.pk}, text=_("A warning was reopened and needs acknowledgement."))
    return _reload(warning)


@transaction.atomic
def warning_record_referral(*, warning: Warning, actor, reason: str) -> Warning:
    """Record that the student was referred (转介: to the district centre or a partner hospital). Counted as
    "referred" in the provincial figures. The referral itself is managed by the referral app."""
    _require(actor, warning, roles.ALERT_ASSESS)
    if warning.state not in states.CURRENT:
        raise WarningError(_("Only a warning that is being handled can record a referral."))
    now = clock.now()
    _apply(warning, actor=actor, kind=Kind.REFERRED, now=now, reason=_reason(reason, required=True),
           updates={} if warning.referred_at else {"referred_at": now})
    return _reload(warning)


# ---------------------------------------------------------------------------------------------- levels

@transaction.atomic
def level_save(*, actor, level: WarningLevel) -> WarningLevel:
    """Save a warning level and its policy as edited by the city administrator (validated by LevelForm).
    Warnings keep their level; new clocks use the new times from the next step on."""
    if not scope.has_permission(actor, roles.ALERT_LEVELS):
        raise PermissionDenied(roles.ALERT_LEVELS)
    if level.pk is None and WarningLevel.objects.filter(code=level.code).exists():
        raise WarningError(_("A level with this code exists already."))
    if not level.is_active and level.pk and not WarningLevel.objects.filter(is_active=True).exclude(pk=level.pk).exists():
        raise WarningError(_("At least one level must stay active."))
    level.save()
    return level
