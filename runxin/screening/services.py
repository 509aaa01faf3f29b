"""Writes for screening: instruments, campaigns, consent, answers, submissions and the warning hand-over.

Every function here validates before it writes, writes in one transaction, and schedules what follows a
write (handing a flagged result to the warnings app) with `transaction.on_commit`. Reads live in
selectors.py; scoring itself is the pure core in core/.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.models import GroupMembership, SpecialGroup, Student

from . import consent, draft_store, flow, submission_store
from .core.definition import InstrumentDefinition
from .core.fhir import FhirError, questionnaire_to_definition, unbundle
from .core.fhir_shape import found as fhir_found
from .core.loader import SHIPPED_DIR, list_shipped, score_payload
from .core.publishing import publish_problems
from .core.risk import risk_signal
from .core.scoring import AnswerError, check_answers, score
from .core.validation import DefinitionError, parse_definition
from .models import (
    Campaign,
    CampaignEvent,
    CampaignInstrument,
    CampaignTarget,
    ConsentRecord,
    Instrument,
    InstrumentVersion,
    Reminder,
    ResponseDraft,
    Result,
    ScreeningFlag,
    Submission,
)

logger = logging.getLogger("runxin.screening")

# Levels of risk_signal() that are handed to the warnings app. "review" is included on purpose: an
# implausible answer pattern is never silently treated as "no risk"; a person has to look at it.
WARN_LEVELS = frozenset(getattr(settings, "SCREENING_WARN_LEVELS", ("critical", "high", "review", "moderate")))
RISK_RANK = {"none": 0, "moderate": 1, "review": 2, "high": 3, "critical": 4}
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on phones
CODE_LENGTH = 8
MAX_TEXT_ANSWER = 2000  # characters in a free-text answer (ASQ "please describe" …)


class ScreeningError(ValueError):
    """A request the rules refuse, with a message fit to show to the person who made it."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


def _now() -> datetime:
    return timezone.now()


def _event(campaign: Campaign, kind: str, actor=None, **detail) -> None:
    CampaignEvent.objects.create(campaign=campaign, at=_now(), actor=actor, kind=kind, detail=detail)


# --- instruments ---------------------------------------------------------------------------------------

_DEFINITIONS: dict[tuple[int, str], InstrumentDefinition] = {}


def definition_of(version: InstrumentVersion) -> InstrumentDefinition:
    """The checked definition of a stored version, parsed once per process (versions never change)."""
    key = (version.pk, version.sha256)
    found = _DEFINITIONS.get(key)
    if found is None:
        found = parse_definition(version.definition)
        if len(_DEFINITIONS) > 500:
            _DEFINITIONS.clear()
        _DEFINITIONS[key] = found
    return found


def definition_sha256(data: Mapping) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def instrument_version_add(*, definition: InstrumentDefinition, source: str, user=None) -> tuple[InstrumentVersion, bool]:
    """Store a checked definition as a new (unpublished unless shipped) version; (version, created).

    The same definition again is no change; a different definition under an existing version number is
    refused, because results already scored must keep pointing at exactly what scored them."""
    data = definition.to_dict()
    digest = definition_sha256(data)
    instrument, _created = Instrument.objects.get_or_create(code=definition.code, defaults={"title": dict(definition.title)})
    existing = InstrumentVersion.objects.filter(instrument=instrument, version=definition.version).first()
    if existing is not None:
        if existing.sha256 == digest:
            return existing, False
        raise ScreeningError(_("%(code)s version %(version)s already exists with a different definition. "
                               "Give the changed definition a new version number.")
                             % {"code": definition.code, "version": definition.version})
    shipped = source == InstrumentVersion.Source.SHIPPED
    version = InstrumentVersion.objects.create(
        instrument=instrument, version=definition.version, definition=data, sha256=digest, source=source,
        respondent=definition.respondent, grades=list(definition.grades), uploaded_by=user,
        is_published=shipped, published_at=_now() if shipped else None,
    )
    if not shipped:
        Instrument.objects.filter(pk=instrument.pk).update(title=dict(definition.title))
    return version, True


@dataclass(frozen=True)
class Upload:
    version: InstrumentVersion
    created: bool
    notes: tuple[str, ...]


def instrument_upload(*, user, text: str, scoring_text: str = "", code: str = "", version: str = "") -> Upload:
    """Check and store an uploaded definition: our JSON format, or a FHIR R4 Questionnaire (alone or in a
    Bundle with the ValueSets it references; `scoring_text` may add our scoring rules to a foreign one, and
    `code`/`version` name it when the Questionnaire does not).
    Raises ScreeningError listing every problem; nothing is stored then."""
    data = _json_or_error(text, _("The file"))
    if not isinstance(data, dict):
        raise ScreeningError(_("The file must hold one JSON object: a runxin definition or a FHIR Questionnaire."),
                             [f"(root): expected an object, found {fhir_found(data)}"])
    if "resourceType" in data:
        scoring = _json_or_error(scoring_text, _("The scoring rules")) if scoring_text.strip() else None
        try:
            questionnaire, value_sets = unbundle(data)
            if not version and "version" not in questionnaire:
                raise ScreeningError(_("The Questionnaire has no version. Enter the version to store it under."))
            imported = questionnaire_to_definition(questionnaire, value_sets=value_sets, scoring=scoring,
                                                   code=code or None, version=version or None)
        except (FhirError, DefinitionError) as exc:
            raise ScreeningError(_("The FHIR Questionnaire could not be imported."), exc.problems) from exc
        version, created = instrument_version_add(definition=imported.definition, source=InstrumentVersion.Source.FHIR,
                                                  user=user)
        return Upload(version, created, tuple(imported.notes))
    try:
        definition = parse_definition(data)
    except DefinitionError as exc:
        raise ScreeningError(_("The definition has problems; nothing was saved."), exc.problems) from exc
    version, created = instrument_version_add(definition=definition, source=InstrumentVersion.Source.UPLOAD, user=user)
    return Upload(version, created, ())


def _json_or_error(text: str, what: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScreeningError(_("%(what)s is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                             % {"what": what, "error": exc.msg, "line": exc.lineno, "column": exc.colno}) from exc


@transaction.atomic
def instrument_publish(*, user, version: InstrumentVersion, not_scored: bool = False) -> InstrumentVersion:
    """Make a version available to campaigns. Publishing twice changes nothing.

    Scored, it needs bands (and critical items when it asks about self-harm): a definition without them
    would score every student "no risk". `not_scored` publishes it to collect answers only; its results
    then show "not scored". Raises ScreeningError listing what is missing."""
    if not not_scored and not version.is_published:
        problems = publish_problems(definition_of(version))
        if problems:
            raise ScreeningError(_("This version has no complete scoring rules, so it cannot be published as "
                                   "scored. Add them in a new version, or publish it as not scored "
                                   "(collect only)."), problems)
    updated = InstrumentVersion.objects.filter(pk=version.pk, is_published=False).update(
        is_published=True, published_at=_now(), published_by=user, not_scored=not_scored)
    version.refresh_from_db()
    if updated:
        logger.info("instrument %s published by %s", version, user)
    return version


@transaction.atomic
def instrument_version_delete(*, user, version: InstrumentVersion) -> None:
    """Delete a version nobody used. A version that scored a result, or that a campaign names, stays."""
    if Result.objects.filter(instrument_version=version).exists():
        raise ScreeningError(_("This version scored results, so it is kept for as long as they are."))
    if CampaignInstrument.objects.filter(version=version).exists():
        raise ScreeningError(_("A campaign uses this version, so it cannot be deleted."))
    instrument = version.instrument
    version.delete()
    if not instrument.versions.exists():
        instrument.delete()


def instruments_load_shipped() -> list[tuple[str, str, str]]:
    """Store every shipped definition that is not in the database yet (run after each migrate).
    Returns (code, version, "added" | "present" | "conflict: …") per shipped file."""
    report = []
    for code in list_shipped():
        try:
            definition = parse_definition(json.loads((SHIPPED_DIR / f"{code}.json").read_text(encoding="utf-8")))
            _version, created = instrument_version_add(definition=definition, source=InstrumentVersion.Source.SHIPPED)
            report.append((code, definition.version, "added" if created else "present"))
        except (DefinitionError, ScreeningError, ValueError) as exc:
            report.append((code, "?", f"conflict: {exc}"))
    return report


def score_preview(version: InstrumentVersion, answers_text: str) -> dict:
    """Score answers typed on the instrument's admin page without storing anything (the `runxin score`
    check in the browser). Raises ScreeningError with the problems."""
    data = _json_or_error(answers_text, _("The answers"))
    if not isinstance(data, dict):
        raise ScreeningError(_("The answers must be a JSON object mapping item ids to option values."))
    try:
        return score_payload(definition_of(version), data)
    except AnswerError as exc:
        raise ScreeningError(_("The answers do not fit this instrument."), exc.problems) from exc


# --- campaigns -----------------------------------------------------------------------------------------


@dataclass
class CampaignSpec:
    """What a campaign form says; the services check it before anything is written."""

    name: str
    kind: str
    owner: OrgUnit
    window_start: date
    window_end: date
    consent_mode: str
    versions: list[InstrumentVersion]
    grades: list[int]
    groups: list[SpecialGroup]
    key_students: bool
    student_numbers: list[str]
    interval_days: int | None = None
    round_days: int | None = None


def _check_spec(user, spec: CampaignSpec) -> list[Student]:
    if spec.owner.kind not in {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.SCHOOL}:
        raise ScreeningError(_("A campaign is run by a city, a district or a school."))
    if not scope.unit_permission(user, spec.owner, roles.SCREENING_MANAGE):
        raise ScreeningError(_("You cannot run campaigns for %(unit)s.") % {"unit": spec.owner.name})
    if spec.window_end < spec.window_start:
        raise ScreeningError(_("The window closes before it opens."))
    if not spec.versions:
        raise ScreeningError(_("Choose at least one instrument."))
    for version in spec.versions:
        if not version.is_published or version.respondent not in {consent.STUDENT, consent.PARENT}:
            raise ScreeningError(_("%(version)s is not a published questionnaire for students or parents.")
                                 % {"version": version})
    if len({v.respondent for v in spec.versions}) > 1:
        # One campaign, one person answering: a student's pass and a parent's pass never share a questionnaire.
        by_parents = ", ".join(str(v) for v in spec.versions if v.respondent == consent.PARENT)
        raise ScreeningError(_("A campaign is answered by students or by parents, not both: %(versions)s are "
                               "answered by parents. Put them in a campaign of their own.") % {"versions": by_parents})
    if len({v.instrument_id for v in spec.versions}) != len(spec.versions):
        raise ScreeningError(_("Each instrument can be in a campaign once."))
    if any(not 1 <= g <= 12 for g in spec.grades):
        raise ScreeningError(_("Grades run from 1 to 12."))
    listed = _listed_students(user, spec)
    if spec.kind == Campaign.Kind.UNIVERSAL and not spec.grades:
        raise ScreeningError(_("Choose the grades a universal screening covers."))
    if spec.kind == Campaign.Kind.TARGETED and not (spec.groups or listed):
        raise ScreeningError(_("A targeted screening needs a group or a list of students."))
    if spec.kind == Campaign.Kind.MONITORING:
        if not (spec.key_students or listed):
            raise ScreeningError(_("Monitoring needs the key students or a list of students."))
        if not spec.interval_days or not spec.round_days:
            raise ScreeningError(_("Monitoring needs how often it repeats and how long each round stays open."))
        if spec.round_days > spec.interval_days:
            raise ScreeningError(_("A round cannot stay open longer than the time between rounds."))
    return listed


def _listed_students(user, spec: CampaignSpec) -> list[Student]:
    """The students named by number, each checked to be placed under the campaign's unit and visible."""
    numbers = list(dict.fromkeys(n.strip() for n in spec.student_numbers if n.strip()))
    if not numbers:
        return []
    found = {
        s.student_number: s
        for s in scope.students(user, roles.STUDENT_ROSTER).filter(student_number__in=numbers)
        & scope.students_under(spec.owner)
    }
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise ScreeningError(_("These student numbers are not students of %(unit)s you can see: %(numbers)s")
                             % {"unit": spec.owner.name, "numbers": ", ".join(unknown[:20])})
    return [found[n] for n in numbers]


def _write_spec(campaign: Campaign, spec: CampaignSpec, listed: list[Student]) -> None:
    for field in ("name", "kind", "owner", "window_start", "window_end", "consent_mode", "interval_days", "round_days"):
        setattr(campaign, field, getattr(spec, field))
    campaign.target_grades = sorted(set(spec.grades))
    campaign.target_key_students = spec.key_students
    if spec.kind != Campaign.Kind.MONITORING:
        campaign.interval_days = campaign.round_days = None
    campaign.save()
    campaign.target_groups.set(spec.groups)
    campaign.listed_students.set(listed)
    campaign.instruments.all().delete()
    CampaignInstrument.objects.bulk_create(
        CampaignInstrument(campaign=campaign, version=v, position=n) for n, v in enumerate(spec.versions, start=1))


@transaction.atomic
def campaign_create(*, user, spec: CampaignSpec) -> Campaign:
    """A draft campaign. Nobody is targeted until it is opened."""
    listed = _check_spec(user, spec)
    campaign = Campaign(created_by=user)
    _write_spec(campaign, spec, listed)
    _event(campaign, "created", user)
    return campaign


@transaction.atomic
def campaign_update(*, user, campaign: Campaign, spec: CampaignSpec) -> Campaign:
    """Change a draft. An open campaign's instruments and targets are fixed: results depend on them."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.DRAFT:
        raise ScreeningError(_("Only a draft campaign can be changed."))
    _check_manage(user, campaign)
    listed = _check_spec(user, spec)
    _write_spec(campaign, spec, listed)
    _event(campaign, "changed", user)
    return campaign


_RESPONDENTS: dict[tuple[int, str], str] = {}


def campaign_respondent(campaign: Campaign) -> str:
    """Who answers a campaign: consent.STUDENT or consent.PARENT (its instruments share one, _check_spec).
    Cached per process once the campaign is open: an open campaign's instruments never change."""
    key = (campaign.pk, campaign.opened_at.isoformat() if campaign.opened_at else "")
    found = _RESPONDENTS.get(key)
    if found is None:
        by_parents = CampaignInstrument.objects.filter(campaign_id=campaign.pk, version__respondent=consent.PARENT)
        found = consent.PARENT if by_parents.exists() else consent.STUDENT
        if campaign.opened_at:
            if len(_RESPONDENTS) > 1000:
                _RESPONDENTS.clear()
            _RESPONDENTS[key] = found
    return found


def answered_by_parents(campaign_ref: str = "campaign_id") -> Exists:
    """A filter for campaigns (or targets, `campaign_ref` naming their campaign) that parents answer."""
    return Exists(CampaignInstrument.objects.filter(campaign_id=OuterRef(campaign_ref),
                                                    version__respondent=consent.PARENT))


def _check_manage(user, campaign: Campaign) -> None:
    if user is not None and not scope.unit_permission(user, campaign.owner, roles.SCREENING_MANAGE):
        raise ScreeningError(_("You cannot run campaigns for %(unit)s.") % {"unit": campaign.owner.name})


def _versions_of(campaign: Campaign) -> list[InstrumentVersion]:
    return [ci.version for ci in campaign.instruments.select_related("version__instrument")]


def target_students(campaign: Campaign):
    """The students a campaign (or a round of a series) is for, right now, as a queryset."""
    qs = scope.students_under(campaign.owner).filter(status=Student.Status.ENROLLED, school_class__isnull=False)
    grades = set(campaign.target_grades)
    applicable = set()
    for version in _versions_of(campaign):
        applicable |= set(version.grades or range(1, 13))
    grades = grades & applicable if grades else applicable
    qs = qs.filter(school_class__grade_level__in=sorted(grades))
    listed = Q(id__in=campaign.listed_students.values("id"))
    if campaign.kind == Campaign.Kind.UNIVERSAL:
        return qs
    if campaign.kind == Campaign.Kind.TARGETED:
        in_groups = Q(id__in=GroupMembership.objects.filter(group__in=campaign.target_groups.all()).values("student_id"))
        return qs.filter(in_groups | listed)
    key = Q(is_key_student=True) if campaign.target_key_students else Q(pk__in=[])
    return qs.filter(key | listed)


def _materialise_targets(campaign: Campaign) -> int:
    """Insert one target per student in one set-based INSERT … SELECT (no row-by-row loop), in the order of the
    students' ids: without ORDER BY the targets' ids followed whatever order the scan returned the students in,
    which on PostgreSQL moves with updates and vacuum (the same campaign opened twice numbered its targets
    differently, and the demo city, which walks targets by id, played a different semester)."""
    students = target_students(campaign).order_by().values(
        sid=F("id"), cid=F("school_class_id"), gid=F("grade_id"), scid=F("school_id"), did=F("district_id"),
        level=F("school_class__grade_level"),
    )
    select_sql, params = students.query.sql_with_params()
    table = CampaignTarget._meta.db_table
    # Table and column names come from the models, values are parameters: nothing from a request.
    sql = (
        f"INSERT INTO {table} (campaign_id, student_id, school_class_id, grade_id, school_id, district_id, "  # noqa: S608
        f"grade_level, student_decision) "
        f"SELECT %s, sub.sid, sub.cid, sub.gid, sub.scid, sub.did, sub.level, '' FROM ({select_sql}) sub "
        f"WHERE true ORDER BY sub.sid ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, *params])
        return cursor.rowcount


@transaction.atomic
def campaign_open(*, user, campaign: Campaign, today: date | None = None) -> Campaign:
    """Open a draft: target its students (set-based), so codes can be printed and answers taken.
    A monitoring series opens its first round instead of being targeted itself."""
    campaign = Campaign.objects.select_for_update().select_related("owner").get(pk=campaign.pk)
    _check_manage(user, campaign)
    if campaign.status != Campaign.Status.DRAFT:
        raise ScreeningError(_("This campaign is already %(status)s.") % {"status": campaign.get_status_display()})
    today = today or timezone.localdate()
    if campaign.window_end < today:
        raise ScreeningError(_("The window has already passed; change the dates first."))
    if not campaign.instruments.exists():
        raise ScreeningError(_("Choose at least one instrument."))
    campaign.status = Campaign.Status.OPEN
    campaign.opened_at = _now()
    if campaign.is_series:
        campaign.next_run = max(campaign.window_start, today)
        campaign.save(update_fields=["status", "opened_at", "next_run"])
        _event(campaign, "opened", user)
        _open_due_rounds(campaign, today)
        return campaign
    campaign.save(update_fields=["status", "opened_at"])
    count = _materialise_targets(campaign)
    _event(campaign, "opened", user, targets=count)
    return campaign


@transaction.atomic
def campaign_close(*, user, campaign: Campaign) -> Campaign:
    """Close a campaign (and a series' schedule): codes stop working; what was submitted stays."""
    campaign = Campaign.objects.select_for_update().select_related("owner").get(pk=campaign.pk)
    _check_manage(user, campaign)
    if campaign.status == Campaign.Status.CLOSED:
        return campaign
    campaign.status = Campaign.Status.CLOSED
    campaign.closed_at = _now()
    campaign.next_run = None
    campaign.save(update_fields=["status", "closed_at", "next_run"])
    _event(campaign, "closed", user)
    return campaign


def _open_due_rounds(series: Campaign, today: date) -> list[Campaign]:
    opened = []
    while series.next_run is not None and series.next_run <= today and series.next_run <= series.window_end:
        number = (series.rounds.count() or 0) + 1
        start = series.next_run
        round_ = Campaign.objects.create(
            name=_("%(series)s · round %(number)s") % {"series": series.name, "number": number}, kind=series.kind, owner=series.owner,
            status=Campaign.Status.OPEN, window_start=start,
            window_end=min(start + timedelta(days=(series.round_days or 1) - 1), series.window_end),
            consent_mode=series.consent_mode, target_grades=series.target_grades,
            target_key_students=series.target_key_students, series=series, round_number=number,
            created_by=series.created_by, opened_at=_now(),
        )
        round_.listed_students.set(series.listed_students.all())
        CampaignInstrument.objects.bulk_create(
            CampaignInstrument(campaign=round_, version_id=ci.version_id, position=ci.position)
            for ci in series.instruments.all())
        count = _materialise_targets(round_)
        _event(round_, "opened", None, targets=count, round=number)
        series.next_run = start + timedelta(days=series.interval_days or 1)
        opened.append(round_)
    if series.next_run is not None and series.next_run > series.window_end:
        series.next_run = None
    series.save(update_fields=["next_run"])
    return opened


def monitoring_run(*, today: date | None = None) -> dict[str, int]:
    """The scheduled sweep (`runxin screening_monitor`, Celery beat): open the monitoring rounds that are
    due and close campaigns whose window has passed. Safe to run twice: each series row is locked."""
    today = today or timezone.localdate()
    opened = 0
    for series_id in Campaign.objects.filter(status=Campaign.Status.OPEN, series__isnull=True,
                                             kind=Campaign.Kind.MONITORING, next_run__lte=today).values_list("id", flat=True):
        with transaction.atomic():
            series = Campaign.objects.select_for_update(skip_locked=True).filter(pk=series_id).first()
            if series is not None and series.status == Campaign.Status.OPEN:
                opened += len(_open_due_rounds(series, today))
    closed = Campaign.objects.filter(status=Campaign.Status.OPEN, window_end__lt=today).update(
        status=Campaign.Status.CLOSED, closed_at=_now(), next_run=None)
    return {"rounds_opened": opened, "campaigns_closed": closed}


# --- codes and consent links ---------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def codes_for_class(*, user, campaign: Campaign, school_class: OrgUnit) -> list[CampaignTarget]:
    """The class's targets with a one-time code each, creating the missing codes (printing a sheet again
    shows the same codes). Unique codes are drawn at random and retried on the rare collision."""
    _check_class_manage(user, campaign, school_class)
    targets = _class_targets(user, campaign, school_class)
    missing = [t for t in targets if not t.access_code]
    for target in missing:
        for _attempt in range(10):
            target.access_code = new_code()
            try:
                with transaction.atomic():
                    updated = CampaignTarget.objects.filter(pk=target.pk, access_code__isnull=True).update(
                        access_code=target.access_code)
                if not updated:
                    target.refresh_from_db(fields=["access_code"])
                break
            except IntegrityError:
                continue
    if missing:
        _event(campaign, "codes_created", user, school_class=school_class.pk, count=len(missing))
    return targets


def _check_class_manage(user, campaign: Campaign, school_class: OrgUnit) -> None:
    if campaign.status != Campaign.Status.OPEN:
        raise ScreeningError(_("Codes and consent links exist only while the campaign is open."))
    if not scope.unit_permission(user, school_class, roles.SCREENING_MANAGE):
        raise ScreeningError(_("You do not run screenings for %(unit)s.") % {"unit": school_class.name})


def _class_targets(user, campaign: Campaign, school_class: OrgUnit) -> list[CampaignTarget]:
    return list(
        CampaignTarget.objects.filter(campaign=campaign, school_class=school_class,
                                      student__in=scope.students(user, roles.STUDENT_ROSTER))
        .select_related("student", "consent").order_by("student__name", "student_id"))


def consent_links_for_class(*, user, campaign: Campaign, school_class: OrgUnit) -> list[CampaignTarget]:
    """The class's targets, each with a guardian consent record and its token link (created when missing)."""
    _check_class_manage(user, campaign, school_class)
    targets = _class_targets(user, campaign, school_class)
    missing = [ConsentRecord(target=t, token=secrets.token_urlsafe(32)) for t in targets if not hasattr(t, "consent")]
    if missing:
        ConsentRecord.objects.bulk_create(missing, ignore_conflicts=True)
        targets = _class_targets(user, campaign, school_class)
    return targets


@transaction.atomic
def consent_mark_notified(*, user, campaign: Campaign, school_class: OrgUnit) -> int:
    """The links of a class were sent to the guardians (class WeChat group, SMS, paper): mark them notified."""
    targets = consent_links_for_class(user=user, campaign=campaign, school_class=school_class)
    count = ConsentRecord.objects.filter(target__in=[t.pk for t in targets], state=ConsentRecord.State.PENDING).update(
        state=ConsentRecord.State.NOTIFIED, notified_at=_now())
    _event(campaign, "consent_notified", user, school_class=school_class.pk, count=count)
    return count


def consent_record(*, token: str) -> ConsentRecord:
    """The record a guardian's link names, read only: opening a link changes nothing (a chat app's link
    preview fetches it too, so a GET cannot count as notice). Raises ScreeningError for an unknown token."""
    record = ConsentRecord.objects.select_related("target__student", "target__campaign").filter(token=token).first()
    if record is None:
        raise ScreeningError(_("This consent link is not valid."))
    return record


@transaction.atomic
def consent_acknowledge(*, token: str) -> ConsentRecord:
    """The guardian pressed "I have read this notice" on their link: the notice reached them (opt-out)."""
    record = consent_record(token=token)
    if record.state == ConsentRecord.State.PENDING:
        ConsentRecord.objects.filter(pk=record.pk, state=ConsentRecord.State.PENDING).update(
            state=ConsentRecord.State.NOTIFIED, notified_at=_now(), channel=ConsentRecord.Channel.LINK)
        record.refresh_from_db()
    return record


@transaction.atomic
def consent_decide(*, token: str | None = None, target: CampaignTarget | None = None, decision: str,
                   guardian_name: str = "", channel: str = ConsentRecord.Channel.LINK, user=None) -> ConsentRecord:
    """Record a guardian's consent or refusal (through the link, or by staff from a slip or a call).
    A guardian may change their mind until the student has submitted; a refusal then stops the student."""
    if decision not in {ConsentRecord.State.CONSENTED, ConsentRecord.State.DECLINED}:
        raise ScreeningError(_("Choose to consent or to decline."))
    records = ConsentRecord.objects.select_for_update().select_related("target__campaign")
    if token is not None:
        record = records.filter(token=token).first()
    else:
        ConsentRecord.objects.get_or_create(target=target, defaults={"token": secrets.token_urlsafe(32)})
        record = records.filter(target=target).first()
    if record is None:
        raise ScreeningError(_("This consent link is not valid."))
    campaign = record.target.campaign
    if campaign.status == Campaign.Status.CLOSED:
        raise ScreeningError(_("This screening has closed; nothing needs to be decided any more."))
    if Submission.objects.filter(target_id=record.target_id).exists():
        raise ScreeningError(_("Your child has already taken this screening. Please contact the school's "
                               "psychology teacher about the answers."))
    now = _now()
    record.state = decision
    record.decided_at = now
    record.notified_at = record.notified_at or now
    record.channel = channel
    record.guardian_name = guardian_name.strip()[:60]
    record.recorded_by = user
    record.save()
    _event(campaign, f"guardian_{decision}", user, target=record.target_id, channel=channel)
    return record


@transaction.atomic
def student_decide(*, target: CampaignTarget, decision: str) -> CampaignTarget:
    """The student agrees to take part, or declines (a refusal is respected and counted)."""
    if decision not in {CampaignTarget.Decision.CONSENTED, CampaignTarget.Decision.DECLINED}:
        raise ScreeningError(_("Choose to take part or not."))
    if Submission.objects.filter(target=target).exists():
        raise ScreeningError(_("You have already handed in this questionnaire."))
    CampaignTarget.objects.filter(pk=target.pk).update(student_decision=decision, student_decided_at=_now())
    target.student_decision = decision
    return target


def gate_for(target: CampaignTarget, today: date | None = None) -> consent.Gate:
    """What the consent rule (consent.py) says for this target today. Load `consent` with the target."""
    try:
        guardian_state = target.consent.state
    except ConsentRecord.DoesNotExist:
        guardian_state = consent.PENDING
    return consent.gate(
        mode=target.campaign.consent_mode, birth_date=target.student.birth_date, today=today or timezone.localdate(),
        guardian_state=guardian_state, student_decision=target.student_decision,
        respondent=campaign_respondent(target.campaign),
    )


# --- taking a questionnaire ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One instrument of a campaign as the student meets it."""

    position: int  # 1-based among the instruments that apply to this student
    version_id: int
    code: str
    definition: InstrumentDefinition


_PLANS: dict[tuple[int, str], list[tuple[int, str, frozenset[int], int, str]]] = {}


def steps_for(target: CampaignTarget) -> list[Step]:
    """The instruments this student answers, in campaign order (an instrument outside the student's grade
    is left out). Cached per process: an open campaign's instruments never change."""
    campaign = target.campaign
    key = (campaign.pk, campaign.opened_at.isoformat() if campaign.opened_at else "")
    plan = _PLANS.get(key)
    if plan is None:
        plan = [
            (ci.version_id, ci.version.instrument.code, frozenset(ci.version.grades or ()), ci.version.pk,
             ci.version.sha256)
            for ci in CampaignInstrument.objects.filter(campaign_id=campaign.pk).select_related("version__instrument")
        ]
        if campaign.opened_at:
            if len(_PLANS) > 1000:
                _PLANS.clear()
            _PLANS[key] = plan
    steps = []
    for version_id, code, grades, pk, sha in plan:
        if grades and target.grade_level is not None and target.grade_level not in grades:
            continue
        definition = _DEFINITIONS.get((pk, sha))
        if definition is None:
            definition = definition_of(InstrumentVersion.objects.get(pk=pk))
        steps.append(Step(len(steps) + 1, version_id, code, definition))
    return steps


_TARGET_QUERIES: dict[str, tuple[str, list]] = {}

# What handing in needs of a target and its campaign, student and consent record: the gate (consent.py), the
# campaign's window, the instruments by grade and the drafts. Every other field is left deferred (read on first use).
_FOR_SUBMISSION = {
    CampaignTarget: ("id", "campaign_id", "student_id", "grade_level", "student_decision", "started_at",
                     "finished_at"),
    Campaign: ("id", "status", "window_start", "window_end", "consent_mode", "opened_at"),
    Student: ("id", "birth_date"),
    ConsentRecord: ("id", "target_id", "state"),
}


def target_for_pass(target_id: int, *, for_submission: bool = False) -> CampaignTarget | None:
    """The target a questionnaire pass names, with its campaign, student and consent record — what every
    questionnaire page needs — in one prepared query (PostgreSQL plans it once per connection: this runs on
    every answer and every submission). `for_submission` reads only what handing in needs (_FOR_SUBMISSION).
    Other databases use the ORM's select_related."""
    if connection.vendor != "postgresql":
        found = CampaignTarget.objects.select_related("campaign", "student", "consent")
        if for_submission:
            found = found.only(*_FOR_SUBMISSION[CampaignTarget], *(
                f"{relation}__{name}" for relation, model in (("campaign", Campaign), ("student", Student),
                                                               ("consent", ConsentRecord))
                for name in _FOR_SUBMISSION[model]))
        return found.filter(pk=target_id).first()
    import psycopg

    key = "submission" if for_submission else "page"
    if key not in _TARGET_QUERIES:
        _TARGET_QUERIES[key] = _target_query(_FOR_SUBMISSION if for_submission else None)
    sql, layout = _TARGET_QUERIES[key]
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [target_id], prepare=True)
        row = cursor.fetchone()
    if row is None:
        return None
    objects, start = [], 0
    for model, names, converters in layout:
        values = list(row[start:start + len(names)])
        start += len(names)
        if values[0] is None:  # no such row on the LEFT JOIN (no consent record yet)
            objects.append(None)
            continue
        for n, functions in converters:
            for convert in functions:
                values[n] = convert(values[n], None, connection)
        objects.append(model.from_db(connection.alias, names, values))
    target, campaign, student, record = objects
    target._state.fields_cache.update(campaign=campaign, student=student, consent=record)
    target._drafts_read = _drafts_from_json(target, row[start])
    return target


def _drafts_from_json(target: CampaignTarget, text: str | None) -> dict[int, ResponseDraft]:
    """The drafts target_for_pass read with the target (one JSON array, [id, version, answers, started, updated]
    per draft): the same rows the ORM would load, without a second round trip on every answer."""
    drafts = {}
    for draft_id, version_id, answers, started_at, updated_at in orjson.loads(text) if text else ():
        drafts[version_id] = ResponseDraft(id=draft_id, target_id=target.pk, version_id=version_id, answers=answers,
                                           started_at=datetime.fromisoformat(started_at),
                                           updated_at=datetime.fromisoformat(updated_at))
    return drafts


def drafts_of(target: CampaignTarget) -> dict[int, ResponseDraft]:
    """The target's drafts by instrument version: read with the target when target_for_pass loaded it, else now."""
    found = getattr(target, "_drafts_read", None)
    if found is None:
        found = {d.version_id: d for d in ResponseDraft.objects.filter(target_id=target.pk)}
    return found


def _target_query(only: dict | None) -> tuple[str, list]:
    """The SQL and the row layout of target_for_pass: every concrete field, or those `only` names (in the
    model's field order, as Model.from_db expects them)."""
    parts = [(CampaignTarget, "t"), (Campaign, "c"), (Student, "s"), (ConsentRecord, "r")]
    columns = [(model, [f.attname for f in model._meta.concrete_fields if only is None or f.attname in only[model]],
                alias) for model, alias in parts]
    select = ", ".join(f'{alias}."{model._meta.get_field(name).column}"'
                       for model, names, alias in columns for name in names)
    # The drafts come along as one JSON text, last in the row (drafts_of): the answer pages, the review and the
    # submission need them, and an index probe costs less than a second round trip.
    row = "json_build_array(d.id, d.version_id, d.answers, d.started_at, d.updated_at)"
    drafts = f"(SELECT json_agg({row} ORDER BY d.id)::text FROM {ResponseDraft._meta.db_table} d "  # noqa: S608
    drafts += "WHERE d.target_id = t.id)"
    sql = (f"SELECT {select}, {drafts} FROM {CampaignTarget._meta.db_table} t "  # noqa: S608 — names from the models
           f"JOIN {Campaign._meta.db_table} c ON c.id = t.campaign_id "
           f"JOIN {Student._meta.db_table} s ON s.id = t.student_id "
           f"LEFT JOIN {ConsentRecord._meta.db_table} r ON r.target_id = t.id WHERE t.id = %s")
    # Each field's from-database converters (JSONField parses its text), as the ORM would apply them.
    layout = [(model, names, [(n, f.get_db_converters(connection)) for n, f in enumerate(
        model._meta.get_field(name) for name in names) if f.get_db_converters(connection)])
        for model, names, _alias in columns]
    return sql, layout


def code_redeem(raw: str, today: date | None = None) -> CampaignTarget:
    """The target a one-time code opens, or ScreeningError saying why not (in words a student understands)."""
    code = normalise_code(raw)
    if len(code) != CODE_LENGTH:
        raise ScreeningError(_("A code has 8 letters and digits. Please check it and try again."))
    target = (CampaignTarget.objects.select_related("campaign", "student", "consent")
              .filter(access_code=code).first())
    if target is None:
        raise ScreeningError(_("This code is not known. Please check it and try again."))
    today = today or timezone.localdate()
    campaign = target.campaign
    if campaign.status == Campaign.Status.DRAFT or today < campaign.window_start:
        raise ScreeningError(_("This screening has not opened yet."))
    if not campaign.is_open_on(today):
        raise ScreeningError(_("This screening has closed. Thank you."))
    if campaign_respondent(campaign) == consent.PARENT:  # a parent opens it from their home, never with a code
        raise ScreeningError(_("This questionnaire is for parents: they fill it in from their home page."))
    return target


def answer_save(*, target: CampaignTarget, step: Step, answers: Mapping[str, object]) -> ResponseDraft:
    """Save answers as they are given (one or a page of them) into the draft for this instrument.
    A blank value clears an answer. Refused once the questionnaire was handed in or the window closed."""
    _check_may_answer(target)
    _check_text_length(answers)
    try:
        given = check_answers(step.definition, answers)
    except AnswerError as exc:
        raise ScreeningError(_("That answer does not fit this question."), exc.problems) from exc
    cleared = [k for k, v in answers.items() if v in (None, "")]
    now = _now()
    save = draft_store.save_in_one_statement if _one_statement() else draft_store.save_in_a_transaction
    draft = save(target=target, version_id=step.version_id, given=given, cleared=cleared, now=now)
    if target.started_at is None:
        target.started_at = now
    read = getattr(target, "_drafts_read", None)
    if read is not None:  # drafts_of(target) read before this save must not answer with the old draft
        read[step.version_id] = draft
    return draft


def _check_text_length(answers: Mapping) -> None:
    if any(isinstance(v, str) and len(v) > MAX_TEXT_ANSWER for v in answers.values()):
        raise ScreeningError(_("An answer can be at most %(n)s characters long.") % {"n": MAX_TEXT_ANSWER})


def _check_may_answer(target: CampaignTarget) -> None:
    if target.finished_at is not None:
        raise ScreeningError(_("You have already handed in this questionnaire."))
    if not target.campaign.is_open_on(timezone.localdate()):
        raise ScreeningError(_("This screening has closed. Thank you."))
    if not gate_for(target).may_answer:
        raise ScreeningError(_("This questionnaire cannot be answered yet."))


@dataclass(frozen=True)
class Accepted:
    submission_id: int
    created: bool
    critical: bool


def submission_accept(*, target: CampaignTarget, client_id: uuid.UUID | str, answers: Mapping | None = None,
                      elapsed: Mapping | None = None, via: str = "code", user=None,
                      remote_addr: str | None = None) -> Accepted:
    """Hand in a questionnaire: every instrument is scored by the exact version the campaign names, and the
    submission, its results and any warning flag are written at once (one statement on PostgreSQL, one
    short transaction elsewhere).

    Guarantees: the same `client_id` (a retry, a double tap) or a second device for the same target
    returns the first submission and writes nothing; answers given earlier and saved in the drafts are
    kept, `answers` sent now win over them; a result that needs a warning has its flag row before commit
    and is handed to the warnings app after commit (a sweep retries); a critical item is flagged
    whatever the totals."""
    try:
        client_uuid = uuid.UUID(str(client_id))
    except ValueError:
        raise ScreeningError(_("The submission id is not valid.")) from None
    if target.finished_at is not None:  # a retry after the first one went through
        existing = _existing_submission(target, client_uuid)
        if existing is not None:
            return existing
    _check_may_answer(target)
    steps = steps_for(target)
    answers = answers or {}
    if not isinstance(answers, Mapping) or any(not isinstance(v, Mapping) for v in answers.values()):
        raise ScreeningError(_("Answers must be grouped by instrument."))
    unknown = set(answers) - {s.code for s in steps}
    if unknown:
        raise ScreeningError(_("This questionnaire has no instrument %(codes)s.") % {"codes": ", ".join(sorted(unknown))})
    drafts = drafts_of(target) if target.started_at else {}
    now = _now()
    merged: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    scored = []
    problems: list[str] = []
    for step in steps:
        draft = drafts.get(step.version_id)
        posted = answers.get(step.code, {})
        given = dict(draft.answers) if draft else {}
        given.update(posted)
        _check_text_length(given)
        merged[step.code] = given
        if draft:  # from the first answer to the last one, which may arrive only now
            last = now if set(posted) - set(draft.answers) else draft.updated_at
            took = _whole_seconds((last - draft.started_at).total_seconds())
        else:
            took = _client_seconds(elapsed, step.code)
        if took is not None:
            seconds[step.code] = took
        try:
            # A kept answer to a question no longer asked still counts (flow.as_answered: ASQ question 5).
            result = score(flow.as_answered(step.definition, given), given, elapsed_seconds=took)
        except AnswerError as exc:
            problems += [f"{step.code}: {p}" for p in exc.problems]
            continue
        scored.append((step, result, risk_signal(result)))
    if problems:
        raise ScreeningError(_("Some answers do not fit the questionnaire."), problems)
    rank = max((RISK_RANK[signal.level] for _s, _r, signal in scored), default=0)
    critical = any(result.critical_flags for _s, result, _sig in scored)

    submission = {
        "client_id": client_uuid, "target": target.pk, "answers": merged, "elapsed": seconds, "received_at": now,
        "via": via, "user": getattr(user, "pk", None), "remote_addr": remote_addr, "risk_rank": rank,
        "critical": critical,
    }
    results = [result_row(target, step, result, signal, now) for step, result, signal in scored]
    write = submission_store.write_in_one_statement if _one_statement() else submission_store.write_in_a_transaction
    written = write(submission=submission, results=results, warn_levels=WARN_LEVELS)
    if written is None:  # the client id or the target already had a submission (a twin committed first)
        found = _existing_submission(target, client_uuid)
        if found is None:
            raise ScreeningError(_("The submission could not be saved. Please try again."))
        return found
    submission_id, flag_ids = written
    if flag_ids:
        # robust: a task engine that is down must not turn a saved submission into an error; the flags
        # stay in the outbox and the sweep hands them over.
        transaction.on_commit(lambda: _schedule_hand_over(flag_ids), robust=True)
    return Accepted(submission_id, True, critical)


def result_row(target: CampaignTarget, step: Step, result, signal, now: datetime) -> dict:
    """One Result row, keyed by field name, of `result` (core.scoring) and its risk `signal` (core.risk)."""
    return {
        "target": target.pk, "campaign": target.campaign_id, "student": target.student_id,
        "instrument_version": step.version_id, "instrument_code": step.code, "score": result.to_dict(),
        "total": _total(result), "band_code": _band(result, "code"), "band_level": _band(result, "level"),
        "validity": result.validity, "risk_level": signal.level,
        "risk_reasons": [m.to_dict() for m in signal.reasons], "critical": bool(result.critical_flags),
        "scored_at": now,
    }


# PostgreSQL writes a submission, and saves an answer, in one statement; other databases (the SQLite demo) in a
# transaction. Both are exercised by the tests (test_submission.py runs the transaction paths on PostgreSQL too).
ONE_STATEMENT = True


def _one_statement() -> bool:
    return connection.vendor == "postgresql" and ONE_STATEMENT


def _client_seconds(elapsed: Mapping | None, code: str) -> float | None:
    value = (elapsed or {}).get(code)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 86_400:
        return _whole_seconds(value)
    return None


def _whole_seconds(seconds: float) -> int:
    """Durations are kept and shown in whole seconds ("用时 12 秒", not 12.3457). Rounded down, so the
    too-fast check (seconds × items, whole numbers) decides exactly as on the unrounded time."""
    return math.floor(seconds)


def _total(result) -> Decimal | None:
    total = result.total
    return None if total is None or total.value is None else Decimal(str(total.value))


def _band(result, key: str) -> str:
    total = result.total
    if total is None or total.band is None:
        return ""
    return getattr(total.band, key)


def _existing_submission(target: CampaignTarget, client_uuid: uuid.UUID) -> Accepted | None:
    row = (Submission.objects.filter(Q(client_id=client_uuid) | Q(target_id=target.pk))
           .values("id", "target_id", "critical").first())
    if row is None:
        return None
    if row["target_id"] != target.pk:
        raise ScreeningError(_("This submission id belongs to another questionnaire."))
    return Accepted(row["id"], False, row["critical"])


# --- handing flagged results to the warnings app -------------------------------------------------------


# The warnings app sits above screening: it registers its receiver in its AppConfig.ready() (screening never
# imports alerts). Without one (the warnings app not installed) flags wait and the sweep retries them.
_flag_receiver = None
_flag_receiver_many = None


def flag_receiver_set(receiver, *, many=None) -> None:
    """Called once by the warnings app: `receiver(student=, result_id=, suggested_level=, reasons=,
    instrument_code=, raised_at=)` raises or joins a warning for a flagged result; `many(list of those keyword
    dicts)` does the same for a batch, set-wise (the hand-over of a burst)."""
    global _flag_receiver, _flag_receiver_many
    _flag_receiver = receiver
    _flag_receiver_many = many


def _warning_raiser():
    return _flag_receiver


# A burst brings thousands of flagged submissions: one hand-over task at a time is queued, not one per
# submission (the task clears the mark as it starts and drains every pending flag, most severe first).
HAND_OVER_MARK = "screening:hand-over-scheduled"
HAND_OVER_MARK_SECONDS = 5


def _schedule_hand_over(flag_ids: list[int]) -> None:
    from django.core.cache import cache

    from . import tasks

    if settings.CELERY_TASK_ALWAYS_EAGER:  # in-process (the embedded default): this submission's flags, now
        tasks.hand_over_flags(flag_ids)
        return
    if not cache.add(HAND_OVER_MARK, 1, HAND_OVER_MARK_SECONDS):
        return  # a hand-over task is queued and has not started: it will claim these flags too
    try:
        tasks.hand_over_flags.delay()
    except Exception:
        cache.delete(HAND_OVER_MARK)  # the next submission asks again; the beat entry sweeps meanwhile
        raise


def _reason_texts(reasons: list[dict]) -> list[str]:
    key = "en" if settings.LANGUAGE_CODE.startswith("en") else "zh-Hans"
    return [r.get(key) or r.get("en") or "" for r in reasons]


def flag_hand_over(flag_id: int) -> bool:
    """Hand one flag to the warnings app and mark it, in one transaction, so it is handed over exactly once
    (a locked row is skipped by a concurrent sweep). False when there is nothing to do, or the warnings app
    is missing or failed (the error is kept on the flag and the sweep retries)."""
    raise_warning = _warning_raiser()
    if raise_warning is None:
        return False
    try:
        with transaction.atomic():
            flag = (ScreeningFlag.objects.select_for_update(skip_locked=True).select_related("student")
                    .filter(pk=flag_id, handed_over_at__isnull=True).first())
            if flag is None:
                return False
            raise_warning(student=flag.student, result_id=str(flag.result_id), suggested_level=flag.level,
                          reasons=_reason_texts(flag.reasons), instrument_code=flag.instrument_code,
                          raised_at=flag.created_at)
            ScreeningFlag.objects.filter(pk=flag.pk).update(handed_over_at=_now(), attempts=F("attempts") + 1,
                                                            last_error="")
        return True
    except Exception as exc:
        logger.exception("handing screening flag %s to the warnings app failed", flag_id)
        ScreeningFlag.objects.filter(pk=flag_id).update(attempts=F("attempts") + 1, last_error=str(exc)[:2000])
        return False


def _priority():
    """Most severe first: critical, high, moderate, review (then oldest first)."""
    from django.db.models import Case, Value, When

    return Case(When(level="critical", then=Value(0)), When(level="high", then=Value(1)),
                When(level="moderate", then=Value(2)), default=Value(3))


def _hand_over_batch(raise_warning, size: int) -> int | None:
    """Claim up to `size` pending flags (FOR UPDATE SKIP LOCKED: workers side by side share the queue), most
    severe first, and hand them over in one transaction. None when there was nothing to claim. When one of them
    fails, the batch is rolled back and its flags are handed over one by one (each keeps its own error)."""
    ids: list[int] = []
    try:
        with transaction.atomic():
            flags = list(ScreeningFlag.objects.select_for_update(skip_locked=True, of=("self",))
                         .select_related("student__school", "student__school_class")
                         .filter(handed_over_at__isnull=True, last_error="")
                         .annotate(priority=_priority()).order_by("priority", "created_at", "id")[:size])
            if not flags:
                return None
            ids = [flag.pk for flag in flags]
            batch = [dict(student=flag.student, result_id=str(flag.result_id), suggested_level=flag.level,
                          reasons=_reason_texts(flag.reasons), instrument_code=flag.instrument_code,
                          raised_at=flag.created_at) for flag in flags]
            # The registered receiver's batch form when there is one (a receiver put in its place is asked per flag).
            if _flag_receiver_many is not None and raise_warning is _flag_receiver:
                _flag_receiver_many(batch)
            else:
                for one in batch:
                    raise_warning(**one)
            ScreeningFlag.objects.filter(pk__in=ids).update(handed_over_at=_now(), attempts=F("attempts") + 1)
        return len(ids)
    except Exception:
        logger.warning("a batch of screening flags failed; handing them over one by one", exc_info=True)
        return sum(1 for flag_id in ids if flag_hand_over(flag_id))


def flags_hand_over_pending(*, limit: int = 500, batch: int = 100) -> int:
    """Hand over flags not handed over yet, most severe first, then oldest, in small batches until none is left
    or `limit` went (the hand-over task drains the queue; the beat entry retries). Flags that failed before are
    retried one by one after the rest. Returns how many went."""
    raise_warning = _warning_raiser()
    if raise_warning is None:
        return 0
    failed_before = list(ScreeningFlag.objects.filter(handed_over_at__isnull=True).exclude(last_error="")
                         .annotate(priority=_priority()).order_by("priority", "created_at")
                         .values_list("id", flat=True)[:limit])
    handed = 0
    while handed < limit:
        went = _hand_over_batch(raise_warning, min(batch, limit - handed))
        if went is None:
            break
        handed += went
    return handed + sum(1 for flag_id in failed_before[:max(0, limit - handed)] if flag_hand_over(flag_id))


# --- reminders -----------------------------------------------------------------------------------------


@transaction.atomic
def reminder_send(*, user, campaign: Campaign, school_class: OrgUnit) -> Reminder:
    """Remind a class's head teachers that students have not finished: an inbox notification to each
    (when the notify app is there) and a Reminder row either way."""
    _check_class_manage(user, campaign, school_class)
    unfinished = CampaignTarget.objects.filter(campaign=campaign, school_class=school_class, finished_at__isnull=True).count()
    if unfinished == 0:
        raise ScreeningError(_("Everyone in %(unit)s has finished.") % {"unit": school_class.name})
    now = _now()
    reminder = Reminder.objects.create(campaign=campaign, school_class=school_class, sent_by=user, sent_at=now,
                                       unfinished=unfinished)
    from runxin.people.models import RoleAssignment

    head_ids = list(RoleAssignment.objects.filter(org_unit=school_class, role="head_teacher", is_active=True)
                    .values_list("user_id", flat=True))
    try:
        from runxin.notify.services import notify
    except ImportError:
        notify = None
    if notify is not None and head_ids:
        from django.urls import reverse

        reminder.notified = notify(
            recipient_ids=head_ids, kind="screening.reminder",
            subject=_("%(count)s students of %(unit)s have not finished “%(campaign)s”")
            % {"count": unfinished, "unit": school_class.name, "campaign": campaign.name},
            body=_("Please give them time in class to finish before %(date)s.") % {"date": campaign.window_end},
            url=reverse("screening:class_progress", args=[campaign.pk, school_class.pk]),
            ref=f"campaign:{campaign.pk}", dedupe=f"screening-reminder:{reminder.pk}",
        )
        reminder.save(update_fields=["notified"])
    _event(campaign, "reminded", user, school_class=school_class.pk, unfinished=unfinished)
    return reminder


# --- demo content --------------------------------------------------------------------------------------


@transaction.atomic
def demo_seed(*, school: OrgUnit, created_by, today: date | None = None, finished_share: float = 0.9,
              seed: int = 0, hand_over: bool = False) -> Campaign:
    """A closed semester-start universal screening (PHQ-A + GAD-7) of the school's grades 6–12 with
    plausible results, for the demo city. `created_by` runs screenings at the school (its psychology
    teacher). About `finished_share` of the students handed in, a few declined, a few stopped half-way;
    guardians were notified. Results are scored by the real core and flagged as a real submission would be;
    the flags are handed to the warnings app only with `hand_over` (else `flags_hand_over_pending()` or
    `runxin screening_monitor` does it later). The answers and results are the same for the same `seed`."""
    import random

    rng = random.Random(seed)
    today = today or timezone.localdate()
    # The newest published version: a database migrated before a shipped update holds the older one too.
    versions = [InstrumentVersion.objects.filter(instrument__code=code, is_published=True).latest("id")
                for code in ("phqa", "gad7")]
    levels = sorted(set(scope.students_under(school).filter(status=Student.Status.ENROLLED)
                        .values_list("school_class__grade_level", flat=True)) & set(range(6, 13)))
    spec = CampaignSpec(
        name=_("Semester-start screening %(year)s") % {"year": today.year}, kind=Campaign.Kind.UNIVERSAL,
        owner=school, window_start=today - timedelta(days=24), window_end=today - timedelta(days=10),
        consent_mode=Campaign.ConsentMode.OPT_OUT, versions=versions, grades=levels or [7],
        groups=[], key_students=False, student_numbers=[])
    listed = _check_spec(created_by, spec)
    campaign = Campaign(created_by=created_by)
    _write_spec(campaign, spec, listed)
    opened = timezone.make_aware(datetime.combine(spec.window_start, datetime.min.time()).replace(hour=8))
    _materialise_targets(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.CLOSED, opened_at=opened, closed_at=opened + timedelta(days=15))
    campaign.refresh_from_db()
    targets = list(CampaignTarget.objects.filter(campaign=campaign).select_related("student").order_by("id"))
    ConsentRecord.objects.bulk_create(
        [ConsentRecord(target=t, token=secrets.token_urlsafe(32), state=ConsentRecord.State.NOTIFIED,
                       notified_at=opened, channel=ConsentRecord.Channel.LINK) for t in targets], batch_size=2000)
    steps = {v.instrument.code: (v, definition_of(v)) for v in versions}
    submissions, pending_results, started, declined = [], [], [], []
    for target in targets:
        roll = rng.random()
        at = opened + timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 7), minutes=rng.randint(0, 59))
        if roll < 0.02:
            declined.append(target.pk)
            continue
        if roll > finished_share:
            started.append((target.pk, at))
            continue
        answers = _demo_answers(rng)
        scored = []
        for code, (version, definition) in steps.items():
            if version.grades and target.grade_level not in version.grades:
                continue
            result = score(definition, answers[code], elapsed_seconds=rng.randint(90, 420))
            scored.append((version, code, result, risk_signal(result)))
        if not scored:
            continue
        rank = max(RISK_RANK[signal.level] for *_rest, signal in scored)
        submissions.append(Submission(
            client_id=uuid.uuid4(), target=target, received_at=at, via="code",
            answers={code: answers[code] for _v, code, _r, _s in scored},
            elapsed={code: result.elapsed_seconds for _v, code, result, _s in scored},
            risk_rank=rank, critical=any(result.critical_flags for _v, _c, result, _s in scored)))
        pending_results.append((target, at, scored))
    Submission.objects.bulk_create(submissions, batch_size=1000)
    results = Result.objects.bulk_create([
        Result(submission=sub, target=target, campaign=campaign, student_id=target.student_id,
               instrument_version=version, instrument_code=code, score=result.to_dict(), total=_total(result),
               band_code=_band(result, "code"), band_level=_band(result, "level"), validity=result.validity,
               risk_level=signal.level, risk_reasons=[m.to_dict() for m in signal.reasons],
               critical=bool(result.critical_flags), scored_at=at)
        for sub, (target, at, scored) in zip(submissions, pending_results, strict=True)
        for version, code, result, signal in scored
    ], batch_size=1000)
    flags = ScreeningFlag.objects.bulk_create([
        ScreeningFlag(result=row, student_id=row.student_id, level=row.risk_level, reasons=row.risk_reasons,
                      instrument_code=row.instrument_code, created_at=row.scored_at)
        for row in results if row.risk_level in WARN_LEVELS
    ], batch_size=1000)
    progress = [CampaignTarget(pk=sub.target_id, started_at=sub.received_at - timedelta(minutes=6),
                               finished_at=sub.received_at) for sub in submissions]
    progress += [CampaignTarget(pk=target_id, started_at=at, finished_at=None) for target_id, at in started]
    CampaignTarget.objects.bulk_update(progress, ["started_at", "finished_at"], batch_size=1000)
    CampaignTarget.objects.filter(pk__in=declined).update(student_decision=CampaignTarget.Decision.DECLINED,
                                                          student_decided_at=opened)
    _event(campaign, "demo_seeded", None, submissions=len(submissions), flags=len(flags))
    if hand_over:
        flag_ids = [f.pk for f in flags]
        transaction.on_commit(lambda: [flag_hand_over(flag_id) for flag_id in flag_ids])
    return campaign


def _demo_answers(rng) -> dict:
    """PHQ-A and GAD-7 answers from a population where most students are well and a few are not."""
    frequency = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    level = rng.choices([0, 1, 2, 3], weights=[66, 22, 9, 3])[0]

    def pick() -> str:
        return frequency[max(0, min(3, level + rng.choices([0, -1, 1], weights=[5, 3, 2])[0]))]

    phqa = {f"q{n}": pick() for n in range(1, 9)}
    phqa["q9"] = frequency[rng.choice([1, 1, 2])] if rng.random() < 0.04 + 0.04 * level else frequency[0]
    phqa |= {"past_year": rng.choice(["yes", "no"]), "difficulty": "LA6572-7", "past_month_thoughts": "no",
             "lifetime_attempt": "no"}
    return {"phqa": phqa, "gad7": {f"q{n}": pick() for n in range(1, 8)} | {"q8": "LA6572-7"}}
