"""The stored figures (UnitFigure, kept by analytics.facts) equal a raw SQL recomputation over the base tables
(analytics.raw_figures) for every unit and month of a demo city, and their suppression is decided over the whole
tree: no small count visible, no line with exactly one hidden member, nothing the subtraction attack recovers."""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from runxin.accounts.models import User
from runxin.alerts import services as alerts
from runxin.alerts.models import Warning
from runxin.analytics import facts, raw_figures, refresh
from runxin.analytics.core.disclosure import attack
from runxin.analytics.core.suppression import SMALL
from runxin.analytics.models import UnitFigure
from runxin.cases import incidents
from runxin.demo.activity import generate_activity
from runxin.demo.generator import CityGenerator
from runxin.org.models import OrgUnit
from runxin.people import key_students
from runxin.people import services as people
from runxin.people.models import KeyStudentMark, Student
from runxin.referrals import services as referrals
from runxin.referrals.models import Referral
from runxin.testing import seeds
from runxin.testing.clock import frozen_at, local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_changes_seen():
    """Each test starts with no pass before it in the cache (its database rows are rolled back after it)."""
    cache.delete(refresh.SEEN_KEY)

STUDENTS = 300
# The demo plays a semester back from 1 September to "today": freeze today well into an autumn term.
TODAY = local(2031, 11, 20)
MONTHS = [date(2031, 9, 1), date(2031, 10, 1), date(2031, 11, 1)]


def build_city(files_dir: Path) -> OrgUnit:
    """A demo-like city: the demo generator's city of STUDENTS students and the demo school's semester made
    through the real services (runxin/demo), with a few more records spread over the months: a referral whose
    first visit took days, an incident review, a key-student marking that ended, a graduated student, a
    dismissed warning; then the figures rebuilt. Returns the demo school."""
    CityGenerator(students=STUDENTS, seed=7, files_dir=files_dir).run()
    generate_activity(seed=7)
    psych, doctor = User.objects.get(username="psych_teacher"), User.objects.get(username="hospital")
    school = OrgUnit.objects.get(pk=psych.role_assignments.get().org_unit_id)
    pupils = list(Student.objects.filter(school=school, status="enrolled").order_by("id"))
    hospital = OrgUnit.objects.get(kind=OrgUnit.Kind.HOSPITAL)
    with frozen_at(local(2031, 10, 3, 9)):
        referral = referrals.referral_create(
            actor=psych, student=pupils[3], to_unit=hospital, urgent=False, reason="情绪低落，建议评估。",
            guardian_name="母亲", guardian_how=Referral.GuardianHow.PHONE, guardian_informed_at=local(2031, 10, 3, 8))
    with frozen_at(local(2031, 10, 10, 9)):
        referrals.record_first_visit(referral=referral, actor=doctor, at=local(2031, 10, 9, 15))
    incidents.review_create(actor=psych, school=school, kind="self_harm", incident_on=date(2031, 10, 12),
                            student=pupils[4])
    mark = KeyStudentMark.objects.filter(student__school=school, ended_on__isnull=True).first()
    if mark is not None:
        with frozen_at(local(2031, 10, 15)):
            key_students.key_end(actor=psych, mark=mark)
    people.student_graduate(student=pupils[5], on=date(2031, 10, 20))
    acknowledged = Warning.objects.filter(state="acknowledged", student__school=school).first()
    if acknowledged is not None:
        alerts.warning_assess(warning=acknowledged, actor=psych, confirm=False, reason="评估后无风险。")
    refresh.rebuild()
    return school


@contextmanager
def city_for_the_module(django_db_blocker, files_dir: Path) -> Iterator[OrgUnit]:
    """build_city() once for a test module, inside a transaction rolled back after its last test (each test
    runs in a savepoint of it), with the clock at TODAY."""
    with seeds.module_database(django_db_blocker), override_settings(VAR_DIR=files_dir), frozen_at(TODAY), \
            translation.override("en"):
        yield build_city(files_dir / "demo-files")


@pytest.fixture(scope="module", name="demo_city")
def demo_city_fixture(django_db_setup, django_db_blocker, tmp_path_factory):
    with city_for_the_module(django_db_blocker, tmp_path_factory.mktemp("city")) as school:
        yield school


def stored() -> dict[tuple[int, date, str], tuple[int, bool]]:
    return {(unit, month, measure): (value, hidden) for unit, month, measure, value, hidden in
            UnitFigure.objects.values_list("unit_id", "month", "measure", "value", "suppressed")}


def tree_units() -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(kind__in=facts.TREE_KINDS).order_by("depth", "id"))


def differences(units, months) -> list[tuple]:
    """(unit, month, measure, stored, raw) wherever the stored figure differs from the raw recomputation."""
    figures = stored()
    found = []
    for unit in units:
        for month in months:
            for measure, value in raw_figures.figures(unit, month).items():
                kept = figures.get((unit.pk, month, measure), (0, False))[0]
                if kept != value:
                    found.append((unit.kind, unit.pk, month, measure, kept, value))
    return found


def test_every_stored_figure_equals_the_raw_sql_over_the_base_tables(demo_city):
    months = facts.months_between(refresh.first_month(), TODAY.date())
    assert MONTHS[0] in months and months[-1] == MONTHS[-1]
    assert differences(tree_units(), months) == []
    city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
    figures = stored()

    def at_city(month, measure):
        return figures.get((city.pk, month, measure), (0, False))[0]

    # The comparison is not between two empty tables: the semester left figures of every group.
    assert at_city(MONTHS[2], "students") == STUDENTS - 1  # the graduate has left
    assert at_city(MONTHS[0], "students") == STUDENTS
    assert sum(at_city(m, "screening.results") for m in MONTHS) > 50
    assert at_city(MONTHS[0], "screening.covered") > 40
    assert sum(at_city(m, "warnings.new") for m in MONTHS) >= 5
    assert at_city(MONTHS[1], "warnings.current") > 0
    assert at_city(MONTHS[1], "referrals.first_visit") >= 1
    assert at_city(MONTHS[1], "referrals.days_to_first_visit") >= 6
    assert at_city(MONTHS[1], "incidents.new") == 1
    assert at_city(MONTHS[0], "visits.home") > 0
    assert at_city(MONTHS[2], "visits.key_students") < at_city(MONTHS[0], "visits.key_students")
    # Totals are the sums of their parts, at every level.
    parents = facts.tree_parents()
    sums: dict[tuple, int] = defaultdict(int)
    for (unit, month, measure), (value, _hidden) in figures.items():
        if parents.get(unit) is not None:
            sums[(parents[unit], month, measure)] += value
    for (unit, month, measure), total in sums.items():
        assert figures[(unit, month, measure)][0] == total, (unit, month, measure)


def month_lines(month: date) -> tuple[dict, list]:
    """The stored figures of a month and every line a page can show: each unit with its children per measure,
    each unit's breakdowns by level and band (built here from the tree, not by facts.decide)."""
    values = {(unit, measure): value for unit, measure, value in
              UnitFigure.objects.filter(month=month).values_list("unit_id", "measure", "value")}
    codes = [m.code for m in facts.measures()]
    kids = defaultdict(list)
    for unit, parent, kind in OrgUnit.objects.filter(kind__in=facts.TREE_KINDS).values_list("id", "parent_id", "kind"):
        kids[parent].append((unit, kind))
    lines = []
    for parent, children in kids.items():
        if parent is None:
            continue
        for code in codes:
            if code in facts.NEVER_SUPPRESSED:
                continue
            below_schools = children[0][1] in (OrgUnit.Kind.GRADE, OrgUnit.Kind.CLASS)
            if not (code in facts.SCHOOL_AND_ABOVE and below_schools):
                lines.append([(parent, code)] + [(child, code) for child, _kind in children])
    level_codes = [c.split(".")[-1] for c in codes if c.startswith("warnings.new.")]
    for unit in {u for u, _m in values}:
        for total, parts in facts.breakdowns(level_codes).items():
            lines.append([(unit, total)] + [(unit, part) for part in parts])
    return values, lines


def test_stored_suppression_protects_every_small_count_on_every_line(demo_city):
    for month in MONTHS:
        values, lines = month_lines(month)
        hidden = set(UnitFigure.objects.filter(month=month, suppressed=True).values_list("unit_id", "measure"))
        for (unit, measure), value in values.items():
            if measure in facts.NEVER_SUPPRESSED:
                assert (unit, measure) not in hidden
            elif 0 < value < SMALL:
                assert (unit, measure) in hidden, (unit, measure, value)
        for line in lines:
            assert sum(1 for key in line if key in hidden) != 1, line
        result = attack(values, lines, hidden)
        assert result.recovered == {} and result.small_sums == []
        # The mean days to a first visit is hidden wherever its count is.
        for unit, measure in hidden:
            if measure == "referrals.first_visit" and (unit, "referrals.days_to_first_visit") in values:
                assert (unit, "referrals.days_to_first_visit") in hidden


def test_a_changed_figure_stays_hidden_until_suppression_is_decided(demo_city):
    school = demo_city
    with frozen_at(TODAY):
        wins = facts.windows(MONTHS)
        figures = facts.compute_school(school.pk, wins)
        key = (school.pk, MONTHS[0], "screening.results")
        students = (school.pk, MONTHS[1], "students")
        assert figures[key] >= SMALL
        figures[key] += 1
        figures[students] += 1
        # Written hidden until decided; the number of students is never hidden, so its month needs no new decision.
        assert facts.write_school(school.pk, wins, figures) == {MONTHS[0]: True, MONTHS[1]: False}
        assert UnitFigure.objects.get(unit_id=key[0], month=key[1], measure=key[2]).suppressed
        assert not UnitFigure.objects.get(unit_id=students[0], month=students[1], measure=students[2]).suppressed
        facts.finish(facts.Changes({MONTHS[0]: True}))
        assert not UnitFigure.objects.get(unit_id=key[0], month=key[1], measure=key[2]).suppressed


def test_the_rebuild_command_prints_its_progress(demo_city):
    out = StringIO()
    with frozen_at(TODAY):
        UnitFigure.objects.all().delete()
        call_command("analytics_rebuild", stdout=out)
    assert "/ 7 schools" in out.getvalue() and "Rebuilt the figures of 7 schools over" in out.getvalue()
    state = refresh.state()
    assert (state.done, state.total) == (7, 7) and state.rebuild_finished_at is not None
    assert UnitFigure.objects.filter(unit__kind=OrgUnit.Kind.CITY, month=MONTHS[2], measure="students").get().value \
        == STUDENTS - 1


def test_the_beat_schedule_refreshes_every_minute_and_rebuilds_at_night(settings):
    from celery.schedules import crontab

    from runxin.alerts import scheduler

    beat = settings.CELERY_BEAT_SCHEDULE
    assert beat["analytics-refresh"] == {"task": "runxin.analytics.tasks.refresh", "schedule": 60.0}
    nightly = beat["analytics-rebuild"]["schedule"]
    assert isinstance(nightly, crontab) and nightly.hour == {2} and nightly.minute == {30}
    for name in ("analytics-refresh", "analytics-rebuild"):
        task = beat[name]["task"]
        assert scheduler.task_for(task).name == task


def test_the_nightly_job_rebuilds_once_per_night(demo_city):
    with frozen_at(local(2031, 11, 21, 2, 31)):
        assert "schools" in refresh.nightly()
    with frozen_at(local(2031, 11, 21, 10)):  # the embedded scheduler restarted: no second rebuild
        assert refresh.nightly() == {"skipped": "rebuilt since the last nightly slot"}
    with frozen_at(local(2031, 11, 22, 2, 30)):
        assert "schools" in refresh.nightly()
    assert refresh.state().rebuild_started_at >= local(2031, 11, 22, 2, 30) - timedelta(minutes=1)
