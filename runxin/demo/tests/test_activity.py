"""The lived-in demo: a small city with a semester's screening and warnings, all made by the real services."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from runxin.accounts.models import User
from runxin.alerts import states
from runxin.alerts.models import FollowUp, Warning, WarningEvent
from runxin.notify.models import Notification
from runxin.screening.models import Campaign, CampaignTarget, Result, ScreeningFlag, Submission
from runxin.testing import seeds
from runxin.testing.clock import frozen_at, local

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo_activity")]

N = 900
# The activity spreads a semester between 1 September and today. Freeze "today" well into an autumn term
# (not the real one), and keep it frozen while the test reads, so "overdue" and "in the past" mean that day.
TODAY = local(2031, 11, 20)


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker, tmp_path_factory):
    """One city for the module (rolled back at its end; each test's changes by its own `db` transaction), read
    with the clock still frozen."""
    out = StringIO()
    with (seeds.module_database(django_db_blocker), override_settings(VAR_DIR=tmp_path_factory.mktemp("var")),
          frozen_at(TODAY)):
        # The past has its own tests (test_history.py), which also prove it leaves this semester as it is.
        call_command("demo_city", students=N, seed=7, no_history=True, stdout=out)
        yield out.getvalue()


def test_the_demo_school_screened_in_september_and_closed_the_campaign(city):
    psych = User.objects.get(username="psych_teacher")
    school_id = psych.role_assignments.get().org_unit_id
    universal = Campaign.objects.get(owner_id=school_id, kind=Campaign.Kind.UNIVERSAL)
    assert universal.status == Campaign.Status.CLOSED
    assert (universal.window_start.year, universal.window_start.month) == (2031, 9)
    assert universal.window_end < TODAY.date()
    targets = CampaignTarget.objects.filter(campaign=universal).count()
    answered = Submission.objects.filter(target__campaign=universal).count()
    assert targets > 50
    assert 0.8 * targets <= answered <= 0.97 * targets  # about nine in ten answered; a few guardians declined
    results = Result.objects.filter(campaign=universal)
    assert set(results.values_list("instrument_code", flat=True)) == {"phqa", "gad7"}
    phqa = results.filter(instrument_code="phqa")
    minimal_or_mild = phqa.filter(band_code__in=["minimal", "mild"]).count()
    assert minimal_or_mild / phqa.count() > 0.8
    assert results.filter(critical=True).exists()
    # Every flag was handed to the warnings app, where it raised (or joined) a warning.
    flags = ScreeningFlag.objects.filter(result__campaign=universal)
    assert flags.exists() and not flags.filter(handed_over_at__isnull=True).exists()
    assert "questionnaires handed in" in city


def test_warnings_are_spread_over_the_workflow_with_a_history(city):
    by_state = {state: Warning.objects.filter(state=state).count() for state in states.ALL}
    for state in (states.RAISED, states.ACKNOWLEDGED, states.ASSESSED, states.INTERVENTION, states.MONITORING,
                  states.CLEAR_REQUESTED, states.CLEARED, states.DISMISSED):
        assert by_state[state] >= 1, (state, by_state)
    sources = set(Warning.objects.values_list("reports__source", flat=True))
    assert {"screening", "observation", "peer", "hotline", "police", "self"} <= sources or \
        {"screening", "observation", "peer", "hotline", "police"} <= sources
    assert WarningEvent.objects.filter(kind=WarningEvent.Kind.LEVEL_CHANGED).exists()
    dismissed = WarningEvent.objects.filter(kind=WarningEvent.Kind.DISMISSED).first()
    assert dismissed.reason
    escalated = Warning.objects.filter(escalation_count__gte=1, tier__gte=states.DISTRICT)
    assert escalated.exists()
    assert WarningEvent.objects.filter(warning__in=escalated, kind="escalated").count() >= 2  # class→school→district
    assert FollowUp.objects.filter(warning__state=states.CLEARED, done_at__isnull=False).exists()
    # Mid-semester, not neglect: nothing waits past its level's time except what the sweep already moved up.
    overdue = Warning.objects.filter(state__in=states.OPEN, due_at__lte=timezone.now())
    assert not overdue.exists(), list(overdue.values("id", "state", "level__code", "tier", "due_at"))
    # Histories run in time order and lie in the past.
    warning = Warning.objects.filter(state=states.MONITORING).first()
    times = list(warning.events.order_by("id").values_list("at", flat=True))
    assert times == sorted(times)
    assert times[-1] <= timezone.now()


def test_demo_staff_have_notifications_and_the_campaigns_are_live(city):
    for username in ("psych_teacher", "school_leader", "district_centre"):
        assert Notification.objects.filter(recipient__username=username, channel="inbox").exists(), username
    monitoring = Campaign.objects.get(kind=Campaign.Kind.MONITORING, series__isnull=True)
    assert monitoring.status == Campaign.Status.OPEN
    round_ = monitoring.rounds.get()
    finished = CampaignTarget.objects.filter(campaign=round_, finished_at__isnull=False).count()
    assert 0 < finished < CampaignTarget.objects.filter(campaign=round_).count()
    live = Campaign.objects.filter(kind=Campaign.Kind.UNIVERSAL, status=Campaign.Status.OPEN).get()
    targets = CampaignTarget.objects.filter(campaign=live)
    assert 0 < targets.filter(finished_at__isnull=False).count() < targets.count()


def test_if_empty_runs_nothing_again_and_no_activity_skips_it(city):
    counts = (Submission.objects.count(), Warning.objects.count(), Notification.objects.count())
    out = StringIO()
    call_command("demo_city", students=N, seed=7, if_empty=True, stdout=out)
    assert "already holds a city" in out.getvalue()
    assert (Submission.objects.count(), Warning.objects.count(), Notification.objects.count()) == counts


def test_each_warnings_history_reads_in_the_order_it_happened(city):
    # The demo once joined a student's help request two minutes before an escalation it played later: the
    # escalation's message then named the old level and its time, and the history read out of order.
    out_of_order = []
    for warning_id in Warning.objects.values_list("id", flat=True):
        moments = list(WarningEvent.objects.filter(warning_id=warning_id).order_by("id").values_list("at", flat=True))
        if moments != sorted(moments):
            out_of_order.append(warning_id)
    assert out_of_order == []


def test_the_mental_health_centre_has_a_referral_waiting_for_its_answer(city):
    # Its clinician's page was empty: every demo referral went to the hospital.
    from runxin.people.models import RoleAssignment
    from runxin.referrals.models import Referral

    centre = RoleAssignment.objects.get(user__username="mhc", role="hospital", is_active=True).org_unit
    waiting = Referral.objects.filter(to_unit=centre, status=Referral.Status.SENT)
    assert waiting.count() == 1 and waiting.get().warning_id is not None
