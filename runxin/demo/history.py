"""The demo city's past: the two school years before the current one, played back through the real services.

The dashboards' 24-month trends, the screening reports' comparisons (the previous campaign, the same season last
year), the risk zoning's twelve months and the yearly white paper need a past. This module makes one after the
city exists (generator.py) and before the current semester is played (activity.py), with the same frozen clock
(`at(moment)`), so every row carries its past date:

* each past school year has an autumn (October, after the National Day week) and a spring (April, after Qingming)
  universal screening (普测) with PHQ-A and GAD-7, city-wide as Changzhou's and Cixi's are: the city's centre runs
  it, every school's psychology teacher sends the guardians' notices class by class, a few guardians decline, each
  class answers in one lesson and 90–97 % of its students hand in. Each student answers from a profile that drifts
  plausibly: most stay well, some get better, some worse, exam season brings a spring bump (more in the graduating
  grades 9 and 12), a flagged student usually answers better the next time, and a few answer too fast to be valid;
* the flags reach the warnings app through the real hand-over (screening's in-process hand-over after each
  submission), a few per cent of the students, most at the lowest level;
* each warning is worked as a school works it (`_warning_life`): acknowledged within its level's time (a few are
  not, and the escalation sweep moves them up to the next tier, where they are acknowledged), assessed (some
  dismissed, some given another level), taken into intervention with visits (回访) along the way, a few handed up to
  the district centre, red and some orange ones referred to the partner hospital (accepted, first visit, some
  admitted, discharged, return-to-school assessment, the discharge's follow-ups, closed), monitored, cleared with
  the approval of the level's tier (once in a while refused first), the continued-attention follow-ups recorded on
  their days, and back to normal. A few of last spring's serious cases outside the demo logins' schools are still
  monitored today, on purpose, with a visit every month;
* home visits (家访) by the head teachers to a good share of their class each year (more the second year, every key
  student), and a post-incident review (复盘) in each year.

Time runs in order across everything (`Clockwork`): each warning's life is a script that yields the moment of its
next step, so the escalation sweep only ever finds the warnings nobody acknowledged, and every step keeps to its
level's clock. A season's cases are closed before the next season's screening (last spring's in September), and
nothing is left for the current semester: every past warning is closed or dismissed (except the deliberately
monitored ones, at schools where the current semester plays nothing), every follow-up is recorded, every referral
closed, and the inbox notifications of each past year were read by its end.

Placements: the demo's students did not exist in lower grades (the generator makes this year's city only), so the
past answers and records are kept with each student's current class; the staff were in post throughout (the
generator appoints them on the first day of the oldest past year, `first_past_year`). Deterministic for a seed:
every draw comes from a random generator named by the seed and the student or the warning, not by database ids.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time as time_module
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from runxin.accounts.models import User
from runxin.alerts import escalation, states
from runxin.alerts import selectors as alert_selectors
from runxin.alerts import services as alerts
from runxin.alerts.models import FollowUp, Warning
from runxin.cases import incidents
from runxin.notify import services as notify
from runxin.notify.models import Notification
from runxin.org import rollover
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import RoleAssignment, Student
from runxin.referrals import services as referrals
from runxin.referrals.models import Referral
from runxin.screening import services as screening
from runxin.screening.models import Campaign, CampaignTarget, ConsentRecord
from runxin.visits import services as visits

from .activity import DIFFICULTY, FREQ, published_versions

PAST_YEARS = 2
GRADES = list(range(6, 13))  # PHQ-A is for grades 6–12, GAD-7 for 7–12 (the instruments say so)
SEASONS = (("autumn", 10, 9), ("spring", 4, 8))  # (season, month, day) the window opens; both after a holiday week
WINDOW_DAYS = 14
ANSWER_RATES = (0.90, 0.97)  # a class's share of students who hand in
GUARDIAN_DECLINE_RATE = 0.012
TOO_FAST_RATE = 0.003  # answered in a few seconds: invalid, "needs review"
VISIT_SHARE = (0.6, 0.8)  # home visits per school year: the first past year, the second (rising, as Jiaxing's)
ESCALATION_RATE = 0.04  # warnings nobody acknowledged in time
STILL_MONITORED_RATE = 0.25  # of last spring's orange and red warnings outside the demo logins' schools


@dataclass
class HistoryResult:
    years: list[str] = field(default_factory=list)
    campaigns: int = 0
    submissions: int = 0
    warnings: int = 0
    states: dict[str, int] = field(default_factory=dict)
    escalated: int = 0
    referrals: int = 0
    follow_ups: int = 0
    home_visits: int = 0
    incidents: int = 0
    notifications: int = 0
    seconds: float = 0.0


def first_past_year(current: SchoolYear) -> SchoolYear:
    """The oldest past school year's dates, unsaved: the generator appoints the staff on its first day (they were in
    post through the past); the stored row is made by `past_years` when the past is played."""
    start = current.start_year - PAST_YEARS
    return SchoolYear(code=f"{start}-{start + 1}", starts_on=date(start, 9, 1), ends_on=date(start + 1, 8, 31))


def past_years(current: SchoolYear) -> list[SchoolYear]:
    """The PAST_YEARS school years before `current`, oldest first. A missing one is made by the org app's rollover
    helper, which makes the year after a given one (the year before is only named here, never stored)."""
    years = []
    for back in range(PAST_YEARS, 0, -1):
        start = current.start_year - back
        years.append(rollover.next_year_get_or_create(SchoolYear(code=f"{start - 1}-{start}")))
    return years


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the real services as if it were `moment`, as activity.at does, without building a mock object for each
    of the history's tens of thousands of steps: their clock (django.utils.timezone.now) returns `moment`."""
    saved = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = saved


def _local(day: date, hour: float) -> datetime:
    moment = datetime.combine(day, time(0, 0), tzinfo=timezone.get_current_timezone())
    return moment + timedelta(hours=hour)


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# ------------------------------------------------------------------------------------------------ the clockwork

class Clockwork:
    """Scripts run in time order. A script is a generator that yields the moment of its next step; the step (the
    code after that yield) runs under `at(moment)`. Scripts may add scripts; `after_step` runs after each step."""

    def __init__(self, *, limit: datetime, after_step: Callable[[], None] | None = None) -> None:
        self.limit = limit  # nothing happens at or after this moment
        self.after_step = after_step or (lambda: None)
        self.queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        self.order = itertools.count()

    def add(self, script: Iterator[datetime]) -> None:
        self._schedule(next(script, None), script)

    def _schedule(self, moment: datetime | None, script: Iterator[datetime]) -> None:
        if moment is None or moment >= self.limit:
            script.close()  # a step that would lie in the future (a young current year) is not taken
            return
        heapq.heappush(self.queue, (moment, next(self.order), script))

    def run(self) -> None:
        while self.queue:
            moment, _order, script = heapq.heappop(self.queue)
            with at(moment):
                following = next(script, None)
            if following is not None and following < moment:
                raise ValueError(f"a script went back in time: {following} after {moment}")
            self._schedule(following, script)
            self.after_step()


# ---------------------------------------------------------------------------------------------- how they answer

@dataclass(frozen=True)
class Answered:
    phq: int  # PHQ-A total (items 1–9)
    gad: int  # GAD-7 total
    thoughts: bool  # item 9 positive (thoughts of death or self-harm)
    too_fast: bool


def trajectory(seed: int, student_number: str, grade: int, campaigns: int) -> list[Answered]:
    """How a student answers the past campaigns, oldest first. A baseline (most students well), a drift (most stay,
    one in ten gets better, somewhat fewer worse), spring's exam season (more in the graduating grades 9 and 12), a
    rare life event, the second year a little better than the first (the city's work), and relief after a screening
    that flagged the student (the intervention works, mostly). About 3–6 % of the answers are flagged."""
    rng = random.Random(f"{seed}:student:{student_number}")
    roll = rng.random()
    if roll < 0.72:
        base = rng.uniform(0, 4)
    elif roll < 0.945:
        base = rng.uniform(2.5, 6.5)
    elif roll < 0.988:
        base = rng.uniform(6, 10)
    else:
        base = rng.uniform(10, 16)
    roll = rng.random()
    trend = -0.8 if roll < 0.10 else 0.7 if roll < 0.17 else 0.0
    anxious = 3.5 if rng.random() < 0.06 else 0.0
    relief = 0.0
    answered = []
    for k in range(campaigns):
        spring = k % 2 == 1
        season = (0.8 + (1.2 if grade in (9, 12) else 0.0)) if spring else 0.0
        event = rng.uniform(5, 9) if rng.random() < 0.012 else 0.0
        level = base + trend * k + season + event - relief - 0.3 * (k // 2) + rng.gauss(0, 1.5)
        phq = max(0, min(27, round(level)))
        gad = max(0, min(21, round(0.65 * phq + anxious + rng.gauss(0, 1.5))))
        chance = 0.3 if phq >= 15 else 0.08 if phq >= 10 else 0.006 if phq >= 5 else 0.0005
        thoughts = rng.random() < chance
        too_fast = rng.random() < TOO_FAST_RATE
        answered.append(Answered(max(phq, 1) if thoughts else phq, gad, thoughts, too_fast))
        flagged = phq >= 10 or gad >= 10 or thoughts or too_fast
        relief = rng.uniform(2, 5) if flagged and rng.random() < 0.8 else 0.0
    return answered


def _spread(rng: random.Random, total: int, items: int) -> list[int]:
    values = [0] * items
    for _ in range(min(total, 3 * items)):
        values[rng.choice([i for i in range(items) if values[i] < 3])] += 1
    return values


def answers_for(rng: random.Random, answered: Answered) -> dict:
    """PHQ-A and GAD-7 answers with these totals (GAD-7 is left out by the campaign below grade 7)."""
    q9 = rng.choice([1, 1, 2]) if answered.thoughts else 0
    q9 = min(q9, answered.phq)
    phq = _spread(rng, answered.phq - q9, 8) + [q9]
    phqa = {f"q{n}": FREQ[v] for n, v in enumerate(phq, start=1)}
    phqa |= {"past_year": "yes" if answered.phq >= 5 and rng.random() < 0.5 else "no",
             "past_month_thoughts": "yes" if answered.thoughts and rng.random() < 0.4 else "no",
             "lifetime_attempt": "yes" if answered.thoughts and rng.random() < 0.05 else "no"}
    if answered.phq >= 5:
        phqa["difficulty"] = DIFFICULTY[min(3, answered.phq // 6)]
    gad7 = {f"q{n}": FREQ[v] for n, v in enumerate(_spread(rng, answered.gad, 7), start=1)}
    if answered.gad >= 5:
        gad7["q8"] = DIFFICULTY[min(3, answered.gad // 6)]
    return {"phqa": phqa, "gad7": gad7}


# --------------------------------------------------------------------------------------------------- the people

@dataclass
class School:
    unit: OrgUnit
    psych: User
    leader: User
    heads: dict[int, User]  # class id → head teacher


class Staff:
    """Who acts where: each school's psychology teacher and leader (the named demo logins at their school), each
    class's head teacher, the centre of each district (the city's centre where a district has none), the partner
    hospital's clinician."""

    def __init__(self) -> None:
        rows = (RoleAssignment.objects.filter(is_active=True, role__in=[
            "psych_teacher", "school_leader", "head_teacher", "centre_staff", "hospital"])
            .select_related("user", "org_unit").order_by("id"))
        by_role: dict[tuple[str, int], list[User]] = {}
        units: dict[int, OrgUnit] = {}
        for row in rows:
            if row.org_unit is None:
                continue
            by_role.setdefault((row.role, row.org_unit_id), []).append(row.user)
            units[row.org_unit_id] = row.org_unit

        def first(role: str, unit_id: int) -> User | None:
            people = by_role.get((role, unit_id), [])
            named = [u for u in people if "-" not in u.username]  # the demo logins before the imported staff
            return (named or people or [None])[0]

        self.schools: dict[int, School] = {}
        for school in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, is_active=True).order_by("code"):
            psych, leader = first("psych_teacher", school.pk), first("school_leader", school.pk)
            if psych is None or leader is None:
                continue
            heads = {unit_id: people[0] for (role, unit_id), people in by_role.items()
                     if role == "head_teacher" and units[unit_id].school_id == school.pk}
            self.schools[school.pk] = School(school, psych, leader, heads)
        self.city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
        self.city_centre = first("centre_staff", self.city.pk)
        self.centres = {unit_id: people[0] for (role, unit_id), people in by_role.items()
                        if role == "centre_staff" and units[unit_id].kind == OrgUnit.Kind.DISTRICT}
        hospitals = [(unit_id, people[0]) for (role, unit_id), people in by_role.items()
                     if role == "hospital" and units[unit_id].kind == OrgUnit.Kind.HOSPITAL]
        self.hospital, self.clinician = ((units[hospitals[0][0]], hospitals[0][1]) if hospitals else (None, None))


# ------------------------------------------------------------------------------------------------- the history

REASONS = {
    "ack": ["已接报，联系班主任了解情况。", "已接报，当天约谈学生。", "已接报，已告知分管校长。"],
    "confirm": ["个别访谈确认存在情绪困扰，制定干预计划。", "约谈学生并电话联系家长，确认近期情绪低落。",
                "访谈后确认：学业压力大、睡眠差，需要跟进。"],
    "dismiss": ["个别访谈后判断：答题时误读题意，近期情绪稳定，无风险。",
                "约谈后确认作答时未认真阅读题目，复测结果正常。"],
    "dismiss_fast": ["作答用时过短，约谈复测后结果正常，无风险。"],
    "intervention": ["每周一次个体辅导，班主任日常关注，已与家长沟通。",
                     "每两周一次个体辅导，安排知心导师结对，家校每周沟通。"],
    "visit": ["回访：学生情绪较前平稳，能按时完成作业。", "回访：与家长电话沟通，学生在家作息规律。",
              "回访：学生主动来辅导室交流近况，状态良好。"],
    "monitor": ["连续辅导后情绪趋于稳定，转入监测。", "症状明显缓解，转入监测，每两周约谈一次。"],
    "request": ["连续随访稳定，复测结果正常，申请解除。", "监测期内情绪稳定、学习生活正常，申请解除预警。"],
    "approve": ["同意解除，转入持续关注。", "同意解除，请按期回访。"],
    "reject": ["近期仍有睡眠问题，继续监测两周后再申请。"],
    "follow_up": ["回访：学生情绪平稳，学习生活正常，家长配合。", "回访：状态良好，与同学相处融洽。",
                  "回访：家长反映在家情绪稳定，继续关注。"],
    "normal": ["回访全部完成，恢复常态管理。"],
}


class History:
    def __init__(self, *, seed: int = 2026, now: datetime | None = None,
                 progress: Callable[[str], None] | None = None) -> None:
        self.seed = seed
        self.now = now or timezone.now()
        self.progress = progress or (lambda message: None)
        self.result = HistoryResult()
        self.current = SchoolYear.objects.get(is_current=True)
        self.years = past_years(self.current)
        self.staff = Staff()
        self.levels = {level.code: level for level in alerts.active_levels()}
        # The schools where the current semester plays (the demo logins' school and the live screening's): nothing
        # of the past may still be open there, or the semester would play differently.
        from .activity import other_school_for

        demo_school = next((s for s in self.staff.schools.values() if s.psych.username == "psych_teacher"), None)
        other = other_school_for(demo_school.unit) if demo_school else None
        self.quiet_schools = {s.pk for s in (demo_school.unit if demo_school else None, other) if s is not None}
        self.trajectories: dict[int, list[Answered]] = {}
        self.last_warning_id = Warning.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.first_warning_id = self.last_warning_id
        self.notifications_before = Notification.objects.count()
        self.answering = -1  # the campaign (0, 1, 2 … oldest first) whose answers are being handed in
        self.season_of: dict[int, int] = {}  # warning id → the campaign whose answers raised it
        self.raising = False  # the last step handed answers in (new warnings may have been raised)
        self.reviewed: set[str] = set()  # the past years with a post-incident review
        self.reviewed_schools: set[int] = set()
        self.unacknowledged = 0.5  # the share of warnings nobody acknowledged in time, accumulated (see _warning_life)
        self.clock: Clockwork | None = None

    # -- the whole run --------------------------------------------------------------------------------------
    def run(self) -> HistoryResult:
        with translation.override(settings.LANGUAGE_CODE):  # what the services write in histories is Chinese
            self.versions = published_versions(["phqa", "gad7"])
            # One clock for both years: last spring's cases run on into this September beside nothing else, and a
            # case of one season is closed before the next season's screening (the timings below keep it so).
            self.clock = Clockwork(limit=self.now - timedelta(days=3), after_step=self._adopt_new_warnings)
            for number, year in enumerate(self.years):
                self.result.years.append(year.code)
                for season_index, season in enumerate(SEASONS):
                    self.clock.add(self._campaign_life(year, season, 2 * number + season_index))
                self.clock.add(self._inbox_read(year))
            self.clock.run()
            for year, share in zip(self.years, VISIT_SHARE, strict=True):
                self._home_visits(year, share)
                self.progress(f"history: {year.code} done, home visits too")
        self._count()
        return self.result

    def _count(self) -> None:
        past = Warning.objects.filter(pk__gt=self.first_warning_id)
        self.result.warnings = past.count()
        self.result.states = dict(Counter(past.values_list("state", flat=True)))
        self.result.escalated = past.filter(escalation_count__gt=0).count()
        self.result.referrals = Referral.objects.filter(warning__in=past).count()
        self.result.follow_ups = FollowUp.objects.filter(done_at__isnull=False, student__in=past.values("student")).count()
        self.result.notifications = Notification.objects.count() - self.notifications_before

    def _rng(self, *names) -> random.Random:
        return random.Random(":".join(str(n) for n in (self.seed, *names)))

    # -- a universal screening --------------------------------------------------------------------------------
    def _campaign_life(self, year: SchoolYear, season: tuple[str, int, int], index: int) -> Iterator[datetime]:
        name, month, day = season
        calendar_year = year.start_year if month >= 9 else year.start_year + 1
        start = _weekday(date(calendar_year, month, day))
        end = start + timedelta(days=WINDOW_DAYS)
        centre = self.staff.city_centre
        label = "秋季" if name == "autumn" else "春季"
        yield _local(start - timedelta(days=14), 10)
        campaign = screening.campaign_create(user=centre, spec=screening.CampaignSpec(
            name=f"{calendar_year}年{label}学期心理健康普测", kind=Campaign.Kind.UNIVERSAL, owner=self.staff.city,
            window_start=start, window_end=end, consent_mode=Campaign.ConsentMode.OPT_OUT, versions=self.versions,
            grades=GRADES, groups=[], key_students=False, student_numbers=[]))
        opened = start - timedelta(days=3)
        yield _local(opened, 9)
        campaign = screening.campaign_open(user=centre, campaign=campaign, today=opened)
        self.result.campaigns += 1
        targets = list(CampaignTarget.objects.filter(campaign=campaign).select_related("student")
                       .order_by("school_id", "school_class_id", "student__student_number"))
        by_class: dict[int, list[CampaignTarget]] = {}
        for target in targets:
            by_class.setdefault(target.school_class_id, []).append(target)
        classes = OrgUnit.objects.select_related("school").in_bulk(list(by_class))
        yield _local(opened, 15)
        # Each school's psychology teacher sends the guardians' notice class by class; a few guardians decline.
        for class_id in by_class:
            school = self.staff.schools.get(by_class[class_id][0].school_id)
            if school is None:
                continue
            screening.consent_mark_notified(user=school.psych, campaign=campaign, school_class=classes[class_id])
        yield _local(opened + timedelta(days=2), 11)
        for target in targets:
            school = self.staff.schools.get(target.school_id)
            rng = self._rng("consent", index, target.student.student_number)
            if school is not None and rng.random() < GUARDIAN_DECLINE_RATE:
                screening.consent_decide(target=target, decision=ConsentRecord.State.DECLINED, user=school.psych,
                                         channel=ConsentRecord.Channel.PAPER, guardian_name="")
        # Each class answers in one lesson on a school day of the window, the classes of a school spread out.
        days = [start + timedelta(days=d) for d in range(WINDOW_DAYS) if (start + timedelta(days=d)).weekday() < 5]
        lessons = []
        for n, (class_id, class_targets) in enumerate(by_class.items()):
            lesson = _local(days[(n * 3) % len(days)], 8 + (n % 7) + (1.5 if n % 7 >= 4 else 0))
            lessons.append((lesson, class_id, class_targets))
        for lesson, _class_id, class_targets in sorted(lessons, key=lambda item: (item[0], item[1])):
            yield lesson
            self.answering = index
            unit = classes[class_targets[0].school_class_id]
            self._lesson(index, lesson, class_targets, f"{unit.school.code}/{unit.grade_level}/{unit.class_number}")
        yield _local(end + timedelta(days=1), 8)
        screening.campaign_close(user=centre, campaign=campaign)
        self.answering = index
        screening.flags_hand_over_pending()  # anything the in-process hand-over left (it retries a failure)
        self.raising = True

    def _lesson(self, index: int, lesson: datetime, targets: list[CampaignTarget], school_class: str) -> None:
        """One class answers in a lesson. Each answer is handed in at its minute; its flags go to the warnings app
        through the in-process hand-over as it commits, and raise their warnings at that minute."""
        rng = self._rng("lesson", index, school_class)
        rate = rng.uniform(*ANSWER_RATES)
        loaded = CampaignTarget.objects.select_related("campaign", "student", "consent").in_bulk(
            [target.pk for target in targets])
        for target in targets:
            student = target.student
            path = self.trajectories.get(student.pk)
            if path is None:
                path = self.trajectories[student.pk] = trajectory(
                    self.seed, student.student_number, target.grade_level or 9, 2 * len(self.years))
            own = self._rng("answer", index, student.student_number)
            if own.random() >= rate:
                continue  # absent that day
            answered, target = path[index], loaded[target.pk]
            with at(lesson + timedelta(minutes=6 + own.uniform(0, 30))):
                if not screening.gate_for(target).may_answer:
                    continue
                codes = {step.code for step in screening.steps_for(target)}
                answers = answers_for(own, answered)
                screening.submission_accept(
                    target=target, client_id=uuid.UUID(int=own.getrandbits(128)), via="code",
                    answers={code: given for code, given in answers.items() if code in codes},
                    elapsed={code: own.randint(3, 8) if answered.too_fast else own.randint(120, 420)
                             for code in codes})
            self.result.submissions += 1
        with at(lesson + timedelta(minutes=40)):
            # What a commit did not hand over yet (inside an outer transaction, as in a test) goes now, as the
            # screening monitor's sweep would take it.
            screening.flags_hand_over_pending()
        self.raising = True

    # -- warnings -------------------------------------------------------------------------------------------
    def _adopt_new_warnings(self) -> None:
        """Give each warning the hand-over raised since the last step its own life."""
        if not self.raising:
            return
        self.raising = False
        new = list(Warning.objects.filter(pk__gt=self.last_warning_id).order_by("pk").values_list("pk", flat=True))
        for pk in new:
            self.last_warning_id = pk
            self.season_of[pk] = self.answering  # raised by the hand-over of the campaign answered now
            self.clock.add(self._warning_life(pk))

    def _warning(self, pk: int) -> Warning:
        return Warning.objects.select_related("level", "student__school", "student__school_class").get(pk=pk)

    def _ack_by(self, rng, warning: Warning, school: School) -> User:
        """Who acknowledges at the warning's tier: the centre above the school; at the class, the head teacher
        about as often as the psychology teacher; at the school, mostly the psychology teacher."""
        if warning.tier >= states.DISTRICT:
            return self._centre_for(warning)
        head = school.heads.get(warning.student.school_class_id)
        if (warning.tier == states.CLASS and head is not None and "head_teacher" in (warning.level.ack_roles or [])
                and rng.random() < 0.4):
            return head
        return school.leader if rng.random() < 0.3 else school.psych

    def _centre_for(self, warning: Warning) -> User | None:
        """The district's centre, or else the city's, whichever sees the warning (the city's centre sees what reached
        the city tier and the levels shown to the centres)."""
        for person in (self.staff.centres.get(warning.student.district_id), self.staff.city_centre):
            if person is not None and alert_selectors.warnings_visible(person).filter(pk=warning.pk).exists():
                return person
        return None

    def _lowest(self) -> str:
        return min(self.levels.values(), key=lambda level: level.severity).code

    def _warning_life(self, pk: int) -> Iterator[datetime]:
        warning = self._warning(pk)
        student = warning.student
        school = self.staff.schools.get(student.school_id)
        if school is None:
            return
        rng = self._rng("warning", student.student_number, timezone.localtime(warning.raised_at).isoformat())
        clock = warning.raised_at

        def after(minutes: float) -> datetime:
            nonlocal clock
            clock = clock + timedelta(minutes=max(minutes, 1))
            return clock

        # Acknowledged within the level's time, or nobody did and the sweep moved it up a tier (and up again from a
        # district without a centre, to the city's). Every 25th warning or so: the share holds in a small city too.
        self.unacknowledged += ESCALATION_RATE
        escalate = self.unacknowledged >= 1
        self.unacknowledged -= 1 if escalate else 0
        while escalate and warning.due_at is not None and warning.tier < states.TOP_TIER:
            clock = warning.due_at
            yield after(1)
            escalation.escalation_sweep(now=clock)
            warning = self._warning(pk)
            escalate = warning.tier >= states.DISTRICT and self._centre_for(warning) is None
        yield after(warning.level.ack_minutes * rng.uniform(0.1, 0.6))
        warning = self._warning(pk)
        if warning.ack_pending:
            warning = alerts.warning_acknowledge(warning=warning, actor=self._ack_by(rng, warning, school),
                                                 reason=rng.choice(REASONS["ack"]))
        # The psychology teacher's assessment (心理研判).
        yield after(warning.level.assess_minutes * rng.uniform(0.15, 0.7))
        dismiss = rng.random() < (0.6 if warning.needs_review else 0.1 if warning.level.code == self._lowest() else 0.03)
        if dismiss:
            alerts.warning_assess(warning=warning, actor=school.psych, confirm=False,
                                  reason=rng.choice(REASONS["dismiss_fast" if warning.needs_review else "dismiss"]),
                                  clinical_note="访谈30分钟，学生表述清晰，家长反馈无异常。")
            return
        level = self._other_level(rng, warning)
        warning = alerts.warning_assess(
            warning=warning, actor=school.psych, confirm=True, level=level,
            reason=("访谈后重新评估等级。" if level else rng.choice(REASONS["confirm"])),
            clinical_note="访谈后确认，制定干预计划。")
        if warning.ack_pending:  # a more severe level: its tier acknowledges again, on its clock
            yield after(warning.level.ack_minutes * rng.uniform(0.1, 0.5))
            warning = alerts.warning_acknowledge(warning=warning, actor=school.leader)
        yield after(warning.level.progress_minutes * rng.uniform(0.1, 0.6))
        warning = alerts.warning_start_intervention(warning=warning, actor=school.psych,
                                                    reason=rng.choice(REASONS["intervention"]))
        serious = warning.level.severity > self.levels[self._lowest()].severity
        red = warning.level.clear_tier >= states.DISTRICT
        centre = self.staff.centres.get(student.district_id)
        if red and centre is not None and rng.random() < 0.15:  # a complex case handed up to the centre (服务升级)
            yield after(60 * 24 * rng.uniform(1, 3))
            warning = alerts.warning_hand_up(warning=warning, actor=school.leader,
                                             reason="家庭情况复杂，需区中心介入开展家庭辅导。")
            yield after(warning.level.ack_minutes * rng.uniform(0.1, 0.6))
            warning = alerts.warning_accept_hand_up(warning=warning, actor=centre,
                                                    reason="已接收，安排区中心心理老师每周家庭辅导。")
        if self.staff.clinician is not None and (red and rng.random() < 0.7 or serious and rng.random() < 0.2):
            self.clock.add(self._referral_life(pk, clock + timedelta(days=rng.uniform(0.5, 3)), urgent=red))
        # Intervention for two to four weeks, a visit (回访) along the way for half of them, then monitoring for a
        # week or a month or more; the approval leaves room for the level's follow-ups before the next season's
        # screening (or this school year), so a season's cases never meet the next one's.
        minimum = warning.level.min_monitoring_days or 0
        intervening = rng.uniform(14, 30)
        roll = rng.random()
        waiting = rng.uniform(1, 10) if roll < 0.35 else rng.uniform(10, 30) if roll < 0.8 else rng.uniform(30, 45)
        refused = not red and rng.random() < 0.05
        room = (self._approve_by(warning) - clock).total_seconds() / 86400 - 2.5
        if intervening + minimum + waiting + ((minimum + 5) if refused else 0) > room:
            refused = False  # no time for a refusal; then a shorter wait, then a shorter intervention
            over = intervening + minimum + waiting - room
            cut = min(max(over, 0.0), waiting - 1)
            waiting, over = waiting - cut, over - cut
            intervening = max(7.0, intervening - max(over, 0.0))
        monitored = clock + timedelta(days=intervening)
        if rng.random() < 0.5:
            yield after(60 * 24 * rng.uniform(3, 8))
            warning = alerts.warning_record_visit(warning=warning, actor=school.psych,
                                                  note=rng.choice(REASONS["visit"]))
        clock = max(monitored, clock + timedelta(hours=1))
        yield clock
        warning = alerts.warning_monitor(warning=warning, actor=school.psych,
                                         reason=rng.choice(REASONS["monitor"]))
        last_spring = self.season_of.get(pk) == 2 * len(self.years) - 1
        if (serious and last_spring and student.school_id not in self.quiet_schools
                and rng.random() < STILL_MONITORED_RATE):
            # Still monitored today (长期监测), on purpose: a visit every month.
            while True:
                yield after(60 * 24 * rng.uniform(26, 34))
                warning = alerts.warning_record_visit(warning=warning, actor=school.psych,
                                                      note=rng.choice(REASONS["visit"]))
        approver = (self._centre_for(warning) or self.staff.city_centre) if red else school.leader
        if refused:  # the approver wants more time first
            yield after(60 * 24 * (minimum + rng.uniform(1, 3)))
            warning = alerts.warning_request_clear(warning=warning, actor=school.psych,
                                                   reason=rng.choice(REASONS["request"]))
            yield after(60 * 24 * rng.uniform(0.5, 2))
            warning = alerts.warning_reject_clear(warning=warning, actor=approver, reason=REASONS["reject"][0])
        yield after(60 * 24 * (minimum + waiting))
        warning = alerts.warning_request_clear(warning=warning, actor=school.psych,
                                               reason=rng.choice(REASONS["request"]))
        yield after(60 * 24 * rng.uniform(0.3, 2.5))
        warning = alerts.warning_approve_clear(warning=warning, actor=approver, reason=rng.choice(REASONS["approve"]))
        # Continued attention (持续关注): each follow-up (回访) on its day, after school.
        head = school.heads.get(student.school_class_id)
        for follow_up in list(warning.follow_ups.filter(done_at__isnull=True).order_by("due_on", "id")):
            visit = max(_local(follow_up.due_on, 15.5 + rng.uniform(0, 2)), clock + timedelta(minutes=5))
            clock = visit
            yield visit
            by = head if head is not None and not red and rng.random() < 0.4 else school.psych
            warning = alerts.warning_record_follow_up(warning=warning, actor=by, follow_up_id=follow_up.pk,
                                                      note=rng.choice(REASONS["follow_up"]))
        yield after(60 * rng.uniform(30, 90))
        alerts.warning_return_to_normal(warning=warning, actor=school.psych, reason=REASONS["normal"][0])

    def _approve_by(self, warning: Warning) -> datetime:
        """The latest approval that leaves the level's follow-ups room before the next screening of the past (or
        before this school year, for last spring's cases)."""
        raised = timezone.localdate(warning.raised_at)
        starts = sorted(_weekday(date(year.start_year if month >= 9 else year.start_year + 1, month, day))
                        for year in self.years for _name, month, day in SEASONS)
        # The last past spring's cases end a week before this school year (a city built on 2 September shows them
        # closed all the same).
        bound = next((start for start in starts if start > raised), self.current.starts_on - timedelta(days=7))
        longest = max([int(days) for days in warning.level.follow_up_days or []] or [0])
        return _local(bound - timedelta(days=longest + 2), 0)

    def _other_level(self, rng, warning: Warning):
        """Sometimes the assessment finds another level: an orange that is a yellow, rarely a yellow that is more."""
        by_severity = sorted(self.levels.values(), key=lambda level: level.severity)
        position = next(i for i, level in enumerate(by_severity) if level.pk == warning.level_id)
        roll = rng.random()
        if 0 < position < len(by_severity) - 1 and roll < 0.12:
            return by_severity[position - 1]
        if position == 0 and roll < 0.04 and len(by_severity) > 1:
            return by_severity[1]
        return None

    # -- referrals (转介) -----------------------------------------------------------------------------------
    def _referral_life(self, pk: int, start: datetime, *, urgent: bool) -> Iterator[datetime]:
        warning = self._warning(pk)
        student = warning.student
        school = self.staff.schools[student.school_id]
        doctor = self.staff.clinician
        rng = self._rng("referral", student.student_number, timezone.localtime(warning.raised_at).isoformat())
        start = timezone.localtime(start).replace(hour=9, minute=30, second=0, microsecond=0)
        while start <= timezone.now():  # the school day after the step that decided it
            start += timedelta(days=1)
        yield start
        warning = self._warning(pk)
        if warning.state not in states.CURRENT:
            return
        referral = referrals.referral_create(
            actor=school.psych, student=student, to_unit=self.staff.hospital, urgent=urgent, warning=warning,
            reason=("持续抑郁情绪伴自伤念头，学校辅导效果有限，申请绿色通道就诊评估。" if urgent
                    else "情绪低落伴睡眠、进食问题，建议专科评估。"),
            guardian_name="学生母亲" if rng.random() < 0.6 else "学生父亲",
            guardian_how=Referral.GuardianHow.PHONE, guardian_informed_at=start - timedelta(minutes=25),
            guardian_response="同意转介，将陪同就诊。")
        if urgent:
            self._review_once_a_year(referral)
        yield start + timedelta(hours=rng.uniform(0.5, 2.5) if urgent else rng.uniform(3, 30))
        referral = referrals.referral_accept(referral=referral, actor=doctor, note="已安排门诊。")
        seen = (start + timedelta(days=1) if urgent else start + timedelta(days=rng.randint(2, 6)))
        seen = seen.replace(hour=9) + timedelta(minutes=rng.randint(0, 120))
        yield seen + timedelta(hours=3)
        referral = referrals.record_first_visit(referral=referral, actor=doctor, at=seen)
        admitted = urgent and rng.random() < 0.3
        if admitted:
            at_admission = seen + timedelta(hours=rng.uniform(2, 20))
            yield at_admission + timedelta(hours=2)
            referral = referrals.record_admission(referral=referral, actor=doctor, at=at_admission)
            discharged = at_admission + timedelta(days=rng.uniform(10, 20))
        else:
            discharged = seen + timedelta(days=rng.uniform(14, 30))  # the end of the outpatient course
        discharged = discharged.replace(hour=10, minute=0)
        yield discharged + timedelta(hours=4)
        referral = referrals.record_discharge(
            referral=referral, actor=doctor, at=discharged,
            clinical_summary="住院治疗后情绪明显改善，睡眠恢复。" if admitted else "门诊治疗后症状缓解。",
            return_advice="可复学；前两周半天上课，每周门诊复诊一次。" if admitted else "正常上课，继续学校心理辅导。")
        yield discharged + timedelta(days=rng.uniform(1, 3))
        referral = referrals.return_assessment(
            referral=referral, actor=school.psych, decision="with_support" if admitted else "return",
            arrangements="前两周上午到校；心理教师每周两次辅导；暂免月考。" if admitted else "",
            advice_considered=True)
        for follow_up in FollowUp.objects.filter(origin=FollowUp.Origin.DISCHARGE, origin_id=referral.pk,
                                                 done_at__isnull=True).order_by("due_on", "id"):
            yield max(_local(follow_up.due_on, 16 + rng.uniform(0, 1.5)), referral.return_assessed_at)
            alerts.follow_up_done(follow_up=follow_up, actor=school.psych, note=rng.choice(REASONS["follow_up"]))
        yield timezone.localtime(timezone.now()) + timedelta(hours=rng.uniform(1, 20))
        referrals.referral_close(referral=referral, actor=school.psych, note="复学后回访完成，转介结束。")

    # -- home visits (家访) -----------------------------------------------------------------------------------
    def _home_visits(self, year: SchoolYear, share: float) -> None:
        """The head teachers visit a share of their class at home during the year, every key student among them;
        evenings and weekends of October–December and March–May."""
        days = [d for d in (year.starts_on + timedelta(days=n) for n in range((year.ends_on - year.starts_on).days))
                if d.month in (10, 11, 12, 3, 4, 5)]
        limit = (self.now - timedelta(days=3)).date()
        visited = 0
        for school in self.staff.schools.values():
            for class_id, head in sorted(school.heads.items()):
                students = Student.objects.filter(school_class_id=class_id, status=Student.Status.ENROLLED).order_by(
                    "student_number")
                with transaction.atomic():  # a class's visits in one go: fewer commits, the same rows
                    visited += self._class_visits(year, share, head, list(students), days, limit)
        self.result.home_visits += visited

    def _class_visits(self, year: SchoolYear, share: float, head: User, students: list[Student], days: list[date],
                      limit: date) -> int:
        visited = 0
        for student in students:
            rng = self._rng("visit", year.code, student.student_number)
            if not student.is_key_student and rng.random() >= share:
                continue
            day = rng.choice(days)
            if day > limit:
                continue
            hour = 10 + rng.uniform(0, 6) if day.weekday() >= 5 else 17 + rng.uniform(0, 2.5)
            with at(_local(day, hour)):
                visits.contact_record(
                    actor=head, student=student, kind="home_visit", done_on=day, visitors="班主任",
                    met_with=rng.choice(["父母", "母亲", "父亲", "祖父母"]),
                    summary=rng.choice(["家庭氛围和谐，学生有独立书桌；家长关注学习，对情绪变化了解不多。",
                                        "家长工作忙，孩子放学后多由祖辈照看；约定每周与孩子谈心一次。",
                                        "学生在家作息规律，亲子沟通良好。"]),
                    agreed="家长每周与孩子聊一次在校情况，有变化及时联系班主任。")
            visited += 1
        return visited

    # -- a post-incident review (复盘) ---------------------------------------------------------------------
    def _review_once_a_year(self, referral: Referral) -> None:
        """The first green-channel referral of each past year (at a school not reviewed before) followed a serious
        incident: the school reviews it (`_incident_life`)."""
        day = timezone.localdate(referral.referred_at)
        year = next((y for y in self.years if y.starts_on <= day <= y.ends_on), None)
        if year is None or year.code in self.reviewed or referral.from_school_id in self.reviewed_schools:
            return
        self.reviewed.add(year.code)
        self.reviewed_schools.add(referral.from_school_id)
        self.clock.add(self._incident_life(referral))

    def _incident_life(self, referral: Referral) -> Iterator[datetime]:
        """The student harmed themselves in the dormitory the evening before the referral; the school reviews the
        incident (timeline, findings, actions) and finalises the review two weeks later; the district and city
        centres read it."""
        school = self.staff.schools[referral.from_school_id]
        happened = timezone.localtime(referral.referred_at) - timedelta(hours=12)
        opened = happened + timedelta(days=2)
        yield opened
        review = incidents.review_create(actor=school.leader, school=school.unit, kind="self_harm",
                                         incident_on=happened.date(), student=referral.student,
                                         warning=referral.warning)
        incidents.review_update(actor=school.leader, review=review, timeline=[
            {"at": happened, "what": "晚自习后学生在宿舍划伤手腕，室友发现后报告宿管老师。"},
            {"at": happened + timedelta(minutes=15), "what": "宿管老师送医务室处理伤口，通知班主任和心理教师。"},
            {"at": happened + timedelta(minutes=50), "what": "心理教师到场陪伴，联系家长，启动危机干预预案。"},
            {"at": referral.referred_at, "what": "经家长同意，通过绿色通道转介合作医院就诊。"}])
        yield opened + timedelta(days=7)
        incidents.review_update(
            actor=school.leader, review=review,
            findings="预警后已开展辅导，但夜间宿舍时段缺少关注；家校沟通频次不足。",
            actions="重点学生夜间由宿管老师每晚巡查；班主任每周与家长沟通一次；心理教师每周两次辅导。")
        yield opened + timedelta(days=14)
        incidents.review_finalise(actor=school.leader, review=review)
        self.result.incidents += 1

    def _inbox_read(self, year: SchoolYear) -> Iterator[datetime]:
        """By the end of each school year everyone had read the year's inbox notifications."""
        yield _local(year.ends_on - timedelta(days=6), 20)
        recipients = (Notification.objects.filter(channel=Notification.Channel.INBOX, read_at__isnull=True)
                      .values_list("recipient_id", flat=True).distinct())
        for user in User.objects.filter(pk__in=list(recipients)).order_by("pk"):
            notify.mark_all_read(user=user)


def generate_history(*, seed: int = 2026, now: datetime | None = None,
                     progress: Callable[[str], None] | None = None) -> HistoryResult:
    """Play back the city's past school years (see the module docstring); before the current semester's activity."""
    started = time_module.monotonic()
    result = History(seed=seed, now=now, progress=progress).run()
    result.seconds = time_module.monotonic() - started
    if progress is not None:
        progress(f"history: {result.submissions:,} questionnaires, {result.warnings} warnings in {result.seconds:.0f} s")
    return result
