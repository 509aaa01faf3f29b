"""Reads for screening. Each takes the acting user and goes through the scoping layer (runxin.access.scope):
names of students through scope.students(), counts per class through scope.units()."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.org.models import OrgUnit

from . import consent
from .core.definition import text_in
from .models import Campaign, CampaignTarget, InstrumentVersion, Result, Submission
from .services import answered_by_parents, definition_of, gate_for

PAGE_SIZE = 100


# --- campaigns -----------------------------------------------------------------------------------------


def campaigns_visible(user, permission: str = roles.SCREENING_PROGRESS) -> QuerySet[Campaign]:
    """Campaigns run by a unit inside the user's reach, or by a unit above it (a district's universal
    screening is seen by each school's psychology teacher, for that school's students)."""
    clauses = Q(pk__in=[])
    for grant in scope.grants(user):
        if permission in grant.permissions and grant.unit_path:
            ancestors = [int(p) for p in grant.unit_path.strip("/").split("/") if p]
            clauses |= Q(owner__path__startswith=grant.unit_path) | Q(owner_id__in=ancestors)
    return Campaign.objects.filter(clauses)


def campaign_or_404(user, campaign_id: int, permission: str = roles.SCREENING_PROGRESS) -> Campaign:
    campaign = campaigns_visible(user, permission).select_related("owner", "series").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign")
    return campaign


def can_manage(user, campaign: Campaign) -> bool:
    return scope.unit_permission(user, campaign.owner, roles.SCREENING_MANAGE)


def _targets_in_reach(user, permission: str) -> Q:
    """Targets whose class (when the campaign opened) lies inside the user's units for `permission`."""
    return Q(school_class_id__in=scope.units(user, permission).filter(kind=OrgUnit.Kind.CLASS).values("id"))


@dataclass
class CampaignRow:
    campaign: Campaign
    targets: int = 0
    finished: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.targets) if self.targets else 0


def campaign_list(user, *, status: str = "") -> list[CampaignRow]:
    """Top-level campaigns (a series, not its rounds) with the user's share of targets and finishers."""
    qs = campaigns_visible(user).filter(series__isnull=True).select_related("owner")
    if status:
        qs = qs.filter(status=status)
    rows = {c.pk: CampaignRow(c) for c in qs.order_by("-window_start", "-id")[:200]}
    counts = (
        CampaignTarget.objects.filter(Q(campaign_id__in=list(rows)) | Q(campaign__series_id__in=list(rows)))
        .filter(_targets_in_reach(user, roles.SCREENING_PROGRESS))
        .values("campaign_id", "campaign__series_id")
        .annotate(total=Count("id"), done=Count("id", filter=Q(finished_at__isnull=False)))
    )
    for row in counts:
        target = rows.get(row["campaign__series_id"] or row["campaign_id"])
        if target is not None:
            target.targets += row["total"]
            target.finished += row["done"]
    return list(rows.values())


@dataclass
class ProgressRow:
    unit_id: int
    name: str
    school: str
    targets: int
    started: int
    finished: int
    declined: int
    waiting: int

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.targets) if self.targets else 0


@dataclass
class Completion:
    level: str  # "school" or "class"
    rows: list[ProgressRow]
    totals: ProgressRow
    schools: list[tuple[int, str]] = field(default_factory=list)


def completion(user, campaign: Campaign, *, school_id: int | None = None, today: date | None = None) -> Completion:
    """Targets, started, finished, refusals and children waiting for a guardian, per class — or per
    school while a district or city campaign is looked at as a whole. One grouped query."""
    today = today or timezone.localdate()
    targets = CampaignTarget.objects.filter(campaign=campaign).filter(_targets_in_reach(user, roles.SCREENING_PROGRESS))
    schools = list(targets.values_list("school_id", "school__name").distinct().order_by("school__name"))
    level = "class" if school_id or len(schools) <= 1 else "school"
    if school_id:
        targets = targets.filter(school_id=school_id)
    cutoff = date(today.year - consent.CONSENT_AGE, today.month, today.day if (today.month, today.day) != (2, 29) else 28)
    guardian_ok = ["consented"] if campaign.consent_mode == consent.OPT_IN else ["notified", "consented"]
    declined = Q(student_decision="declined") | Q(consent__state="declined")
    waiting = Q(student__birth_date__gt=cutoff) & ~Q(consent__state__in=guardian_ok) & ~declined
    if level == "class":
        keys = ["school_class_id", "school_class__name", "school__name", "school_class__grade_level",
                "school_class__class_number"]
        order = ["school__name", "school_class__grade_level", "school_class__class_number"]
    else:
        keys = ["school_id", "school__name"]
        order = ["school__name"]
    grouped = (
        targets.values(*keys)
        .annotate(
            n=Count("id"), started=Count("id", filter=Q(started_at__isnull=False)),
            finished=Count("id", filter=Q(finished_at__isnull=False)), declined=Count("id", filter=declined),
            waiting=Count("id", filter=waiting & Q(finished_at__isnull=True)),
        )
        .order_by(*order)
    )
    rows = [
        ProgressRow(
            unit_id=g[keys[0]], name=g[keys[1]], school=g["school__name"], targets=g["n"], started=g["started"],
            finished=g["finished"], declined=g["declined"], waiting=g["waiting"],
        )
        for g in grouped
    ]
    totals = ProgressRow(0, "", "", *(sum(getattr(r, f) for r in rows)
                                      for f in ("targets", "started", "finished", "declined", "waiting")))
    return Completion(level, rows, totals, schools)


def class_or_404(user, campaign: Campaign, class_id: int, permission: str = roles.SCREENING_PROGRESS) -> OrgUnit:
    unit = scope.units(user, permission).filter(pk=class_id, kind=OrgUnit.Kind.CLASS).select_related("school").first()
    if unit is None or not CampaignTarget.objects.filter(campaign=campaign, school_class=unit).exists():
        raise Http404("No such class in this campaign")
    return unit


@dataclass
class StudentProgress:
    target: CampaignTarget
    status: str  # finished, started, not_started, declined, waiting

    @property
    def student(self):
        return self.target.student


def class_progress(user, campaign: Campaign, school_class: OrgUnit, *, today: date | None = None) -> list[StudentProgress]:
    """Who in the class has finished (names only for students the user may see; no scores, no answers)."""
    today = today or timezone.localdate()
    targets = (
        CampaignTarget.objects.filter(campaign=campaign, school_class=school_class,
                                      student__in=scope.students(user, roles.STUDENT_ROSTER))
        .select_related("student", "consent", "campaign").order_by("student__name", "student_id")
    )
    rows = []
    for target in targets:
        gate = gate_for(target, today)
        if target.finished_at:
            status = "finished"
        elif gate.declined:
            status = "declined"
        elif target.started_at:
            status = "started"
        elif gate.status == "wait_guardian":
            status = "waiting"
        else:
            status = "not_started"
        rows.append(StudentProgress(target, status))
    return rows


# --- results -------------------------------------------------------------------------------------------


def _submissions_in_reach(user, campaign: Campaign) -> QuerySet[Submission]:
    return Submission.objects.filter(target__campaign=campaign,
                                     target__student__in=scope.students(user, roles.STUDENT_CLINICAL))


@dataclass
class ResultsPage:
    rows: list[Submission]
    number: int
    has_next: bool
    codes: list[str]
    classes: list[tuple[int, str]]
    not_scored: frozenset[str] = frozenset()  # instrument codes published as "not scored" (collect only)


def results_page(user, campaign: Campaign, *, class_id: int | None = None, attention: bool = False,
                 number: int = 1) -> ResultsPage:
    """Submissions of the students the user may see clinically, the most urgent first."""
    qs = _submissions_in_reach(user, campaign)
    classes = list(
        CampaignTarget.objects.filter(campaign=campaign, student__in=scope.students(user, roles.STUDENT_CLINICAL))
        .values_list("school_class_id", "school_class__name").distinct()
        .order_by("school_class__grade_level", "school_class__class_number", "school_class_id"))
    if class_id:
        qs = qs.filter(target__school_class_id=class_id)
    if attention:
        qs = qs.filter(risk_rank__gt=0)
    number = max(1, number)
    start = (number - 1) * PAGE_SIZE
    rows = list(
        qs.select_related("target__student", "target__school_class")
        .prefetch_related(Prefetch("results", queryset=Result.objects.order_by("id").only(
            "id", "submission_id", "instrument_code", "total", "band_code", "band_level", "validity", "risk_level",
            "critical", "score")))
        .order_by("-risk_rank", "target__school_class__grade_level", "target__school_class__class_number",
                  "target__student__name", "id")[start:start + PAGE_SIZE + 1]
    )
    versions = list(campaign.instruments.order_by("position").values_list("version__instrument__code",
                                                                          "version__not_scored"))
    codes = [code for code, _not_scored in versions]
    not_scored = frozenset(code for code, flag in versions if flag)
    return ResultsPage(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE, codes, classes, not_scored)


def band_label(result: Result, language: str, *, not_scored: bool | None = None) -> str:
    """The total's band in `language`; "Not scored" for a version published as not scored (by `not_scored`,
    else by the result's instrument version when it was loaded with it)."""
    if not_scored is None:
        not_scored = Result.instrument_version.is_cached(result) and result.instrument_version.not_scored
    if not_scored:
        return _("Not scored")
    total = (result.score or {}).get("total") or {}
    band = total.get("band") or {}
    return text_in(band.get("label") or {}, language) if band else ""


def submission_or_404(user, submission_id: int) -> Submission:
    """One student's submission with its results, if the user may see the student's clinical records."""
    submission = (
        Submission.objects.filter(pk=submission_id, target__student__in=scope.students(user, roles.STUDENT_CLINICAL))
        .select_related("target__student", "target__school_class", "target__campaign__owner")
        .prefetch_related(Prefetch("results", queryset=Result.objects.select_related("instrument_version__instrument")
                                   .order_by("id")))
        .first()
    )
    if submission is None:
        raise Http404("No such result")
    return submission


@dataclass
class AnswerLine:
    number: str
    text: str
    answer: str
    score: object
    critical: bool


@dataclass
class ResultView:
    result: Result
    title: str
    lines: list[AnswerLine]
    not_scored: bool = False  # the version was published as "not scored": no scale value or level is shown


def result_views(submission: Submission, language: str) -> list[ResultView]:
    """Each result with the questions as the student saw them and the answers given."""
    views = []
    for result in submission.results.all():
        definition = definition_of(result.instrument_version)
        answers = (submission.answers or {}).get(result.instrument_code, {})
        critical_items = {f.get("item") for f in result.score.get("flags", []) if f.get("kind") == "critical_item"}
        lines = []
        for item in definition.items:
            value = answers.get(item.id)
            option = item.option(value) if value is not None else None
            shown = text_in(option.label, language) if option else (value or "")
            lines.append(AnswerLine(item.label, text_in(item.text, language), shown,
                                    item.score_for(value) if option else None, item.id in critical_items))
        views.append(ResultView(result, text_in(definition.title, language), lines,
                                result.instrument_version.not_scored))
    return views


@dataclass
class Distribution:
    code: str
    title: str
    bands: list[tuple[str, str, str]]  # (code, label, level)
    groups: list[tuple[str, list[int], int]]  # (group label, counts per band + "not scored", total)
    not_scored: bool = False  # published as "not scored": every result counts as not scored


def summary(user, campaign: Campaign, *, by: str = "class", language: str = "zh-hans") -> list[Distribution]:
    """Band distribution of each instrument's total per class or per grade, for the user's clinical scope."""
    group_keys = {
        "class": ["target__school_class__grade_level", "target__school_class__class_number", "target__school_class__name"],
        "grade": ["target__grade_level"],
    }[by]
    counts = (
        Result.objects.filter(campaign=campaign, student__in=scope.students(user, roles.STUDENT_CLINICAL))
        .values(*group_keys, "instrument_code", "band_code").annotate(n=Count("id")).order_by(*group_keys)
    )
    versions = {ci.version.instrument.code: ci.version
                for ci in campaign.instruments.select_related("version__instrument").order_by("position")}
    out: dict[str, Distribution] = {}
    for code, version in versions.items():
        definition = definition_of(version)
        total = definition.scale(definition.total_scale) if definition.total_scale else None
        bands = [(b.code, text_in(b.label, language), b.level) for b in (total.bands if total else ())]
        if version.not_scored:
            bands = []
        out[code] = Distribution(code, text_in(definition.title, language), bands, [], version.not_scored)
    table: dict[tuple[str, str], dict[str, int]] = {}
    for row in counts:
        label = row["target__school_class__name"] if by == "class" else _grade_label(row["target__grade_level"])
        table.setdefault((row["instrument_code"], label), {})[row["band_code"]] = row["n"]
    for (code, label), per_band in table.items():
        dist = out.get(code)
        if dist is None:
            continue
        listed = [per_band.get(b[0], 0) for b in dist.bands]
        values = [*listed, sum(per_band.values()) - sum(listed)]  # everything else is "not scored"
        dist.groups.append((label, values, sum(per_band.values())))
    return list(out.values())


def _grade_label(level: int | None) -> str:
    from runxin.org.grades import grade_name

    return grade_name(level) if level else "—"


def export_rows(user, campaign: Campaign):
    """Every submission in the user's clinical scope with its results, for the Excel export."""
    return (
        _submissions_in_reach(user, campaign)
        .select_related("target__student", "target__school_class", "target__school")
        .prefetch_related(Prefetch("results", queryset=Result.objects.order_by("id")))
        .order_by("target__school__name", "target__school_class__grade_level", "target__school_class__class_number",
                  "target__student__name", "id")
    )


# --- the student's own list ----------------------------------------------------------------------------


def student_open_targets(user, today: date | None = None) -> list[CampaignTarget]:
    """The open campaigns a signed-in student is asked to take (their own targets, nobody else's)."""
    today = today or timezone.localdate()
    own = [g.student_id for g in scope.grants(user) if roles.SCREENING_TAKE in g.permissions and g.student_id]
    return list(
        CampaignTarget.objects.filter(student_id__in=own, campaign__status=Campaign.Status.OPEN,
                                      campaign__window_start__lte=today, campaign__window_end__gte=today)
        .exclude(answered_by_parents())  # the parents' questionnaires about the student are not the student's
        .select_related("campaign", "student", "consent").order_by("campaign__window_end", "id"))


def student_target_or_404(user, target_id: int) -> CampaignTarget:
    for target in student_open_targets(user):
        if target.pk == target_id:
            return target
    raise Http404("No such screening")


def parent_open_targets(user, today: date | None = None) -> list[CampaignTarget]:
    """The open questionnaires a parent answers about their own children (the scoping layer's reach of the
    parent's home), with whether each was handed in."""
    today = today or timezone.localdate()
    children = scope.students(user, roles.PARENT_HOME).values("id")
    return list(
        CampaignTarget.objects.filter(answered_by_parents(), student_id__in=children,
                                      campaign__status=Campaign.Status.OPEN, campaign__window_start__lte=today,
                                      campaign__window_end__gte=today)
        .select_related("campaign", "student", "consent").order_by("finished_at", "campaign__window_end", "id"))


def parent_target_or_404(user, target_id: int) -> CampaignTarget:
    """One of parent_open_targets, or 404: another child's questionnaire, a student's own one, or a closed one."""
    for target in parent_open_targets(user):
        if target.pk == target_id:
            return target
    raise Http404("No such questionnaire")


# --- instruments ---------------------------------------------------------------------------------------


def instrument_versions() -> list[InstrumentVersion]:
    """Instrument definitions are not student data: anyone who manages instruments sees them all."""
    return list(InstrumentVersion.objects.select_related("instrument", "uploaded_by", "published_by")
                .annotate(result_count=Count("results")).order_by("instrument__code", "-uploaded_at"))


# --- what the user may do ------------------------------------------------------------------------------


def can_create(user) -> bool:
    return scope.has_permission(user, roles.SCREENING_MANAGE)


def sees_results(user) -> bool:
    return scope.has_permission(user, roles.SCREENING_RESULTS)


def can_manage_class(user, campaign: Campaign, school_class: OrgUnit) -> bool:
    """Codes, consent links and reminders for a class: whoever runs screenings at (or above) the class."""
    return campaign.status == Campaign.Status.OPEN and scope.unit_permission(user, school_class, roles.SCREENING_MANAGE)


@dataclass
class ScreeningLine:
    submission_id: int
    campaign: str
    scored_at: object
    instrument: str
    band: str
    band_level: str
    risk_level: str


def student_screenings(user, student, language: str) -> list[ScreeningLine]:
    """The student's screening results (one line per instrument), newest first, for a user who may see the
    student's clinical records; empty otherwise. One query."""
    if roles.STUDENT_CLINICAL not in scope.permissions_for_student(user, student):
        return []
    results = (Result.objects.filter(student__in=scope.students(user, roles.STUDENT_CLINICAL), student_id=student.pk)
               .select_related("campaign", "instrument_version__instrument").order_by("-scored_at", "id")[:40])
    return [ScreeningLine(r.submission_id, r.campaign.name, r.scored_at,
                          text_in(r.instrument_version.instrument.title or {}, language) or r.instrument_code,
                          band_label(r, language) or r.band_code, r.band_level, r.risk_level)
            for r in results]
