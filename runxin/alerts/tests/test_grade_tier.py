"""The grade tier (年级, issue 11): off by default; where a level's policy names it, the grade leader is told and
may acknowledge, and the timer escalates class → grade → school."""

import pytest
from django.core.exceptions import PermissionDenied

from runxin.alerts import escalation, responsibility, services, states
from runxin.alerts.forms import LevelForm
from runxin.alerts.models import Tier, Warning, WarningEvent
from runxin.notify.models import Notification
from runxin.org.models import OrgUnit
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def grade_leader(world):
    user = f.UserFactory(username="grade7_leader", display_name="年级组长甲")
    f.assign(user, "grade_leader", OrgUnit.objects.get(pk=world.a1.grade_id))
    return user


@pytest.fixture
def through_grade(levels):
    """The city turns the grade on for yellow: told at the grade, acknowledged by the grade leader too."""
    yellow = levels["yellow"]
    yellow.notify_tiers = [states.CLASS, states.GRADE, states.SCHOOL]
    yellow.ack_roles = [*yellow.ack_roles, "grade_leader"]
    yellow.save()
    return yellow


def yellow_from_screening(world, student=None):
    student = student or world.a1
    return services.warning_raise_from_screening(student=student, result_id=f"y-{student.pk}",
                                                 suggested_level="moderate", reasons=[], instrument_code="phq-a")


def test_without_the_grade_in_the_policy_nothing_changes(world, frozen, levels, grade_leader):
    assert not any(level.routes_through_grade for level in levels.values())  # off by default
    warning = yellow_from_screening(world)
    assert not Notification.objects.filter(recipient=grade_leader).exists()
    with pytest.raises(services.WarningError):
        services.warning_acknowledge(warning=warning, actor=grade_leader)
    frozen.advance(minutes=levels["yellow"].ack_minutes)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert warning.tier == states.SCHOOL  # class → school, as before
    event = WarningEvent.objects.get(kind="escalated")
    assert (event.from_tier, event.to_tier) == (states.CLASS, states.SCHOOL)
    assert not Notification.objects.filter(recipient=grade_leader).exists()


def test_the_grade_leader_is_told_and_acknowledges_when_the_level_routes_through_the_grade(
        world, frozen, through_grade, grade_leader):
    warning = yellow_from_screening(world)
    assert Notification.objects.filter(recipient=grade_leader, kind="warning.raised").exists()
    step = responsibility.next_step(warning)
    assert "年级组长甲" in [person.name for person in step.people]
    warning = services.warning_acknowledge(warning=warning, actor=grade_leader)
    assert (warning.state, warning.ack_pending) == (states.ACKNOWLEDGED, False)
    # Acknowledging is all: the professional steps stay with the school team.
    with pytest.raises(PermissionDenied):
        services.warning_assess(warning=warning, actor=grade_leader, confirm=True)


def test_the_grade_leader_of_another_grade_cannot_act(world, frozen, through_grade):
    other = f.UserFactory(username="grade8_leader")
    school_class = f.school_class(world.school, 8, 1, world.year)
    f.assign(other, "grade_leader", OrgUnit.objects.get(pk=school_class.parent_id))
    warning = yellow_from_screening(world)
    with pytest.raises(PermissionDenied):
        services.warning_acknowledge(warning=warning, actor=other)
    assert not Notification.objects.filter(recipient=other).exists()
    assert Warning.objects.get().state == states.RAISED


def test_the_timer_goes_class_then_grade_then_school(world, frozen, through_grade, grade_leader):
    warning = yellow_from_screening(world)
    assert warning.tier == states.CLASS
    frozen.advance(minutes=through_grade.ack_minutes)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert (warning.tier, warning.ack_pending) == (states.GRADE, True)
    assert Notification.objects.filter(recipient=grade_leader, kind="warning.escalated").exists()
    assert "escalates to the School" in responsibility.next_step(warning).at_deadline
    frozen.advance(minutes=through_grade.ack_minutes)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert warning.tier == states.SCHOOL
    moves = list(WarningEvent.objects.filter(kind="escalated").order_by("pk").values_list("from_tier", "to_tier"))
    assert moves == [(states.CLASS, states.GRADE), (states.GRADE, states.SCHOOL)]


def test_a_warning_escalated_to_the_grade_is_the_grade_leaders_to_acknowledge(world, frozen, levels, grade_leader):
    yellow = levels["yellow"]
    yellow.notify_tiers = [states.CLASS, states.GRADE]  # told at the grade, not named to acknowledge
    yellow.save()
    warning = yellow_from_screening(world)
    with pytest.raises(services.WarningError):
        services.warning_acknowledge(warning=warning, actor=grade_leader)
    frozen.advance(minutes=yellow.ack_minutes)
    escalation.escalation_sweep()
    warning.refresh_from_db()
    assert warning.tier == states.GRADE
    assert services.warning_acknowledge(warning=warning, actor=grade_leader).state == states.ACKNOWLEDGED


def test_a_head_teachers_report_goes_up_to_the_grade_where_the_level_routes_through_it(
        world, frozen, through_grade, grade_leader):
    from runxin.alerts import intake

    warning = intake.warning_report(actor=world.head, student=world.a1, source=Warning.Source.OBSERVATION,
                                    level=through_grade, summary="近两周上课常走神，情绪低落", reporter_name="")
    assert warning.tier == states.GRADE
    with pytest.raises(services.WarningError):
        services.warning_acknowledge(warning=warning, actor=world.head)  # her own report
    assert services.warning_acknowledge(warning=warning, actor=grade_leader).state == states.ACKNOWLEDGED


def _level_data(level, **changes):
    data = {
        "code": level.code, "name_zh": level.name_zh, "name_en": level.name_en, "colour": level.colour,
        "severity": level.severity, "description": "", "is_active": "on", "ack_tier": level.ack_tier,
        "ack_roles": level.ack_roles, "ack_minutes": level.ack_minutes, "assess_minutes": level.assess_minutes,
        "progress_minutes": level.progress_minutes, "clear_tier": level.clear_tier, "min_monitoring_days": 0,
        "notify_tiers": level.notify_tiers, "channels": ["inbox"], "follow_up_days": "30", "screening_codes": [],
    }
    return data | changes


def test_the_level_editor_offers_the_grade_and_checks_it(levels):
    yellow = levels["yellow"]
    form = LevelForm(_level_data(yellow))
    assert (str(Tier.GRADE), Tier.GRADE.label) in [(str(v), label) for v, label in form.fields["ack_tier"].choices]
    assert "grade_leader" in dict(form.fields["ack_roles"].choices)
    refused = LevelForm(_level_data(yellow, ack_roles=["head_teacher", "grade_leader"]), instance=yellow)
    assert not refused.is_valid()
    assert "route through the grade" in refused.errors["ack_roles"][0]
    refused = LevelForm(_level_data(yellow, clear_tier=states.GRADE), instance=yellow)
    assert not refused.is_valid() and "clear_tier" in refused.errors
    accepted = LevelForm(_level_data(yellow, ack_tier=states.GRADE, ack_roles=["grade_leader", "psych_teacher"]),
                         instance=yellow)
    assert accepted.is_valid(), accepted.errors
    assert accepted.save().routes_through_grade
