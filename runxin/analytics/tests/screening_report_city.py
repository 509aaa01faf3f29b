"""A demo-like city for the screening report tests, made through the screening services as people would:

  测试市 (the small world of runxin/testing/world.py, grown)
  ├── 东区: 东区第一中学 七年级(1)(2)班, 八年级(1)班 · 东区第二中学 七年级(1)班, 八年级(1)(2)班
  └── 西区: 西区实验学校 七年级(1)班, 八年级(1)班

About 110 students (both sexes, some in special-attention groups), a city-run universal screening opened now with
PHQ-A, GAD-7, the ASQ and a small instrument with two subscales (so "positive dimensions" has subscales and
critical items to count), answered by most: mild and moderate and severe answers, self-harm thoughts, answers
too fast to trust, two refusals, some not yet. The flags reach the warnings app (one warning acknowledged).
Two earlier city screenings give the comparisons: one a year ago (the same season) and one in the spring.
"""

import random
import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from runxin.alerts import services as alerts
from runxin.alerts.models import Warning
from runxin.people.models import GroupMembership, SpecialGroup
from runxin.screening import services
from runxin.screening.models import Campaign, CampaignTarget, InstrumentVersion, Result
from runxin.screening.tests.helpers import gad7_answers, phqa_answers
from runxin.testing import factories as f
from runxin.testing import seeds
from runxin.testing.clock import frozen_at
from runxin.testing.world import build_world

MINI = {
    "schema": "runxin.instrument/1", "code": "mini-mht", "version": "1.0.0",
    "title": {"zh-Hans": "学习与交往小量表", "en": "Study and friends mini scale"},
    "languages": {"zh-Hans": {"status": "original"}, "en": {"status": "translated"}},
    "respondent": "student", "grades": [7, 8, 9],
    "source": {"citation": "runxin test instrument", "licence": "test only"},
    "option_sets": {"often": [
        {"value": "0", "label": {"zh-Hans": "从不", "en": "Never"}, "score": 0},
        {"value": "1", "label": {"zh-Hans": "有时", "en": "Sometimes"}, "score": 1},
        {"value": "2", "label": {"zh-Hans": "经常", "en": "Often"}, "score": 2}]},
    "items": [{"id": f"q{n}", "number": str(n), "type": "choice", "option_set": "often",
               "text": {"zh-Hans": f"题目{n}", "en": f"Question {n}"}} for n in range(1, 5)],
    "scales": [
        {"id": "study", "label": {"zh-Hans": "学习焦虑", "en": "Study anxiety"}, "kind": "sum", "items": ["q1", "q2"],
         "range": [0, 4], "bands": [
             {"min": 0, "max": 2, "code": "normal", "label": {"zh-Hans": "正常", "en": "Normal"}, "level": "none"},
             {"min": 3, "max": 4, "code": "raised", "label": {"zh-Hans": "偏高", "en": "Raised"}, "level": "moderate"}]},
        {"id": "social", "label": {"zh-Hans": "人际焦虑", "en": "Social anxiety"}, "kind": "sum", "items": ["q3", "q4"],
         "range": [0, 4], "bands": [
             {"min": 0, "max": 2, "code": "normal", "label": {"zh-Hans": "正常", "en": "Normal"}, "level": "none"},
             {"min": 3, "max": 4, "code": "raised", "label": {"zh-Hans": "偏高", "en": "Raised"}, "level": "moderate"}]},
        {"id": "total", "label": {"zh-Hans": "总分", "en": "Total"}, "kind": "sum", "items": ["q1", "q2", "q3", "q4"],
         "range": [0, 8], "bands": [
             {"min": 0, "max": 4, "code": "low", "label": {"zh-Hans": "低", "en": "Low"}, "level": "none"},
             {"min": 5, "max": 6, "code": "mid", "label": {"zh-Hans": "中", "en": "Middle"}, "level": "moderate"},
             {"min": 7, "max": 8, "code": "top", "label": {"zh-Hans": "高", "en": "High"}, "level": "high"}]},
    ],
    "total_scale": "total",
    "validity_checks": [{"kind": "min_seconds_per_item", "seconds": 1, "status": "needs_review"}],
}


def mini_version() -> InstrumentVersion:
    from runxin.screening.core.validation import parse_definition

    version, _created = services.instrument_version_add(definition=parse_definition(MINI), source="upload")
    return services.instrument_publish(user=None, version=version)


def version(code: str) -> InstrumentVersion:
    return InstrumentVersion.objects.get(instrument__code=code, is_published=True)


def asq(positive: bool, acute: bool = False) -> dict:
    if not positive:
        return {"q1": "no", "q2": "no", "q3": "no", "q4": "no"}
    return {"q1": "yes", "q2": "no", "q3": "no", "q4": "no", "q5": "yes" if acute else "no"}


def mini(study: int, social: int) -> dict:
    return {"q1": str(min(study, 2)), "q2": str(max(study - 2, 0)), "q3": str(min(social, 2)),
            "q4": str(max(social - 2, 0))}


GROUPS = ["left_behind_one", "single_parent", "bereaved", "migrant"]


def _students(w, rng: random.Random) -> list:
    w.school2 = f.school(w.east, "东区第二中学", "S-E2")
    w.e1_8 = f.school_class(w.school, 8, 1, w.year)
    w.e2_7 = f.school_class(w.school2, 7, 1, w.year)
    w.e2_8a = f.school_class(w.school2, 8, 1, w.year)
    w.e2_8b = f.school_class(w.school2, 8, 2, w.year)
    w.w_8 = f.school_class(w.other_school, 8, 1, w.year)
    sizes = [(w.class1, 14), (w.class2, 12), (w.e1_8, 16), (w.e2_7, 18), (w.e2_8a, 15), (w.e2_8b, 3),
             (w.other_class, 17), (w.w_8, 11)]
    groups = {g.code: g for g in SpecialGroup.objects.filter(code__in=GROUPS)}
    students = [w.a1, w.a2, w.b1, w.w1]
    for school_class, n in sizes:
        for _i in range(n):
            students.append(f.StudentFactory(school_class=school_class, birth_date=date(2010, 3, 1),
                                             sex=rng.choice("MF")))
    for student in students:
        roll = rng.random()
        if roll < 0.25:
            GroupMembership.objects.create(student=student, group=groups[rng.choice(GROUPS)])
        if roll < 0.05:  # a few in two groups: the groups overlap
            GroupMembership.objects.get_or_create(student=student, group=groups["bereaved"])
    return students


def _campaign(w, name: str, versions: list, start: date, days: int = 20) -> Campaign:
    spec = services.CampaignSpec(
        name=name, kind=Campaign.Kind.UNIVERSAL, owner=w.city, window_start=start,
        window_end=start + timedelta(days=days), consent_mode=Campaign.ConsentMode.OPT_OUT, versions=versions,
        grades=[7, 8], groups=[], key_students=False, student_numbers=[])
    campaign = services.campaign_create(user=w.city_centre, spec=spec)
    campaign = services.campaign_open(user=w.city_centre, campaign=campaign)
    for school_class in {t.school_class for t in CampaignTarget.objects.filter(campaign=campaign)
                         .select_related("school_class")}:
        services.consent_mark_notified(user=w.city_centre, campaign=campaign, school_class=school_class)
    return campaign


def _answer(campaign: Campaign, rng: random.Random, *, share: float, with_mini: bool, declines: int = 0) -> None:
    targets = list(CampaignTarget.objects.filter(campaign=campaign).select_related("campaign", "student")
                   .order_by("student_id"))
    for n, target in enumerate(targets):
        if n < declines:
            services.student_decide(target=target, decision=CampaignTarget.Decision.DECLINED)
            continue
        if rng.random() > share:
            continue
        roll = rng.random()
        score = 0 if roll < 0.55 else 1 if roll < 0.8 else 2 if roll < 0.93 else 3
        q9 = 1 if rng.random() < 0.06 else 0
        answers = {"phqa": phqa_answers(score, q9=q9), "gad7": gad7_answers(score), "asq": asq(rng.random() < 0.08,
                                                                                   acute=rng.random() < 0.3)}
        if with_mini:
            answers["mini-mht"] = mini(rng.choice([0, 1, 2, 3, 4]), rng.choice([0, 1, 2, 2, 3, 4]))
        elapsed = {code: (2 if rng.random() < 0.07 else 200) for code in answers}
        target.refresh_from_db()
        services.submission_accept(target=target, client_id=uuid.uuid4(), answers=answers, elapsed=elapsed)


def build_city(seed: int = 13) -> SimpleNamespace:
    rng = random.Random(seed)
    w = build_world()
    w.students = _students(w, rng)
    w.mini = mini_version()
    today = timezone.localdate()
    base = [version("phqa"), version("gad7"), version("asq")]
    with frozen_at(timezone.now() - timedelta(days=365)):
        w.last_year = _campaign(w, "去年秋季普测", base, today - timedelta(days=365))
        _answer(w.last_year, rng, share=0.8, with_mini=False)
        services.campaign_close(user=w.city_centre, campaign=w.last_year)
    with frozen_at(timezone.now() - timedelta(days=150)):
        w.spring = _campaign(w, "春季普测", base, today - timedelta(days=150))
        _answer(w.spring, rng, share=0.85, with_mini=False)
        services.campaign_close(user=w.city_centre, campaign=w.spring)
    w.campaign = _campaign(w, "秋季开学普测", [*base, w.mini], today)
    _answer(w.campaign, rng, share=0.9, with_mini=True, declines=2)
    services.flags_hand_over_pending()
    # One school's warning acknowledged by its psychology teacher (the list shows each warning's state).
    critical = Result.objects.filter(campaign=w.campaign, critical=True, target__school_id=w.school.pk)
    first = Warning.objects.filter(student__in=critical.values("student_id")).order_by("pk").first()
    if first is not None:
        alerts.warning_acknowledge(warning=first, actor=w.psych)
    return w


@pytest.fixture(scope="module", name="city")
def city_fixture(django_db_setup, django_db_blocker):
    """The city built once per test module, its three campaigns' figures computed (inside a transaction rolled
    back at the end; each test runs in its own savepoint)."""
    from runxin.analytics import campaign_figures

    with seeds.module_database(django_db_blocker):
        w = build_city()
        for campaign in (w.last_year, w.spring, w.campaign):
            campaign_figures.compute_campaign_figures(campaign)
        yield w
