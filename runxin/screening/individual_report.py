"""The individual report in two voices (issue 13, point 3), built from one submission.

* The professional report (`professional`) is for whoever sees the student's screening results (the school's
  psychology teacher, the district centre): every instrument's scores, bands, validity, critical items with their
  text, subscales, and the history of the same instruments for this student.
* The careful report (`careful`) is for the student and the parents, once the psychology teacher shares it
  (`report_share`): strengths first, plain words, never a diagnosis, a band label, a score or a critical item's
  text; what to do at the level of concern, and whom to ask. A positive critical item never gets a reassuring
  text alone: the report then says the school will talk with the student soon and puts the help lines first.

Plain functions: the views (views_individual.py) and the PDFs (pdf.py) only render what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from runxin.access import roles, scope
from runxin.access.models import ReadEvent
from runxin.people.selectors import assignments_in_force

from . import help
from .core.definition import text_in
from .models import ReportShare, Result, Submission
from .services import ScreeningError, definition_of

LEVELS = ("none", "moderate", "high")  # Result.band_level and a band's level, mildest first
HISTORY_LIMIT = 24  # results of one instrument shown in the history (two screenings a year for twelve years)

# Read-audit record types of the report pages (access.ReadEvent.record_type).
READ_PROFESSIONAL = "screening.report.professional"
READ_PREVIEW = "screening.report.careful_preview"
READ_BY = {ReportShare.Audience.STUDENT: "screening.report.student",
           ReportShare.Audience.PARENTS: "screening.report.parents"}


# ----------------------------------------------------------------------------------------- the professional report


@dataclass
class ScaleLine:
    label: str
    value: object  # the reported value (int/float), None when the scale could not be scored
    band: str
    level: str  # the band's level: none | moderate | high | ""
    total: bool
    prorated: bool
    missing: int


@dataclass
class CriticalLine:
    number: str
    text: str
    answer: str
    reason: str
    unanswered: bool = False  # asked and left blank: risk cannot be ruled out


@dataclass
class HistoryPoint:
    submission_id: int
    campaign: str
    on: date
    value: object
    band: str
    level: str
    validity: str
    critical: bool
    current: bool


@dataclass
class Section:
    """One instrument of the submission."""

    result: Result
    code: str
    title: str
    version: str
    not_scored: bool
    scales: list[ScaleLine]
    outcome: str
    outcome_level: str
    validity: str
    validity_reasons: list[str]
    risk: str
    risk_reasons: list[str]
    critical: list[CriticalLine]
    history: list[HistoryPoint]
    total_label: str

    @property
    def earlier(self) -> list[HistoryPoint]:
        return [p for p in self.history if not p.current]


@dataclass
class ProfessionalReport:
    submission: Submission
    student: object
    campaign: object
    sections: list[Section]
    shares: list[ReportShare]

    @property
    def charts(self) -> list[dict]:
        """json_script data of the history charts: one line per instrument with two or more scored points."""
        out = []
        for section in self.sections:
            points = [p for p in section.history if p.value is not None]
            if len(points) >= 2:
                out.append({"id": f"history-{section.code}", "label": section.total_label,
                            "labels": [f"{p.on:%Y-%m-%d}" for p in points],
                            "values": [p.value for p in points], "levels": [p.level for p in points]})
        return out


def _number(value) -> object:
    if value is None:
        return None
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def _scale_lines(score: dict, total_id: str | None, language: str) -> list[ScaleLine]:
    lines = []
    for scale in score.get("scales") or []:
        band = scale.get("band") or {}
        lines.append(ScaleLine(text_in(scale.get("label") or {}, language) or scale.get("id", ""),
                               _number(scale.get("value")), text_in(band.get("label") or {}, language) if band else "",
                               band.get("level", "") if band else "", scale.get("id") == total_id,
                               bool(scale.get("prorated")), int(scale.get("missing") or 0)))
    lines.sort(key=lambda line: not line.total)  # the total first, then the subscales in the definition's order
    return lines


def _critical_lines(result: Result, answers: dict, language: str) -> list[CriticalLine]:
    definition = definition_of(result.instrument_version)
    items = {item.id: item for item in definition.items}
    lines = []
    for flag in result.score.get("flags") or []:
        if flag.get("kind") not in ("critical_item", "critical_unanswered"):
            continue
        item = items.get(flag.get("item"))
        value = answers.get(flag.get("item"))
        option = item.option(value) if item is not None and value is not None else None
        lines.append(CriticalLine(item.label if item else flag.get("item", ""),
                                  text_in(item.text, language) if item else "",
                                  text_in(option.label, language) if option else (value or ""),
                                  text_in(flag.get("message") or {}, language),
                                  unanswered=flag.get("kind") == "critical_unanswered"))
    return lines


def _history(user, student, codes: list[str], current: Submission, language: str) -> dict[str, list[HistoryPoint]]:
    """Every result of the same instruments for this student (earlier and later campaigns, this one marked), as far
    as the user's clinical scope reaches: one query."""
    rows = (Result.objects.filter(student__in=scope.students(user, roles.STUDENT_CLINICAL), student_id=student.pk,
                                  instrument_code__in=codes)
            .select_related("campaign", "instrument_version").order_by("-scored_at", "-id"))
    found: dict[str, list[HistoryPoint]] = {code: [] for code in codes}
    for result in rows:
        points = found[result.instrument_code]
        if len(points) >= HISTORY_LIMIT:
            continue
        not_scored = result.instrument_version.not_scored
        total = (result.score or {}).get("total") or {}
        band = total.get("band") or {}
        points.append(HistoryPoint(
            result.submission_id, result.campaign.name, timezone.localtime(result.scored_at).date(),
            None if not_scored else _number(total.get("value")),
            "" if not_scored or not band else text_in(band.get("label") or {}, language),
            "" if not_scored else result.band_level, Result.Validity(result.validity).label, result.critical,
            result.submission_id == current.pk))
    for points in found.values():
        points.reverse()  # oldest first, as a chart reads
    return found


def professional(user, submission: Submission, language: str) -> ProfessionalReport:
    """The professional report of a submission the caller fetched through the scoping layer
    (selectors.submission_or_404: the user sees the student's clinical records)."""
    student = submission.target.student
    results = list(submission.results.all())
    history = _history(user, student, [r.instrument_code for r in results], submission, language)
    sections = []
    for result in results:
        definition = definition_of(result.instrument_version)
        not_scored = result.instrument_version.not_scored
        answers = (submission.answers or {}).get(result.instrument_code, {})
        outcome = (result.score or {}).get("outcome") or {}
        total = definition.scale(definition.total_scale) if definition.total_scale else None
        sections.append(Section(
            result=result, code=result.instrument_code, title=text_in(definition.title, language),
            version=result.instrument_version.version, not_scored=not_scored,
            scales=[] if not_scored else _scale_lines(result.score or {}, definition.total_scale, language),
            outcome=text_in(outcome.get("label") or {}, language) if outcome else "",
            outcome_level=outcome.get("level", "") if outcome else "",
            validity=Result.Validity(result.validity).label,
            validity_reasons=[text_in(m, language) for m in ((result.score or {}).get("validity") or {})
                              .get("reasons", [])],
            risk=Result.Risk(result.risk_level).label,
            risk_reasons=[text_in(reason, language) for reason in result.risk_reasons or []],
            critical=_critical_lines(result, answers, language),
            history=history.get(result.instrument_code, []),
            total_label=text_in(total.label, language) if total else text_in(definition.title, language),
        ))
    return ProfessionalReport(submission, student, submission.target.campaign, sections, live_shares(submission))


# ----------------------------------------------------------------------------------------- the careful report


@dataclass(frozen=True)
class Area:
    """A part of everyday life a questionnaire asks about, in words for a student and a parent."""

    name: object  # lazy translation
    strength: object  # said when no difficulty was reported in it
    tip: object  # what helps when it has been hard


AREAS: dict[str, Area] = {
    "mood": Area(gettext_lazy("mood"), gettext_lazy("Mood: in good spirits most of the time lately."),
                 gettext_lazy("Mood: do one small thing you enjoy every day, and tell someone you trust how you "
                              "feel.")),
    "interest": Area(gettext_lazy("enjoying things"),
                     gettext_lazy("Enjoying things: still finding pleasure in favourite activities."),
                     gettext_lazy("Enjoying things: make room for a hobby or for time with friends, even a short "
                                  "one.")),
    "sleep": Area(gettext_lazy("sleep"), gettext_lazy("Sleep: sleeping well most nights."),
                  gettext_lazy("Sleep: go to bed and get up at about the same time every day, and put the phone "
                               "away half an hour before bed.")),
    "appetite": Area(gettext_lazy("eating"), gettext_lazy("Eating: appetite as usual."),
                     gettext_lazy("Eating: have three regular meals, even small ones.")),
    "energy": Area(gettext_lazy("energy"), gettext_lazy("Energy: enough energy for the day."),
                   gettext_lazy("Energy: move for about 30 minutes a day (running, skipping, ball games or a walk) "
                                "and eat regular meals.")),
    "self": Area(gettext_lazy("how you see yourself"),
                 gettext_lazy("Self-confidence: a fair and friendly view of oneself."),
                 gettext_lazy("Self-confidence: write down one thing that went well each day, however small.")),
    "focus": Area(gettext_lazy("concentration"),
                  gettext_lazy("Concentration: able to focus on schoolwork and reading."),
                  gettext_lazy("Concentration: study in blocks of 20 to 30 minutes with short breaks, and keep the "
                               "phone out of reach while studying.")),
    "calm": Area(gettext_lazy("feeling calm"), gettext_lazy("Calm: able to relax and settle down."),
                 gettext_lazy("Calm: when you feel tense, breathe slowly or stretch for a few minutes.")),
    "worry": Area(gettext_lazy("worries"), gettext_lazy("Worries: worries stay manageable."),
                  gettext_lazy("Worries: when worries pile up, write them down and talk them over with someone.")),
    "temper": Area(gettext_lazy("patience"), gettext_lazy("Patience: staying patient with other people."),
                   gettext_lazy("Patience: when you feel irritable, take a short break before you answer.")),
    "friends": Area(gettext_lazy("friends"), gettext_lazy("Friends: getting along with classmates and friends."),
                    gettext_lazy("Friends: say hello to a classmate or join a group activity, and tell a teacher "
                                 "if someone treats you badly.")),
    "outlook": Area(gettext_lazy("looking ahead"), gettext_lazy("Looking ahead: expecting good things to come."),
                    gettext_lazy("Looking ahead: plan one small thing to look forward to this week.")),
}

# Which item of which shipped instrument speaks about which area. Critical items (self-harm, suicide) and the
# ASQ are in no area: they never turn into a sentence of the careful report. An instrument not listed here adds
# no area; its results still set the level of concern.
AREA_ITEMS: dict[str, dict[str, str]] = {
    "phqa": {"q1": "mood", "q2": "interest", "q3": "sleep", "q4": "appetite", "q5": "energy", "q6": "self",
             "q7": "focus"},
    "phq9": {"q1": "interest", "q2": "mood", "q3": "sleep", "q4": "energy", "q5": "appetite", "q6": "self",
             "q7": "focus"},
    "gad7": {"q1": "worry", "q2": "worry", "q3": "worry", "q4": "calm", "q5": "calm", "q6": "temper",
             "q7": "worry"},
    "cesdc": {"q1": "mood", "q2": "appetite", "q3": "mood", "q4": "self", "q5": "focus", "q6": "mood",
              "q7": "energy", "q8": "outlook", "q9": "self", "q10": "worry", "q11": "sleep", "q12": "mood",
              "q14": "friends", "q15": "friends", "q16": "interest", "q17": "mood", "q18": "mood",
              "q19": "friends", "q20": "energy"},
    "who5": {"q1": "mood", "q2": "calm", "q3": "energy", "q4": "sleep", "q5": "interest"},
    "psc17": {"q1": "calm", "q2": "mood", "q3": "focus", "q4": "friends", "q5": "friends", "q6": "outlook",
              "q7": "focus", "q8": "friends", "q9": "self", "q11": "interest", "q13": "calm", "q14": "friends",
              "q15": "worry", "q17": "focus"},
}
# Instruments whose items ask about good things (a high score is good): WHO-5.
GOOD_WHEN_HIGH = frozenset({"who5"})
# An item "went well" at no difficulty at all (a well-being item: at least more than half the time, 3 of 5), and
# "is worth looking after" from about two thirds of its range (PHQ: more than half the days; PSC-17: often).
WELL_AT_MOST = {False: Decimal(0), True: Decimal("0.4")}
HARD_FROM = Decimal("0.6")
LOOK_AFTER_MAX = 3

# The tones of the careful report: how much concern it voices. Never shown as a word on the page.
CALM, CARE, SUPPORT, UNCLEAR = "calm", "care", "support", "unclear"
TONE_OF_LEVEL = {"none": CALM, "moderate": CARE, "high": SUPPORT}


@dataclass
class CarefulReport:
    student_name: str
    school: str
    class_name: str
    campaign: str
    taken_on: date
    tone: str  # calm | care | support | unclear
    urgent: bool  # a critical item was positive: the school talks with the student soon
    strengths: list[str]
    look_after: list[str]  # the names of areas that have been hard, at most LOOK_AFTER_MAX
    student_steps: list[str]
    parent_steps: list[str]
    psych_teachers: list[str]
    head_teachers: list[str]
    hotlines: list[tuple[str, str]] = field(default_factory=list)
    emergency: list[str] = field(default_factory=list)

    @property
    def opening(self) -> str:
        return {
            CALM: _("The answers this time suggest that things have been going fairly well for you lately. Keep "
                    "up what works for you; everyone has hard days, and talking about them helps."),
            CARE: _("The answers this time suggest that some things have been harder for you lately. That "
                    "happens to many students, and with a little care and support it usually gets better. Look "
                    "after yourself a bit more for now; the psychology teacher is glad to listen to you."),
            SUPPORT: _("The answers this time suggest that you have been carrying quite a lot lately. You do not "
                       "have to handle it alone: the school's psychology teacher will ask you for a time to talk, "
                       "and together you will find what helps."),
            UNCLEAR: _("Some questions were left out or answered very quickly this time, so this feedback cannot "
                       "say much about how you have been. The psychology teacher may invite you for a short "
                       "talk."),
        }[self.tone]

    @property
    def urgent_text(self) -> str:
        return _("Thank you for telling us honestly how you feel. Some of your answers matter a great deal to us, "
                 "so the school's psychology teacher will talk with you in person soon. Until then, if you feel "
                 "very bad or unsafe, tell an adult near you straight away, or call one of the help lines below.")

    @property
    def title(self) -> str:
        return _("Feedback on the questionnaire")


def _level_of(result: Result) -> int:
    """How much concern one scored result voices, 0 (none) … 2 (high): its bands (total and subscales), its
    outcome and the signal it raised; "review" adds none by itself."""
    score = result.score or {}
    levels = [((s.get("band") or {}).get("level") or "none") for s in score.get("scales") or []]
    levels.append(((score.get("outcome") or {}).get("level")) or "none")
    levels.append(result.band_level or "none")
    levels.append({"high": "high", "moderate": "moderate"}.get(result.risk_level, "none"))
    return max(LEVELS.index(level) if level in LEVELS else (2 if level == "critical" else 0) for level in levels)


def _difficulty(item, value, good_when_high: bool) -> Decimal | None:
    """0 (no difficulty) … 1 (the most difficulty the item allows), or None for an unscored or unanswered item."""
    score = item.score_for(value) if value is not None else None
    if score is None:
        return None
    low, high = item.score_range
    if high == low:
        return None
    spread = (high - score) if good_when_high else (score - low)
    return spread / (high - low)


def _areas(results: list[Result], answers: dict) -> tuple[list[str], list[str]]:
    """(areas that went well, areas worth looking after), in the order of AREAS, from the usable results."""
    well: dict[str, bool] = {}
    hard: set[str] = set()
    for result in results:
        mapping = AREA_ITEMS.get(result.instrument_code)
        if not mapping:
            continue
        definition = definition_of(result.instrument_version)
        critical = {c.item for c in definition.critical_items}
        given = answers.get(result.instrument_code, {})
        good_high = result.instrument_code in GOOD_WHEN_HIGH
        for item in definition.items:
            area = mapping.get(item.id)
            if area is None or item.id in critical:
                continue
            difficulty = _difficulty(item, given.get(item.id), good_high)
            if difficulty is None:
                continue
            well[area] = well.get(area, True) and difficulty <= WELL_AT_MOST[good_high]
            if difficulty >= HARD_FROM:
                hard.add(area)
    return ([code for code in AREAS if well.get(code)], [code for code in AREAS if code in hard])


def _contacts(student) -> tuple[list[str], list[str]]:
    """The names of the school's psychology teachers and the class's head teachers, in force today."""
    rows = (assignments_in_force().filter(user__is_active=True)
            .filter(Q(role="psych_teacher", org_unit_id=student.school_id)
                    | Q(role="head_teacher", org_unit_id=student.school_class_id))
            .values_list("role", "user__display_name", "user__username").order_by("id"))
    psych, head = [], []
    for role, display_name, username in rows:
        name = display_name or username
        bucket = psych if role == "psych_teacher" else head
        if name not in bucket:
            bucket.append(name)
    return psych, head


def _student_steps(tone: str, urgent: bool, look_after: list[str]) -> list[str]:
    steps = []
    if urgent:
        steps.append(_("If you feel very bad, think about hurting yourself, or feel unsafe, tell an adult near you "
                       "at once or call a help line below."))
        steps.append(_("The school's psychology teacher will talk with you in person soon."))
    if tone == SUPPORT and not urgent:
        steps.append(_("The psychology teacher will ask you for a time to talk; you can also go to the counselling "
                       "room yourself at any time."))
    if tone in (SUPPORT,) or urgent:
        steps.append(_("Do not carry it alone: when things feel hard, tell your family or a teacher."))
    steps += [str(AREAS[code].tip) for code in look_after]
    steps.append(_("Keep a steady rhythm: enough sleep, regular meals and some exercise every day."))
    steps.append(_("Talk to someone when something bothers you: your family, a friend, the head teacher or the "
                   "psychology teacher."))
    if tone == CARE and not urgent:
        steps.append(_("If these feelings last two weeks or more, or get in the way of school and daily life, book "
                       "a talk at the school's counselling room: the psychology teacher will listen."))
    return steps


def _parent_steps(tone: str, urgent: bool) -> list[str]:
    steps = []
    if urgent:
        steps.append(_("The school will contact you soon. Please stay close to your child these days, keep an eye "
                       "on their safety, and put medicines, blades and other dangerous things out of reach."))
        steps.append(_("If your child talks about hurting themselves or shows signs of it, stay with them and call "
                       "%(numbers)s or a help line below.") % {"numbers": " / ".join(help.emergency_numbers())})
    if tone == SUPPORT:
        steps.append(_("The psychology teacher will get in touch to agree with you how to support your child "
                       "together; you are welcome to call first."))
        steps.append(_("If needed, the school may suggest that you go with your child to a medical institution for "
                       "a closer look."))
    if tone in (CARE, SUPPORT, UNCLEAR) or urgent:
        steps.append(_("Ask calmly how your child has been feeling; listen patiently and do not rush to judge or "
                       "lecture."))
    if tone == CARE and not urgent:
        steps.append(_("If things have not improved after two weeks, contact the head teacher or the psychology "
                       "teacher."))
    steps.append(_("Listen when your child talks about school, and praise what goes well."))
    steps.append(_("Protect time for sleep and exercise, and keep evening screen time in check."))
    return steps


def careful(submission: Submission) -> CarefulReport:
    """The careful report of a submission, in the current language. Invalid results and versions published as "not
    scored" say nothing; a positive critical item (on any result) makes the report urgent."""
    student = submission.target.student
    results = list(submission.results.all())
    urgent = submission.critical or any(r.critical or r.risk_level == Result.Risk.CRITICAL for r in results)
    usable = [r for r in results
              if not r.instrument_version.not_scored and r.validity != Result.Validity.INVALID]
    level = max((_level_of(r) for r in usable), default=0)
    tone = TONE_OF_LEVEL[LEVELS[level]] if usable else UNCLEAR
    if urgent:
        tone = SUPPORT  # never a reassuring text beside a positive critical item
    well, hard = _areas(usable, submission.answers or {})
    strengths = [str(AREAS[code].strength) for code in well]
    strengths.append(_("Taking part: taking the time to answer questions about your own feelings is a good step "
                       "in itself."))
    look_after = hard[:LOOK_AFTER_MAX]
    psych, head = _contacts(student)
    school_class = student.school_class
    return CarefulReport(
        student_name=student.name, school=student.school.name if student.school_id else "",
        class_name=school_class.name if school_class else "", campaign=submission.target.campaign.name,
        taken_on=timezone.localtime(submission.received_at).date(), tone=tone, urgent=urgent,
        strengths=strengths, look_after=[str(AREAS[code].name) for code in look_after],
        student_steps=_student_steps(tone, urgent, look_after), parent_steps=_parent_steps(tone, urgent),
        psych_teachers=psych, head_teachers=head, hotlines=help.hotlines(), emergency=help.emergency_numbers())


# ----------------------------------------------------------------------------------------- sharing


def live_shares(submission: Submission) -> list[ReportShare]:
    return list(ReportShare.objects.filter(submission=submission, withdrawn_at__isnull=True)
                .select_related("shared_by").order_by("audience"))


def share_history(submission: Submission) -> list[ReportShare]:
    return list(ReportShare.objects.filter(submission=submission).select_related("shared_by", "withdrawn_by"))


def may_share(user, student) -> bool:
    return scope.students(user, roles.INDIVIDUAL_REPORT_SHARE).filter(pk=student.pk).exists()


def report_share(*, user, submission: Submission, audiences: list[str]) -> list[ReportShare]:
    """Share the careful report with the student and/or the parents. A live share for an audience stays as it is
    (sharing twice is one share). Only who holds the sharing permission at the student may; the rows name who and
    when, and the change audit records them. Returns the new shares."""
    student = submission.target.student
    wanted = [a for a in ReportShare.Audience.values if a in set(audiences)]
    if not wanted:
        raise ScreeningError(_("Choose the student, the parents or both."))
    if not may_share(user, student):
        raise ScreeningError(_("You cannot share reports about this student."))
    created = []
    with transaction.atomic():
        # One share per audience even when two people press the button at once: the submission row serialises them.
        Submission.objects.select_for_update().filter(pk=submission.pk).values_list("pk", flat=True).first()
        live = set(ReportShare.objects.filter(submission=submission, withdrawn_at__isnull=True)
                   .values_list("audience", flat=True))
        for audience in wanted:
            if audience in live:
                continue
            try:
                with transaction.atomic():
                    created.append(ReportShare.objects.create(
                        submission=submission, student=student, audience=audience, shared_by=user,
                        shared_at=timezone.now()))
            except IntegrityError:  # shared a moment ago by someone else: the same outcome
                continue
    return created


def report_withdraw(*, user, submission: Submission, audience: str) -> ReportShare | None:
    """Withdraw the live share of an audience: from now on the family no longer sees the report. None when there
    was nothing to withdraw."""
    if not may_share(user, submission.target.student):
        raise ScreeningError(_("You cannot share reports about this student."))
    with transaction.atomic():
        share = (ReportShare.objects.select_for_update()
                 .filter(submission=submission, audience=audience, withdrawn_at__isnull=True).first())
        if share is None:
            return None
        share.withdrawn_by = user
        share.withdrawn_at = timezone.now()
        share.save(update_fields=["withdrawn_by", "withdrawn_at"])
    return share


@dataclass
class Opened:
    audience: str
    first: object
    last: object
    times: int


def opened_by_family(submission: Submission) -> dict[str, Opened]:
    """When the student and the parents opened the shared report (from the read audit), per audience."""
    found: dict[str, Opened] = {}
    rows = (ReadEvent.objects.filter(student_id=submission.target.student_id, record_id=str(submission.pk),
                                     record_type__in=list(READ_BY.values()))
            .values_list("record_type", "at").order_by("at"))
    audience_of = {v: k for k, v in READ_BY.items()}
    for record_type, at in rows:
        audience = audience_of[record_type]
        entry = found.get(audience)
        if entry is None:
            found[audience] = Opened(audience, at, at, 1)
        else:
            entry.last, entry.times = at, entry.times + 1
    return found


# ----------------------------------------------------------------------------------------- what the family sees

_FAMILY_PERMISSION = {ReportShare.Audience.STUDENT: roles.SCREENING_TAKE,
                      ReportShare.Audience.PARENTS: roles.PARENT_HOME}


def shared_with(user, audience: str) -> list[ReportShare]:
    """The live shares a student (their own) or a parent (their own children's) may open, newest first."""
    students = scope.students(user, _FAMILY_PERMISSION[audience])
    return list(ReportShare.objects.filter(audience=audience, withdrawn_at__isnull=True, student__in=students)
                .select_related("submission__target__campaign", "student").order_by("-shared_at", "-id"))


def shared_submission_or_404(user, submission_id: int, audience: str) -> Submission:
    """A submission whose careful report is shared, live, with this audience and reaches the user through the
    scoping layer (the student themself, a parent's own child); 404 otherwise — before sharing, after withdrawal,
    or another family's."""
    students = scope.students(user, _FAMILY_PERMISSION[audience])
    share = (ReportShare.objects.filter(submission_id=submission_id, audience=audience, withdrawn_at__isnull=True,
                                        student__in=students).first())
    if share is None:
        raise Http404("No such report")
    return (Submission.objects.filter(pk=share.submission_id)
            .select_related("target__student__school", "target__student__school_class", "target__campaign")
            .prefetch_related("results__instrument_version").get())
