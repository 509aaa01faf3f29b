"""The incremental pass (analytics.refresh.refresh, every minute) leaves exactly the figures, and the suppression,
that a full rebuild gives: after the changes people make through the services, after time alone moves a stock,
and at the turn of a month."""

import random
import uuid
from datetime import date, timedelta

import pytest
from django.core.cache import cache

from runxin.accounts.models import User
from runxin.alerts import intake
from runxin.alerts import services as alerts
from runxin.alerts.models import FollowUp, Warning
from runxin.analytics import refresh
from runxin.analytics.models import UnitFigure
from runxin.demo.activity import _answers
from runxin.org.models import OrgUnit
from runxin.people import services as people
from runxin.people.models import Student
from runxin.referrals import services as referrals
from runxin.referrals.models import Referral
from runxin.screening import services as screening
from runxin.screening.models import CampaignTarget
from runxin.testing.clock import frozen_at, local
from runxin.visits import services as visits

from .test_facts import TODAY, city_for_the_module, differences, stored, tree_units

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_changes_seen():
    """Each test starts with no pass before it in the cache (its database rows are rolled back after it)."""
    cache.delete(refresh.SEEN_KEY)


@pytest.fixture(scope="module", name="demo_city")
def demo_city_fixture(django_db_setup, django_db_blocker, tmp_path_factory):
    with city_for_the_module(django_db_blocker, tmp_path_factory.mktemp("city")) as school:
        yield school


def pass_then_rebuild(moment) -> tuple[dict, dict]:
    """The incremental pass at `moment`, then a full rebuild at the same moment: both tables as they were."""
    with frozen_at(moment, tick=False):
        result = refresh.refresh()
        assert "skipped" not in result
        after_pass = stored()
        refresh.rebuild()
        return after_pass, stored()


def user(username: str) -> User:
    return User.objects.get(username=username)


def test_the_pass_after_a_day_of_changes_gives_what_a_rebuild_gives(demo_city):
    school = demo_city
    psych, head, doctor = user("psych_teacher"), user("head_teacher"), user("hospital")
    head_class = head.role_assignments.get().org_unit
    # A referral made three days ago that waits for the hospital; then the figures as they stood this morning.
    with frozen_at(TODAY - timedelta(days=3)):
        referred = Student.objects.filter(school=school, status="enrolled", referrals__isnull=True).last()
        referral = referrals.referral_create(
            actor=psych, student=referred, to_unit=OrgUnit.objects.get(kind=OrgUnit.Kind.HOSPITAL), urgent=False,
            reason="睡眠差，建议评估。", guardian_name="父亲", guardian_how=Referral.GuardianHow.PHONE,
            guardian_informed_at=TODAY - timedelta(days=3, hours=1))
    with frozen_at(TODAY, tick=False):
        refresh.rebuild()
    before = stored()
    with frozen_at(TODAY + timedelta(minutes=30)):
        # A new warning: the head teacher's observation about a pupil without an open warning.
        pupil = (Student.objects.filter(school_class=head_class, status="enrolled")
                 .exclude(alert_warnings__state__in=["raised", "acknowledged", "assessed", "intervention",
                                                     "monitoring", "clear_requested", "cleared"]).first())
        new_warning = intake.warning_report(actor=head, student=pupil, source="observation",
                                            summary="上课时情绪低落，多次哭泣。")
        # A warning cleared (解除) by whoever may approve it.
        waiting = Warning.objects.filter(state__in=["clear_requested", "monitoring"]).order_by("-state").first()
        if waiting.state == "monitoring":
            waiting = alerts.warning_request_clear(warning=waiting, actor=psych, reason="情绪稳定两周。")
        approver = next(u for u in User.objects.filter(username__in=["school_leader", "psych_teacher",
                                                                     "district_centre", "city_centre"])
                        if u.pk != waiting.clear_requested_by_id and alerts.may_approve_clear(u, waiting))
        alerts.warning_approve_clear(warning=waiting, actor=approver, reason="持续稳定。")
        # A follow-up (回访) done.
        follow_up = FollowUp.objects.filter(done_at__isnull=True).order_by("due_on").first()
        alerts.follow_up_done(follow_up=follow_up, actor=psych, note="情况稳定。")
        # The waiting referral's first visit at the hospital, yesterday.
        referrals.record_first_visit(referral=referral, actor=doctor, at=TODAY - timedelta(days=1))
        # A home visit made at the end of October, recorded only now.
        visited = Student.objects.filter(school_class=head_class, status="enrolled").exclude(
            family_contacts__kind="home_visit").first()
        visits.contact_record(actor=head, student=visited, kind="home_visit", done_on=date(2031, 10, 30),
                              visitors="班主任", met_with="母亲", summary="家访了解学习和作息。")
        # A student with a warning since September moves to another class of the school: the history moves along.
        mover = Warning.objects.filter(student__school=school, raised_at__lt=local(2031, 10, 1)).first().student
        other_class = OrgUnit.objects.filter(school=school, kind=OrgUnit.Kind.CLASS,
                                             school_year=mover.school_class.school_year).exclude(
            pk=mover.school_class_id).first()
        people.student_place(student=mover, school_class=other_class, on=TODAY.date(), reason="class_changed")
        # Another leaves for a school of another district: both schools' figures change.
        leaver = Warning.objects.filter(student__school=school).exclude(student=mover).first().student
        elsewhere = OrgUnit.objects.filter(kind=OrgUnit.Kind.CLASS).exclude(school__parent=school.parent).first()
        people.student_place(student=leaver, school_class=elsewhere, on=TODAY.date(), reason="transferred_in")
        # A questionnaire handed in at the school with a screening under way.
        target = next(t for t in CampaignTarget.objects.filter(finished_at__isnull=True, campaign__status="open")
                      .select_related("campaign", "student", "consent").order_by("id")
                      if screening.gate_for(t).may_answer)
        steps = {s.code for s in screening.steps_for(target)}
        answers = _answers(random.Random(3), "high", target.grade_level or 7)
        screening.submission_accept(target=target, client_id=uuid.uuid4(), via="code",
                                    answers={code: given for code, given in answers.items() if code in steps},
                                    elapsed={code: 200 for code in steps})
        screening.flags_hand_over_pending()
    after_pass, after_rebuild = pass_then_rebuild(TODAY + timedelta(hours=1))
    assert after_pass == after_rebuild
    assert after_pass != before
    with frozen_at(TODAY + timedelta(hours=1), tick=False):
        assert differences(tree_units(), [date(2031, 9, 1), date(2031, 10, 1), date(2031, 11, 1)]) == []
    # The changes reached the figures they are about.
    november, october = date(2031, 11, 1), date(2031, 10, 1)

    def value(figures, unit_id, month, measure):
        return figures.get((unit_id, month, measure), (0, False))[0]

    assert value(after_pass, head_class.pk, november, "warnings.new") == \
        value(before, head_class.pk, november, "warnings.new") + 1
    assert new_warning.level.code in {m.split(".")[-1] for (u, mo, m) in after_pass
                                      if u == head_class.pk and mo == november and m.startswith("warnings.new.")}
    assert value(after_pass, head_class.pk, october, "visits.home") == \
        value(before, head_class.pk, october, "visits.home") + 1
    assert value(after_pass, target.school_id, november, "screening.results") > \
        value(before, target.school_id, november, "screening.results")


def test_time_alone_moves_the_overdue_stocks_and_the_pass_follows(demo_city):
    # Five days on, nothing recorded: acknowledgements fell due and follow-ups passed their day.
    later = TODAY + timedelta(days=5)
    after_pass, after_rebuild = pass_then_rebuild(later)
    assert after_pass == after_rebuild
    city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
    assert after_pass.get((city.pk, date(2031, 11, 1), "warnings.overdue"), (0, False))[0] > 0


def test_at_the_turn_of_the_month_every_school_moves_on(demo_city):
    after_pass, after_rebuild = pass_then_rebuild(local(2031, 12, 1, 0, 2))
    assert after_pass == after_rebuild
    city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
    assert after_pass[(city.pk, date(2031, 12, 1), "students")][0] > 0
    # November is now taken at its end: no "overdue" (a figure of the running month only) is left in it.
    assert not UnitFigure.objects.filter(month=date(2031, 11, 1), measure="warnings.overdue").exists()


def test_a_pass_with_nothing_changed_writes_nothing_and_moves_the_as_of_time(demo_city):
    from runxin.analytics import selectors

    with frozen_at(TODAY + timedelta(minutes=1), tick=False):
        refresh.refresh()
    before = stored()
    moment = TODAY + timedelta(minutes=2)
    with frozen_at(moment, tick=False):
        result = refresh.refresh()
    assert result["months"] == [] and stored() == before
    assert selectors.as_of() == moment


def test_the_first_pass_ever_is_a_rebuild(demo_city):
    UnitFigure.objects.all().delete()
    refresh.state().delete()
    with frozen_at(TODAY, tick=False):
        result = refresh.refresh()
    assert result["schools"] == 7 and UnitFigure.objects.exists()


def test_the_overlap_takes_in_a_late_commit_but_not_what_an_earlier_pass_took_in(demo_city):
    psych = user("psych_teacher")
    with frozen_at(TODAY, tick=False):
        refresh.rebuild()
    open_ups = FollowUp.objects.filter(done_at__isnull=True).order_by("id")
    with frozen_at(TODAY + timedelta(minutes=1)):
        alerts.follow_up_done(follow_up=open_ups[0], actor=psych, note="情况稳定。")
    with frozen_at(TODAY + timedelta(minutes=2), tick=False):
        assert refresh.refresh()["schools"] == 1
    with frozen_at(TODAY + timedelta(minutes=3), tick=False):
        assert refresh.refresh() == {"schools": 0, "months": []}  # the same follow-up, seen again: nothing to do
    # A follow-up recorded at 10:02 whose transaction committed only after the 10:02 pass had looked.
    late = open_ups[1]
    with frozen_at(TODAY + timedelta(minutes=2)):
        alerts.follow_up_done(follow_up=late, actor=psych, note="已回访。")
    after_pass, after_rebuild = pass_then_rebuild(TODAY + timedelta(minutes=4))
    assert after_pass == after_rebuild
    school = late.student.school_id
    assert refresh.changed_schools(since=TODAY, previous=TODAY, now=TODAY + timedelta(minutes=4))[school]
