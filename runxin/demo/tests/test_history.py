"""The demo city's past (history.py): two school years of city-wide screening, the warnings they raised worked to
closure through the real services, referrals, home visits and post-incident reviews, all at past dates; the same
past for the same seed, and the current semester played exactly as without it."""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation

from runxin.alerts import states
from runxin.alerts.models import FollowUp, Warning
from runxin.cases.models import IncidentReview
from runxin.demo import history
from runxin.notify.models import Notification
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import RoleAssignment, Student
from runxin.referrals.models import Referral
from runxin.screening.core import load_definition, score
from runxin.screening.models import Campaign, CampaignTarget, Result, ScreeningFlag
from runxin.testing import seeds
from runxin.testing.clock import frozen_at, local
from runxin.visits.models import FamilyContact

pytestmark = pytest.mark.xdist_group("demo_history")  # one worker builds the module's city

N = 300
# The current school year is 2031-2032 (not the real one); its past: 2029-2030 and 2030-2031.
TODAY = local(2031, 11, 20)
CURRENT_START = date(2031, 9, 1)


def semester(start: date) -> list[tuple]:
    """What the current semester made, without ids or clock times: each warning raised this school year."""
    rows = Warning.objects.filter(raised_at__date__gte=start).select_related("student", "level")
    return sorted((w.student.student_number, w.source, w.state, w.level.code, w.tier,
                   tuple(w.events.order_by("id").values_list("kind", flat=True))) for w in rows)


def past(start: date) -> dict[str, list]:
    """What the past holds, without ids: answers, warnings with their times and outcome, referrals, home visits."""
    return {
        "results": sorted(Result.objects.filter(campaign__window_start__lt=start).values_list(
            "campaign__name", "student__student_number", "instrument_code", "total", "scored_at")),
        "warnings": sorted(Warning.objects.filter(raised_at__date__lt=start).values_list(
            "student__student_number", "raised_at", "level__code", "state", "tier", "escalation_count",
            "cleared_at", "closed_at")),
        "referrals": sorted(Referral.objects.filter(referred_at__date__lt=start).values_list(
            "student__student_number", "referred_at", "status", "first_visit_at", "admitted_at")),
        "visits": sorted(FamilyContact.objects.filter(done_on__lt=start).values_list(
            "student__student_number", "done_on", "kind")),
        "reviews": sorted(IncidentReview.objects.values_list("school__code", "incident_on", "status")),
    }


@dataclass
class Built:
    output: str
    without_past: list  # the semester of the same city built with --no-history
    first_semester: list
    first_past: dict


def _build(**options) -> str:
    """One build, its clock started at TODAY: the test clock ticks on from the frozen moment, and the generator
    places the semester's days from the time it starts at, so each of the three builds must start at the same
    moment to be compared (from one shared clock the third began a build or two later: on a loaded machine
    enough for a day to round differently)."""
    out = StringIO()
    with frozen_at(TODAY):
        call_command("demo_city", students=N, seed=7, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker, tmp_path_factory):
    """One small city built three times in one transaction rolled back at the end: without a past (to see its
    semester), with a past, and with a past again (kept for the tests). A module's worth of tests reads one city."""
    with (seeds.module_database(django_db_blocker),
          override_settings(VAR_DIR=tmp_path_factory.mktemp("var"), LANGUAGE_CODE="en"),
          translation.override("en"), frozen_at(TODAY)):
        with transaction.atomic():
            _build(no_history=True)
            without_past = semester(CURRENT_START)
            transaction.set_rollback(True)
        with transaction.atomic():
            _build()
            first_semester, first_past = semester(CURRENT_START), past(CURRENT_START)
            transaction.set_rollback(True)
        yield Built(_build(), without_past, first_semester, first_past)


def _past_campaigns():
    return Campaign.objects.filter(window_start__lt=CURRENT_START).order_by("window_start")


def test_two_past_school_years_each_screened_city_wide_in_autumn_and_spring(city, db):
    years = list(SchoolYear.objects.filter(is_current=False).order_by("starts_on").values_list("code", flat=True))
    assert years == ["2029-2030", "2030-2031"]
    campaigns = list(_past_campaigns())
    assert [(c.window_start.year, c.window_start.month) for c in campaigns] == [
        (2029, 10), (2030, 4), (2030, 10), (2031, 4)]
    city_unit = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
    for campaign in campaigns:
        assert (campaign.kind, campaign.status, campaign.owner_id) == (
            Campaign.Kind.UNIVERSAL, Campaign.Status.CLOSED, city_unit.pk)
        targets = CampaignTarget.objects.filter(campaign=campaign)
        finished = targets.filter(finished_at__isnull=False)
        assert targets.count() > 50
        assert 0.85 <= finished.count() / targets.count() <= 0.98  # 90–97 % of each class, a few refusals
        # Every school with pupils of grades 6–12 took part; the answers are dated inside the window.
        schools = set(Student.objects.filter(school_class__grade_level__gte=6).values_list("school_id", flat=True))
        assert set(targets.values_list("school_id", flat=True)) == schools
        results = Result.objects.filter(campaign=campaign)
        assert set(results.values_list("instrument_code", flat=True)) == {"phqa", "gad7"}
        days = {timezone.localdate(at) for at in results.values_list("scored_at", flat=True)}
        assert campaign.window_start <= min(days) and max(days) <= campaign.window_end
    # The staff were in post through the past years (the generator appointed them on the oldest one's first day).
    assert set(RoleAssignment.objects.filter(role__in=["psych_teacher", "head_teacher", "centre_staff"])
               .values_list("starts_on", flat=True)) == {date(2029, 9, 1)}


def test_a_few_per_cent_flagged_most_at_the_lowest_level_all_handed_over(city, db):
    past_results = Result.objects.filter(campaign__window_start__lt=CURRENT_START)
    answered = past_results.values("target").distinct().count()
    flags = ScreeningFlag.objects.filter(result__in=past_results)
    assert not flags.filter(handed_over_at__isnull=True).exists()
    warnings = Warning.objects.filter(raised_at__date__lt=CURRENT_START, source=Warning.Source.SCREENING)
    assert 0.01 <= warnings.count() / answered <= 0.08
    levels = Counter(warnings.values_list("level__code", flat=True))
    assert levels.most_common(1)[0][0] == "yellow"
    # A spring answers worse than the autumn before it (exam season).
    by_campaign = [Result.objects.filter(campaign=c, instrument_code="phqa") for c in _past_campaigns()]
    moderate_or_worse = [r.filter(band_level__in=["moderate", "high"]).count() / r.count() for r in by_campaign]
    assert moderate_or_worse[1] > moderate_or_worse[0] and moderate_or_worse[3] > moderate_or_worse[2]


def test_past_warnings_were_worked_to_closure_at_past_dates(city, db):
    now = timezone.now()
    past_warnings = Warning.objects.filter(raised_at__date__lt=CURRENT_START)
    assert past_warnings.count() > 5
    # Nothing from two years ago is open; from last year only the deliberately long-monitored serious cases, never
    # at the school where the semester plays, and nothing waits on a clock.
    oldest = past_warnings.filter(raised_at__date__lt=date(2030, 9, 1))
    assert set(oldest.values_list("state", flat=True)) <= {states.CLOSED, states.DISMISSED}
    still_open = past_warnings.filter(state__in=states.OPEN)
    assert set(still_open.values_list("state", flat=True)) <= {states.MONITORING}
    assert not still_open.filter(level__code="yellow").exists()
    demo_school = RoleAssignment.objects.get(user__username="psych_teacher").org_unit_id
    assert not still_open.filter(student__school_id=demo_school).exists()
    assert not past_warnings.filter(due_at__isnull=False).exists()
    closed = past_warnings.filter(state=states.CLOSED)
    assert closed.exists() and not closed.filter(cleared_at__isnull=True).exists()
    assert past_warnings.filter(state=states.DISMISSED).exists()
    # Every follow-up (回访) of the past was recorded within days of its due date.
    follow_ups = FollowUp.objects.filter(student__in=past_warnings.values("student"), created_at__lt=now,
                                         due_on__lt=CURRENT_START)
    assert follow_ups.exists() and not follow_ups.filter(done_at__isnull=True).exists()
    assert all(timezone.localdate(f.done_at) - f.due_on <= timedelta(days=3) for f in follow_ups)
    # Each history runs forward in time and lies in the past.
    for warning in past_warnings:
        times = list(warning.events.order_by("id").values_list("at", flat=True))
        assert times == sorted(times) and times[0] == warning.raised_at and times[-1] < now, warning.pk
    # A few nobody acknowledged in time: the sweep moved them up a tier, where someone acknowledged them.
    escalated = past_warnings.filter(escalation_count__gt=0)
    assert escalated.exists()
    for warning in escalated:
        kinds = list(warning.events.order_by("id").values_list("kind", flat=True))
        assert "escalated" in kinds[:kinds.index("acknowledged")], kinds
    # Past inbox notifications were read during their year.
    assert not Notification.objects.filter(channel="inbox", read_at__isnull=True,
                                           created_at__date__lt=CURRENT_START).exists()


def test_referred_students_were_seen_and_back_at_school(city, db):
    referrals = Referral.objects.filter(referred_at__date__lt=CURRENT_START)
    assert referrals.exists()
    for referral in referrals:
        assert referral.status == Referral.Status.CLOSED
        assert referral.referred_at < referral.first_visit_at < referral.discharged_at < referral.return_assessed_at
        assert referral.warning is not None and referral.warning.referred_at is not None
    discharge = FollowUp.objects.filter(origin=FollowUp.Origin.DISCHARGE, origin_id__in=referrals.values("id"))
    assert discharge.count() == 2 * referrals.count() and not discharge.filter(done_at__isnull=True).exists()


def test_home_visits_each_past_year_and_a_post_incident_review(city, db):
    students = Student.objects.filter(status=Student.Status.ENROLLED)
    keys = set(students.filter(is_key_student=True).values_list("id", flat=True))
    for starts, share in ((date(2029, 9, 1), 0.5), (date(2030, 9, 1), 0.7)):
        visited = set(FamilyContact.objects.filter(
            kind=FamilyContact.Kind.HOME_VISIT, status=FamilyContact.Status.DONE,
            done_on__range=(starts, starts.replace(year=starts.year + 1) - timedelta(days=1)))
            .values_list("student_id", flat=True))
        assert len(visited) / students.count() >= share
        assert keys <= visited  # every key student at home, every year
    reviews = IncidentReview.objects.all()
    assert reviews.exists()
    for review in reviews:
        assert review.status == IncidentReview.Status.FINAL and review.findings and review.actions
        assert review.incident_on < CURRENT_START and review.warning_id is not None


def test_the_same_seed_gives_the_same_past_and_the_semester_is_played_as_without_it(city, db):
    assert past(CURRENT_START) == city.first_past
    assert semester(CURRENT_START) == city.first_semester == city.without_past
    # The summary says what the past holds, and the semester's line counts only the semester.
    line = next(line for line in city.output.splitlines() if line.strip().startswith("past"))
    assert "2029-2030 and 2030-2031" in line and "4 universal screenings" in line
    semester_line = next(line for line in city.output.splitlines() if line.strip().startswith("semester"))
    assert f"{len(city.without_past)} warnings" in semester_line


# ----------------------------------------------------------------------------------------- the answer model

def test_trajectories_are_plausible_and_fixed_by_the_seed():
    rng = random.Random(1)
    students = [(f"G{n:06d}", rng.choice(range(6, 13))) for n in range(4000)]
    paths = [history.trajectory(5, number, grade, 4) for number, grade in students]
    assert paths == [history.trajectory(5, number, grade, 4) for number, grade in students]
    assert paths != [history.trajectory(6, number, grade, 4) for number, grade in students]
    for k in range(4):
        flagged = [p[k] for p in paths if p[k].phq >= 10 or p[k].gad >= 10 or p[k].thoughts or p[k].too_fast]
        assert 0.015 <= len(flagged) / len(paths) <= 0.08
        serious = [a for a in flagged if a.thoughts or a.phq >= 15 or a.gad >= 15]
        assert len(serious) < len(flagged) / 2  # most at the lowest level
    # Most stay where they were; some get better, some worse.
    change = Counter((p[3].phq > p[0].phq + 3) - (p[3].phq < p[0].phq - 3) for p in paths)
    assert change[0] > 0.7 * len(paths) and change[1] > 0 and change[-1] > 0


def test_answers_have_the_totals_the_trajectory_asked_for():
    definitions = {code: load_definition(code) for code in ("phqa", "gad7")}
    rng = random.Random(3)
    for phq, gad, thoughts in [(0, 0, False), (7, 4, False), (12, 11, False), (18, 16, True), (3, 2, True)]:
        answers = history.answers_for(rng, history.Answered(phq, gad, thoughts, False))
        phqa = score(definitions["phqa"], answers["phqa"])
        gad7 = score(definitions["gad7"], answers["gad7"])
        assert (phqa.total.value, gad7.total.value) == (phq, gad)
        assert bool(phqa.critical_flags) == thoughts
