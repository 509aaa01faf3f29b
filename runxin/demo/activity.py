"""A lived-in demo: the demo school in the middle of a semester, made through the real services.

After the people exist (generator.py), this module plays back a semester at the demo school where the named
demo logins work (staff.py) and writes everything with the screening and warnings apps' own services, as
the people would have done through the pages:

* a universal screening (普测) of the junior grades with PHQ-A and GAD-7, opened in early September, answered
  by about nine students in ten (consent notices sent first, a few guardians declining), and closed; its
  flagged results reach the warnings app through the real hand-over;
* the warnings then move through the workflow at plausible times: acknowledged, assessed, one dismissed
  with a reason, one re-levelled, in intervention, in monitoring, one cleared (解除) with its follow-ups
  (回访) under continued attention, one escalated to the district centre because nobody acknowledged it;
* reports from people: a head teacher's observation, the class psych committee member, a parent, a hotline
  call, a police notice entered by the district centre and a student's own "I need help";
* an open monitoring series (重点监控测) for the key students with a round half answered, and an open universal
  screening at another school with live partial completion.

Time: the services read the clock (django.utils.timezone.now); `at(moment)` sets it for each step, so the
history carries September dates. Everything happens between the start of the school year and now, squeezed
proportionally when the year has only just begun. Deterministic for a seed (the questionnaire's one-time
codes are not used: answers are handed in for the targets directly, as a phone's saved session would).
"""

from __future__ import annotations

import random
import time as time_module
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from unittest import mock

from django.utils import timezone

from runxin.accounts.models import User
from runxin.alerts import escalation, states
from runxin.alerts import intake as alert_intake
from runxin.alerts import services as alerts
from runxin.alerts.models import Warning, WarningLevel
from runxin.notify.models import Notification
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import RoleAssignment, Student
from runxin.screening import services as screening
from runxin.screening.models import Campaign, CampaignTarget, ConsentRecord, InstrumentVersion

JUNIOR_GRADES = [7, 8, 9]
ANSWER_RATE = 0.9
GUARDIAN_DECLINE_RATE = 0.015
FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # not at all, several days, more than half, nearly every day
DIFFICULTY = ["LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"]


@dataclass
class ActivityResult:
    submissions: int = 0
    warnings: int = 0
    notifications: int = 0
    campaigns: int = 0
    states: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def published_versions(codes: list[str]) -> list[InstrumentVersion]:
    """The newest published version of each instrument, the shipped instruments loaded first when one is missing."""
    found = []
    for code in codes:
        version = (InstrumentVersion.objects.filter(instrument__code=code, is_published=True)
                   .order_by("-published_at", "-id").first())
        if version is None:
            screening.instruments_load_shipped()
            version = InstrumentVersion.objects.filter(instrument__code=code, is_published=True).latest("id")
        found.append(version)
    return found


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the real services as if it were `moment` (their clock is django.utils.timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


class Semester:
    """Moments of the semester so far: day `d` after the start, squeezed when the year is young."""

    def __init__(self, year: SchoolYear, now: datetime) -> None:
        tz = timezone.get_current_timezone()
        self.start = datetime.combine(year.starts_on, time(8, 0), tzinfo=tz)
        self.now = now
        self.days = max((now - self.start).total_seconds() / 86400 - 4, 1.0)  # room for the recent days

    def day(self, d: float, hour: float = 9.0) -> datetime:
        """Day `d` of an 85-day semester (squeezed to fit before the last four days) at `hour` o'clock."""
        scaled = d * min(1.0, self.days / 85)
        start = self.start.replace(hour=0) + timedelta(days=int(scaled))
        return min(start + timedelta(hours=hour), self.now - timedelta(days=4))

    def ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)


# ------------------------------------------------------------------------------------------------ answers

def _answers(rng: random.Random, profile: str, grade: int) -> dict:
    """Plausible PHQ-A and GAD-7 answers for a profile: minimal, mild, moderate, high or critical."""
    base = {"minimal": (0, 4), "mild": (5, 9), "moderate": (10, 14), "high": (15, 19), "critical": (6, 16)}[profile]
    target = rng.randint(*base)
    phq = _spread(rng, target, 8)
    q9 = rng.choice([1, 1, 2]) if profile == "critical" else 0
    phqa = {f"q{n}": FREQ[v] for n, v in enumerate(phq, start=1)} | {"q9": FREQ[q9]}
    phqa |= {"past_year": "yes" if profile != "minimal" and rng.random() < 0.5 else "no",
             "past_month_thoughts": "yes" if profile == "critical" and rng.random() < 0.4 else "no",
             "lifetime_attempt": "no"}
    if profile != "minimal":
        phqa["difficulty"] = DIFFICULTY[min(3, target // 6)]
    anxious = min(21, max(0, target + rng.randint(-4, 2)))
    if profile in ("minimal", "mild"):
        anxious = min(anxious, 9)  # the anxiety scores follow the mood scores; few anxious-only students
    gad = _spread(rng, anxious, 7)
    answers = {"phqa": phqa}
    if grade >= 7:
        answers["gad7"] = {f"q{n}": FREQ[v] for n, v in enumerate(gad, start=1)}
        if anxious >= 5:
            answers["gad7"]["q8"] = DIFFICULTY[min(3, anxious // 6)]
    return answers


def _spread(rng: random.Random, total: int, items: int) -> list[int]:
    values = [0] * items
    for _ in range(min(total, 3 * items)):
        open_items = [i for i in range(items) if values[i] < 3]
        values[rng.choice(open_items)] += 1
    return values


def _profile(roll: float) -> str:
    if roll < 0.015:
        return "critical"
    if roll < 0.035:
        return "high"
    if roll < 0.095:
        return "moderate"
    if roll < 0.36:
        return "mild"
    return "minimal"


# ----------------------------------------------------------------------------------------------- the play

class Activity:
    def __init__(self, *, school: OrgUnit, other_school: OrgUnit | None, seed: int = 2026,
                 now: datetime | None = None, progress: Callable[[str], None] | None = None) -> None:
        self.school = school
        self.other_school = other_school
        self.rng = random.Random(seed * 7 + 1)
        self.roll = self.rng.random()
        self.now = now or timezone.now()
        self.year = SchoolYear.objects.get(is_current=True)
        self.sem = Semester(self.year, self.now)
        self.progress = progress or (lambda message: None)
        self.result = ActivityResult()
        self.users = {u.username: u for u in User.objects.filter(username__in=[
            "psych_teacher", "school_leader", "head_teacher", "district_centre", "hotline", "psych_committee",
            "parent", "student", "hospital", "mentor", "mhc"])}
        self.levels = {level.code: level for level in WarningLevel.objects.filter(is_active=True)}

    def _versions(self, codes: list[str]) -> list[InstrumentVersion]:
        return published_versions(codes)

    def run(self) -> ActivityResult:
        self.universal_screening()
        self.work_the_warnings()
        self.escalation_nobody_acknowledged()
        self.reports_from_people()
        self.monitoring_series()
        if self.other_school is not None:
            self.live_screening(self.other_school)
        self.acknowledge_recent()
        CaseWork(self).run()
        self.result.warnings = Warning.objects.count()
        self.result.notifications = Notification.objects.count()
        self.result.states = {}
        for state in Warning.objects.values_list("state", flat=True):
            self.result.states[state] = self.result.states.get(state, 0) + 1
        return self.result

    # -- the September universal screening --------------------------------------------------------------
    def _spec(self, *, name: str, kind: str, owner: OrgUnit, start: date, end: date, codes: list[str],
              key: bool = False, interval: int | None = None, round_days: int | None = None):
        return screening.CampaignSpec(
            name=name, kind=kind, owner=owner, window_start=start, window_end=end,
            consent_mode=Campaign.ConsentMode.OPT_OUT, versions=self._versions(codes),
            grades=[] if kind == Campaign.Kind.MONITORING else JUNIOR_GRADES, groups=[], key_students=key,
            student_numbers=[], interval_days=interval, round_days=round_days)

    def _notify_guardians(self, user, campaign: Campaign) -> None:
        class_ids = (CampaignTarget.objects.filter(campaign=campaign).values_list("school_class_id", flat=True)
                     .distinct().order_by("school_class_id"))
        for school_class in OrgUnit.objects.filter(pk__in=list(class_ids)).order_by("grade_level", "class_number"):
            screening.consent_mark_notified(user=user, campaign=campaign, school_class=school_class)
        for target in CampaignTarget.objects.filter(campaign=campaign).order_by("id"):
            if self.rng.random() < GUARDIAN_DECLINE_RATE:
                screening.consent_decide(target=target, decision=ConsentRecord.State.DECLINED, user=user,
                                         channel=ConsentRecord.Channel.PAPER, guardian_name="")

    def _answer(self, targets, rate: float, when: Callable[[CampaignTarget], datetime]) -> int:
        done = 0
        targets = list(targets)
        quota = round(len(targets) * rate)
        if 0 < rate < 1 and len(targets) > 1:
            quota = min(len(targets) - 1, max(1, quota))  # partly answered means partly
        chosen = set(self.rng.sample(range(len(targets)), quota))
        for index, target in enumerate(targets):
            if index not in chosen:
                continue
            target = CampaignTarget.objects.select_related("campaign", "student", "consent").get(pk=target.pk)
            # A golden-ratio sequence instead of independent draws: the shares hold even in a small school.
            self.roll = (self.roll + 0.6180339887) % 1.0
            profile = _profile(self.roll)
            answers = _answers(self.rng, profile, target.grade_level or 7)
            client_id = uuid.UUID(int=self.rng.getrandbits(128))
            with at(when(target)):
                if not screening.gate_for(target).may_answer:
                    continue
                steps = {s.code for s in screening.steps_for(target)}
                screening.submission_accept(
                    target=target, client_id=client_id, via="code",
                    answers={code: given for code, given in answers.items() if code in steps},
                    elapsed={code: self.rng.randint(90, 400) for code in steps})
            done += 1
        return done

    def universal_screening(self) -> None:
        psych = self.users["psych_teacher"]
        created = self.sem.day(3, 10)
        start, end = self.sem.day(7).date(), self.sem.day(18).date()
        with at(created):
            campaign = screening.campaign_create(user=psych, spec=self._spec(
                name=f"{self.year.start_year}年秋季学期心理健康普测", kind=Campaign.Kind.UNIVERSAL,
                owner=self.school, start=start, end=end, codes=["phqa", "gad7"]))
            campaign = screening.campaign_open(user=psych, campaign=campaign, today=created.date())
            self._notify_guardians(psych, campaign)
        self.universal = campaign
        # Each class answers in one lesson during the window; a few students catch up later.
        class_day = {}
        for index, class_id in enumerate(CampaignTarget.objects.filter(campaign=campaign)
                                         .values_list("school_class_id", flat=True).distinct()
                                         .order_by("school_class_id")):
            class_day[class_id] = (7 + index % 8, 8 + (index % 6))

        def when(target: CampaignTarget) -> datetime:
            d, hour = class_day[target.school_class_id]
            return self.sem.day(d, hour + self.rng.random() * 0.7)

        targets = list(CampaignTarget.objects.filter(campaign=campaign).order_by("school_class_id", "id"))
        self.result.submissions += self._answer(targets, ANSWER_RATE, when)
        screening.flags_hand_over_pending()
        with at(self.sem.day(19, 8)):
            screening.campaign_close(user=psych, campaign=campaign)
        self.result.campaigns += 1
        self.progress(f"activity: universal screening, {self.result.submissions} submissions")

    # -- handling the screening warnings ----------------------------------------------------------------
    def work_the_warnings(self) -> None:
        psych, leader = self.users["psych_teacher"], self.users["school_leader"]
        centre = self.users["district_centre"]
        warnings = list(Warning.objects.filter(student__school=self.school, source=Warning.Source.SCREENING,
                                               raised_at__gte=self.universal.opened_at)  # history: not the past's
                        .select_related("level").order_by("raised_at", "id"))
        yellow, orange, red = (self.levels.get(code) for code in ("yellow", "orange", "red"))
        plan_cycle = ["monitoring", "intervention", "monitoring", "dismiss", "cleared", "relevel", "intervention",
                      "monitoring", "clear_requested", "monitoring"]
        dismissed = cleared = relevelled = clear_requested = 0
        for index, warning in enumerate(warnings):
            plan = plan_cycle[index % len(plan_cycle)]
            if plan == "dismiss" and (dismissed >= 3 or warning.level.severity > (yellow.severity if yellow else 0)):
                plan = "monitoring"
            if plan == "cleared" and cleared:
                plan = "monitoring"
            if plan == "relevel" and relevelled:
                plan = "intervention"
            if plan == "clear_requested" and clear_requested:
                plan = "monitoring"
            raised = warning.raised_at
            acker = leader if warning.level.ack_roles and "psych_teacher" not in warning.level.ack_roles else psych
            with at(raised + timedelta(minutes=12 + self.rng.randint(0, 15))):
                warning = alerts.warning_acknowledge(warning=warning, actor=acker,
                                                     reason="已接报，联系班主任了解情况。")
            with at(raised + timedelta(hours=2 + self.rng.randint(0, 20))):
                if plan == "dismiss":
                    alerts.warning_assess(warning=warning, actor=psych, confirm=False,
                                          reason="个别访谈后判断：答题时误读题意，近期情绪稳定，无风险。",
                                          clinical_note="访谈30分钟，学生表述清晰，家长反馈无异常。")
                    dismissed += 1
                    continue
                warning = alerts.warning_assess(warning=warning, actor=psych, confirm=True,
                                                reason="个别访谈确认存在情绪困扰。",
                                                clinical_note="访谈后确认，制定干预计划。")
            if warning.ack_pending:  # the level rose at the assessment: the tier acknowledges again
                with at(raised + timedelta(hours=23)):
                    warning = alerts.warning_acknowledge(warning=warning, actor=leader)
            with at(raised + timedelta(days=2, hours=3)):
                warning = alerts.warning_start_intervention(
                    warning=warning, actor=psych, reason="每周一次个体辅导，班主任日常关注，已与家长沟通。")
            if plan == "intervention":
                continue
            if plan == "relevel" and yellow is not None and warning.level_id != yellow.pk:
                with at(raised + timedelta(days=12)):
                    warning = alerts.warning_change_level(
                        warning=warning, actor=psych, level=yellow,
                        reason="三次辅导后症状明显缓解，复评降为黄色预警。")
                relevelled += 1
            elif plan == "relevel" and orange is not None and warning.level_id == yellow.pk:
                with at(raised + timedelta(days=12)):
                    warning = alerts.warning_change_level(
                        warning=warning, actor=psych, level=orange,
                        reason="复评时发现睡眠和进食明显恶化，升为橙色预警。")
                    relevelled += 1
                with at(raised + timedelta(days=12, minutes=40)):
                    warning = alerts.warning_acknowledge(warning=warning, actor=leader)
            with at(raised + timedelta(days=21)):
                warning = alerts.warning_monitor(warning=warning, actor=psych, reason="情绪趋于稳定，转入监测。")
            if plan in ("cleared", "clear_requested"):
                with at(raised + timedelta(days=35)):
                    warning = alerts.warning_request_clear(
                        warning=warning, actor=psych, reason="连续四周随访稳定，复测结果正常，申请解除。")
                if plan == "clear_requested":
                    clear_requested += 1
                    continue
                approver = centre if warning.level.clear_tier >= states.DISTRICT else leader
                with at(raised + timedelta(days=36)):
                    warning = alerts.warning_approve_clear(warning=warning, actor=approver,
                                                           reason="同意解除，转入持续关注。")
                cleared += 1
                for follow_up in warning.follow_ups.order_by("due_on"):
                    visit = datetime.combine(follow_up.due_on, time(15, 30), tzinfo=raised.tzinfo)
                    if visit >= self.sem.ago(96):
                        break
                    with at(visit):
                        warning = alerts.warning_record_follow_up(
                            warning=warning, actor=psych, follow_up_id=follow_up.pk,
                            note="回访：学生情绪平稳，学习生活正常，家长配合。")
        self.progress(f"activity: {len(warnings)} screening warnings worked")

    # -- one warning nobody acknowledged ----------------------------------------------------------------
    def escalation_nobody_acknowledged(self) -> None:
        parent = self.users.get("parent")
        child = (RoleAssignment.objects.filter(user=parent, role="parent").values_list("student_id", flat=True).first()
                 if parent is not None else None)
        raised = self.sem.ago(50)
        with at(raised):
            if child is not None and not Warning.objects.filter(student_id=child, state__in=states.OPEN).exists():
                warning = alert_intake.parent_report(actor=parent, student_id=child,
                                               summary="孩子最近一周晚上总哭，不愿意去学校，说同学孤立她。")
                warning = Warning.objects.get(student_id=child, state=states.RAISED)
            else:
                warning = alert_intake.warning_report(actor=self.users["head_teacher"], student=self._student(offset=1),
                                                source=Warning.Source.PARENT,
                                                summary="家长电话反映孩子一周来不愿上学，晚上哭泣。")
        # The class did not acknowledge in time, then neither did the school: the sweep took it up each time.
        while warning.tier < states.DISTRICT and warning.due_at is not None:
            escalation.escalation_sweep(now=warning.due_at + timedelta(minutes=1))
            warning.refresh_from_db()

    def acknowledge_recent(self) -> None:
        """Each school acknowledges, assesses and takes into intervention the flags of the recent questionnaires
        within the levels' times; a flag of the last few hours may still be waiting."""
        for school in (self.school, self.other_school):
            if school is None:
                continue
            staff = {ra.role: ra.user for ra in RoleAssignment.objects.filter(
                org_unit=school, role__in=["psych_teacher", "school_leader"], is_active=True)
                .select_related("user").order_by("id")}
            waiting = (Warning.objects.filter(state=states.RAISED, source=Warning.Source.SCREENING, student__school=school,
                                              tier__lt=states.DISTRICT, raised_at__lt=self.sem.ago(3))
                       .select_related("level").order_by("raised_at", "id"))
            for warning in waiting:
                role = "psych_teacher" if "psych_teacher" in (warning.level.ack_roles or []) else "school_leader"
                if role not in staff:
                    continue
                raised = warning.raised_at
                with at(raised + timedelta(minutes=10 + self.rng.randint(0, 15))):
                    warning = alerts.warning_acknowledge(warning=warning, actor=staff[role], reason="已接报。")
                if "psych_teacher" not in staff:
                    continue
                # Assessed and taken into intervention within the level's times (so nothing sits overdue).
                with at(raised + timedelta(minutes=60 + self.rng.randint(0, 20))):
                    warning = alerts.warning_assess(warning=warning, actor=staff["psych_teacher"], confirm=True,
                                                    reason="约谈确认。", clinical_note="约谈后确认，制定干预计划。")
                with at(raised + timedelta(minutes=150 + self.rng.randint(0, 20))):
                    alerts.warning_start_intervention(warning=warning, actor=staff["psych_teacher"],
                                                      reason="个体辅导，班主任关注，已告知家长。")

    # -- reports from people ----------------------------------------------------------------------------
    def _student(self, *, school_class_id: int | None = None, offset: int = 0) -> Student:
        qs = Student.objects.filter(school=self.school, status=Student.Status.ENROLLED)
        if school_class_id:
            qs = qs.filter(school_class_id=school_class_id)
        open_ids = Warning.objects.filter(state__in=states.OPEN).values("student_id")
        return qs.exclude(pk__in=open_ids).order_by("id")[offset]

    def reports_from_people(self) -> None:
        u = self.users
        head = u["head_teacher"]
        demo_class_id = (RoleAssignment.objects.filter(user=head, role="head_teacher")
                         .values_list("org_unit_id", flat=True).first())
        # A head teacher's observation (班主任观察), acknowledged by the psychology teacher.
        with at(self.sem.ago(30)):
            w = alert_intake.warning_report(actor=head, student=self._student(school_class_id=demo_class_id, offset=2),
                                      source=Warning.Source.OBSERVATION,
                                      summary="上课经常趴在桌上，作业连续一周未交，手腕上有划痕。")
        with at(self.sem.ago(29)):
            alerts.warning_acknowledge(warning=w, actor=u["psych_teacher"], reason="今天下午约谈。")
        # The class psych committee member (班级心理委员) about a classmate: waiting for acknowledgement.
        committee = u.get("psych_committee")
        if committee is not None:
            names = list(Student.objects.filter(school_class_id=demo_class_id).values_list("name", flat=True))
            classmate = next(s for offset in range(4, 40)
                             if names.count((s := self._student(school_class_id=demo_class_id, offset=offset)).name) == 1)
            # Its text says 活着没意思: it enters red at once, ten minutes ago, first in the psychology
            # teacher's "needs me now" with twenty minutes left.
            with at(self.sem.ago(1 / 6)):
                alert_intake.peer_report(actor=committee, classmate_name=classmate.name, urgency="today",
                                   summary="这几天总说“活着没意思”，还把自己的东西送给别人。")
        # A hotline call (心理援助热线) at night, red, acknowledged and assessed.
        with at(self.sem.ago(14)):
            w = alert_intake.warning_report(actor=u["hotline"], student=self._student(offset=10),
                                      source=Warning.Source.HOTLINE, level=self.levels.get("red"),
                                      reporter_name="", summary="深夜来电，称与父母激烈争吵后想离家出走，情绪激动。")
        with at(self.sem.ago(13.7)):
            w = alerts.warning_acknowledge(warning=w, actor=u["school_leader"], reason="已联系家长和班主任。")
        with at(self.sem.ago(3)):
            w = alerts.warning_assess(warning=w, actor=u["psych_teacher"], confirm=True,
                                      reason="面谈确认，家庭冲突是主要诱因。", clinical_note="建议家庭辅导。")
        # The school hands the complex case up to the district centre (服务升级), waiting for the centre.
        with at(self.sem.ago(0.2)):
            alerts.warning_hand_up(warning=w, actor=u["school_leader"],
                                   reason="家庭冲突复杂，需区中心介入开展家庭辅导。")
        # A police notice (公安机关通报) entered by the district centre.
        with at(self.sem.ago(2.5)):
            alert_intake.warning_report(actor=u["district_centre"], student=self._student(offset=20),
                                  source=Warning.Source.POLICE, level=self.levels.get("orange"),
                                  reporter_name="润州市公安局城东派出所",
                                  summary="学生深夜在江边徘徊，被民警劝返，已通知家长。")
        # A student's own "I need help" (我要求助).
        student = u.get("student")
        if student is not None:
            # Joins the student's open warning if there is one: after its second escalation (about two hours ago,
            # escalation_nobody_acknowledged), so the history reads in order (joined two minutes before it, the
            # escalation's message named the old level and its time).
            with at(self.sem.ago(1.5)):
                alert_intake.self_help_request(actor=student, message="最近压力很大，晚上睡不着，想找老师聊聊。")
        self.progress("activity: reports from people")

    # -- an open monitoring series for the key students ------------------------------------------------
    def monitoring_series(self) -> None:
        psych = self.users["psych_teacher"]
        today = self.now.date()
        start = today - timedelta(days=3)
        with at(self.sem.ago(80)):
            campaign = screening.campaign_create(user=psych, spec=self._spec(
                name="重点学生双周监测", kind=Campaign.Kind.MONITORING, owner=self.school, start=start,
                end=self.year.ends_on, codes=["phqa"], key=True, interval=14, round_days=7))
        with at(self.sem.ago(79)):
            campaign = screening.campaign_open(user=psych, campaign=campaign, today=start)
        rounds = list(campaign.rounds.order_by("round_number"))
        for round_ in rounds:
            with at(self.sem.ago(78)):
                self._notify_guardians(psych, round_)
            targets = list(CampaignTarget.objects.filter(campaign=round_).order_by("id"))
            self.result.submissions += self._answer(
                targets, 0.55, lambda t: self.sem.ago(60 - self.rng.randint(0, 40)))
        screening.flags_hand_over_pending()
        self.result.campaigns += 1

    # -- an open universal screening at another school, half done ---------------------------------------
    def live_screening(self, school: OrgUnit) -> None:
        psych = User.objects.filter(role_assignments__org_unit=school, role_assignments__role="psych_teacher").first()
        if psych is None:
            return
        today = self.now.date()
        with at(self.sem.ago(24 * 6)):
            campaign = screening.campaign_create(user=psych, spec=self._spec(
                name=f"{self.year.start_year}年秋季学期心理健康普测", kind=Campaign.Kind.UNIVERSAL, owner=school,
                start=today - timedelta(days=4), end=today + timedelta(days=10), codes=["phqa", "gad7"]))
            campaign = screening.campaign_open(user=psych, campaign=campaign, today=today - timedelta(days=6))
            self._notify_guardians(psych, campaign)
        by_class: dict[int, list[CampaignTarget]] = {}
        for target in CampaignTarget.objects.filter(campaign=campaign).order_by("school_class_id", "id"):
            by_class.setdefault(target.school_class_id, []).append(target)
        for index, targets in enumerate(by_class.values()):
            rate = [0.95, 0.8, 0.6, 0.3, 0.0][index % 5]  # some classes done, some halfway, some not started
            self.result.submissions += self._answer(
                targets, rate, lambda t, i=index: self.sem.ago(24 * (3 - i % 3) + self.rng.randint(0, 5)))
        screening.flags_hand_over_pending()
        self.result.campaigns += 1


class CaseWork:
    """The case after the warning, made through the real services (issue 12): the crisis team, plans with actions
    and reviews, counseling sessions, a consultation with the district's expert, a referral through the green
    channel to the partner hospital and back to school (one more still waiting for the hospital's answer), home
    visits of the demo class, mentor contacts and a peer watch."""

    def __init__(self, activity: Activity) -> None:
        self.a = activity
        self.rng = random.Random(activity.rng.random())
        self.users = activity.users
        self.sem = activity.sem
        self.school_class_id = (RoleAssignment.objects.filter(user=self.users["head_teacher"], role="head_teacher")
                                .values_list("org_unit_id", flat=True).first())

    def run(self) -> None:
        from django.conf import settings
        from django.utils import translation

        with translation.override(settings.LANGUAGE_CODE):  # what the services write in histories is Chinese
            self._run()

    def _run(self) -> None:
        from runxin.cases import team

        psych, leader = self.users["psych_teacher"], self.users["school_leader"]
        with at(self.sem.day(3)):
            team.member_add(actor=leader, school=self.a.school, user=leader, duty="leader", phone="13800001111")
            team.member_add(actor=leader, school=self.a.school, user=psych, duty="psych", phone="13800002222")
        warnings = list(Warning.objects.filter(student__school=self.a.school, state__in=(
            states.INTERVENTION, states.MONITORING)).select_related("student", "level").order_by("raised_at", "id"))
        plans = [self.plan(w, i) for i, w in enumerate(warnings[:8])]
        self.consultation(plans)
        self.referrals(warnings)
        self.home_visits()
        self.mentor_contacts()
        self.a.progress(f"activity: {len(plans)} case plans, sessions, a consultation, referrals and home visits")

    def plan(self, warning: Warning, index: int):
        from runxin.cases import plans
        from runxin.counseling import services as counseling

        psych, head = self.users["psych_teacher"], self.users["head_teacher"]
        student = warning.student
        opened = max(warning.intervention_at or warning.raised_at, warning.raised_at) + timedelta(hours=3)
        with at(opened):
            plan = plans.plan_open(actor=psych, student=student, lead=psych, warning=warning,
                                   assessment="个别访谈与量表复测：情绪低落持续两周以上，睡眠差，与同学交往减少。",
                                   goals="四周内情绪与睡眠改善；恢复正常上课与同伴交往；家长每周反馈一次。")
            responsible_home = head if student.school_class_id == self.school_class_id else psych
            plans.action_add(actor=psych, plan=plan, step="intervene", responsible=psych,
                             description="每周一次个体辅导（认知行为技术），共六次。",
                             due_on=timezone.localdate() + timedelta(days=42))
            home = plans.action_add(actor=psych, plan=plan, step="home_school", responsible=responsible_home,
                                    description="与家长约定每周电话沟通一次，关注睡眠与手机使用。",
                                    due_on=timezone.localdate() + timedelta(days=7))
        if opened + timedelta(days=5) < self.sem.ago(2):
            with at(opened + timedelta(days=5)):
                plans.action_done(actor=responsible_home, action=home,
                                  outcome="已与家长电话沟通，约定每周五晚反馈一次，家长配合。")
        for n in range(2 + index % 2):
            held = opened + timedelta(days=2 + 7 * n, hours=4)
            if held >= self.sem.ago(2):
                break
            with at(held + timedelta(hours=1)):
                counseling.session_record(
                    actor=psych, student=student, held_at=held, duration_minutes=45, form="individual",
                    current_state="情绪较前平稳，能主动讲述近况。", main_problem="学业压力与同伴关系紧张导致情绪低落。",
                    assessment="抑郁情绪中度，无自伤计划。", analysis="完美主义倾向，遇挫时自我否定。",
                    measures="认知重构练习；布置情绪日记；与班主任沟通座位与小组安排。",
                    effect="本次辅导后自评情绪由3分升至5分（10分制）。")
        review_at = opened + timedelta(days=14)
        if review_at < self.sem.ago(2):
            with at(review_at):
                plans.review_add(actor=psych, plan=plan, progress="两周内完成辅导两次，睡眠改善，家长反馈积极。",
                                 next_review_on=timezone.localdate() + timedelta(days=14))
        return plan

    def consultation(self, plans: list) -> None:
        from runxin.counseling import services as counseling

        if not plans:
            return
        psych, centre = self.users["psych_teacher"], self.users["district_centre"]
        district = OrgUnit.objects.get(pk=self.a.school.district_id)
        with at(self.sem.day(20)):
            counseling.expert_add(actor=centre, district=district, user=centre, speciality="青少年情绪障碍")
        plan = plans[0]
        with at(plan.opened_at + timedelta(days=5)):
            asked = counseling.consultation_request(
                actor=psych, student=plan.student,
                question="辅导三次后情绪仍反复，夜间失眠加重，是否需要转介医院评估？请专家给出干预建议。")
        with at(plan.opened_at + timedelta(days=6)):
            counseling.consultation_opinion(
                actor=centre, consultation=asked,
                opinion="存在持续抑郁症状并伴睡眠障碍，建议转介精神专科门诊评估。",
                recommendations="一周内安排就诊；学校继续每周辅导；班主任关注在校状态。")

    def referrals(self, warnings: list) -> None:
        from runxin.referrals import services as referrals
        from runxin.referrals.models import Referral

        psych, doctor = self.users["psych_teacher"], self.users.get("hospital")
        red = [w for w in warnings if w.level.code == "red"] or warnings
        if doctor is None or not red:
            return
        hospital = OrgUnit.objects.filter(pk__in=RoleAssignment.objects.filter(
            user=doctor, role="hospital", is_active=True).values("org_unit_id")).first()
        if hospital is None:
            return
        first = red[0]
        start = max(first.raised_at + timedelta(days=1), self.sem.ago(24 * 30))
        start = timezone.localtime(start).replace(hour=9, minute=30)  # the school day: the steps fall in daytime
        if start < first.raised_at:
            start += timedelta(days=1)
        with at(start):
            referral = referrals.referral_create(
                actor=psych, student=first.student, to_unit=hospital, urgent=True, warning=first,
                reason="持续抑郁情绪伴自伤念头，学校辅导效果有限，申请绿色通道就诊评估。", guardian_name="学生母亲",
                guardian_how=Referral.GuardianHow.PHONE, guardian_informed_at=start - timedelta(minutes=20),
                guardian_response="同意转介，明天上午陪同就诊。")
        with at(start + timedelta(hours=2)):
            referrals.referral_accept(referral=referral, actor=doctor, note="已安排次日上午门诊。")
        with at(start + timedelta(hours=20)):
            referrals.record_first_visit(referral=referral, actor=doctor, at=start + timedelta(hours=19))
        with at(start + timedelta(days=2)):
            referrals.record_admission(referral=referral, actor=doctor, at=start + timedelta(days=1, hours=22))
        with at(start + timedelta(days=16)):
            referrals.record_discharge(referral=referral, actor=doctor, at=start + timedelta(days=15, hours=10),
                                       clinical_summary="住院两周，情绪明显改善，睡眠恢复。",
                                       return_advice="可复学；前两周半天上课，避免考试压力，每周门诊复诊。")
        with at(start + timedelta(days=17)):
            referrals.return_assessment(referral=referral, actor=psych, decision="with_support",
                                        arrangements="前两周上午到校；心理教师每周两次辅导；免参加月考。",
                                        advice_considered=True)
        if len(red) > 1:  # one more still waiting for the hospital's answer
            second = red[1]
            with at(self.sem.ago(5)):
                referrals.referral_create(
                    actor=psych, student=second.student, to_unit=hospital, urgent=False, warning=second,
                    reason="情绪低落伴进食减少，建议专科评估。", guardian_name="学生父亲",
                    guardian_how=Referral.GuardianHow.IN_PERSON, guardian_informed_at=self.sem.ago(6),
                    guardian_response="同意，希望尽快安排。")
        self._referral_to_the_centre(warnings, referred={w.pk for w in red[:2]})

    def _referral_to_the_centre(self, warnings: list, *, referred: set[int]) -> None:
        """One referral to the minors' mental-health centre (the demo login "mhc"), waiting for its answer: the
        centre's clinician has a referral to accept, as the hospital's has."""
        from runxin.referrals import services as referrals
        from runxin.referrals.models import Referral

        clinician = self.users.get("mhc")
        others = [w for w in warnings if w.pk not in referred]
        centre = OrgUnit.objects.filter(pk__in=RoleAssignment.objects.filter(
            user=clinician, role="hospital", is_active=True).values("org_unit_id")).first() if clinician else None
        if centre is None or not others:
            return
        with at(self.sem.ago(20)):
            referrals.referral_create(
                actor=self.users["psych_teacher"], student=others[0].student, to_unit=centre, urgent=False,
                warning=others[0], reason="考试焦虑明显，伴睡眠问题，学校辅导后仍反复，申请专科心理评估与干预。",
                guardian_name="学生母亲", guardian_how=Referral.GuardianHow.PHONE,
                guardian_informed_at=self.sem.ago(22), guardian_response="同意转介，请尽快安排时间。")

    def home_visits(self) -> None:
        from runxin.visits import services as visits

        head = self.users["head_teacher"]
        pupils = list(Student.objects.filter(school_class_id=self.school_class_id, status="enrolled")
                      .order_by("id"))
        for i, student in enumerate(pupils):
            roll = self.rng.random()
            if roll < 0.55:
                with at(self.sem.day(10 + i % 40, 16.5)):
                    visits.contact_record(actor=head, student=student, kind="home_visit", done_on=timezone.localdate(),
                                          visitors="班主任、科任老师", met_with="父母",
                                          summary="家庭氛围和谐，学生有独立书桌；家长关注学习，对情绪变化了解不多。",
                                          agreed="家长每周与孩子聊一次在校情况，有变化及时联系班主任。")
            elif roll < 0.8:
                with at(self.sem.day(15 + i % 30, 19)):
                    visits.contact_record(actor=head, student=student, kind="phone", done_on=timezone.localdate(),
                                          summary="电话沟通近期学习与作息情况。")
            elif roll < 0.9:
                with at(self.sem.ago(48)):
                    visits.contact_plan(actor=head, student=student, kind="home_visit",
                                        planned_on=timezone.localdate() + timedelta(days=1 + i % 10),
                                        visitors="班主任")

    def mentor_contacts(self) -> None:
        from runxin.cases import mentoring
        from runxin.people.models import MentorPair

        mentor = self.users.get("mentor")
        if mentor is None:
            return
        for i, pair in enumerate(MentorPair.objects.filter(mentor=mentor, is_active=True).order_by("id")):
            if i % 3 == 2:
                continue  # left without a recent contact: the grid shows them overdue
            moment = self.sem.ago(24 * (3 + i * 2))
            with at(moment + timedelta(hours=1)):
                mentoring.contact_log(actor=mentor, student=pair.student, at=moment, form="talk",
                                      note="课间谈心，聊近期学习和兴趣。")


def other_school_for(school: OrgUnit) -> OrgUnit | None:
    """A second secondary school for the live screening: in the same district when there is one."""
    candidates = (OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, school_type__in=[
        OrgUnit.SchoolType.JUNIOR, OrgUnit.SchoolType.COMPLETE, OrgUnit.SchoolType.NINE_YEAR])
        .exclude(pk=school.pk).order_by("-parent_id", "code"))
    return candidates.filter(parent_id=school.parent_id).first() or candidates.first()


def generate_activity(*, seed: int = 2026, now: datetime | None = None,
                      progress: Callable[[str], None] | None = None) -> ActivityResult:
    """Play back the semester at the school where the demo logins work (see the module docstring)."""
    school_id = (RoleAssignment.objects.filter(user__username="psych_teacher", role="psych_teacher")
                 .values_list("org_unit_id", flat=True).first())
    if school_id is None:
        raise ValueError("the demo logins are missing: generate the demo city first")
    school = OrgUnit.objects.get(pk=school_id)
    started = time_module.monotonic()
    result = Activity(school=school, other_school=other_school_for(school), seed=seed, now=now,
                      progress=progress).run()
    result.seconds = time_module.monotonic() - started
    return result
