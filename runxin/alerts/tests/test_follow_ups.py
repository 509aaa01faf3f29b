"""Follow-ups (回访) beyond clearing (issue 12, item 5): scheduled on an open warning with a due day and a responsible
person, the responsible person's queue (overdue first), the follow-ups page and recording one without a warning,
escalation of long-overdue ones (once per step), and the schools' figures."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from runxin.alerts import escalation, selectors, services
from runxin.alerts.models import FollowUp
from runxin.notify.models import Notification
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def red(world, frozen):
    return services.warning_raise_from_screening(student=world.a1, result_id="r1", suggested_level="critical",
                                                 reasons=[], instrument_code="phq-a")


def _today(frozen) -> dt.date:
    return frozen.current.date()


def test_a_handler_schedules_a_follow_up_on_an_open_warning_and_the_responsible_person_is_told(world, client_for,
                                                                                               red, frozen):
    due = _today(frozen) + dt.timedelta(days=2)
    response = client_for(world.psych).post(reverse("alerts:act", args=[red.pk, "schedule_follow_up"]), {
        "due_on": due.isoformat(), "assigned_to": world.head.pk, "note": "看看睡眠"})
    assert response.status_code == 302
    follow_up = FollowUp.objects.get(warning=red)
    assert (follow_up.origin, follow_up.origin_id, follow_up.assigned_to, follow_up.due_on) == (
        "warning", red.pk, world.head, due)
    told = Notification.objects.get(recipient=world.head, kind="follow_up.assigned")
    assert told.url == reverse("alerts:follow_up", args=[follow_up.pk]) and "张一" not in told.subject
    body = client_for(world.psych).get(reverse("alerts:detail", args=[red.pk])).content.decode()
    assert 'id="schedule-follow-up"' in body and reverse("alerts:follow_up", args=[follow_up.pk]) in body


def test_scheduling_refuses_a_past_day_and_a_stranger_as_responsible(world, client_for, red, frozen, english):
    outsider = f.UserFactory(username="someone")
    client = client_for(world.psych)
    past = client.post(reverse("alerts:act", args=[red.pk, "schedule_follow_up"]), {
        "due_on": (_today(frozen) - dt.timedelta(days=1)).isoformat(), "note": "keep me"})
    assert past.status_code == 400 and "The follow-up is due today or later." in past.content.decode()
    assert "keep me" in past.content.decode()
    stranger = client.post(reverse("alerts:act", args=[red.pk, "schedule_follow_up"]), {
        "due_on": _today(frozen).isoformat(), "assigned_to": outsider.pk})
    assert stranger.status_code == 400 and not FollowUp.objects.exists()


def test_my_queue_lists_follow_ups_assigned_to_me_and_unassigned_ones_of_my_warnings_overdue_first(world, red,
                                                                                                  frozen):
    today = _today(frozen)
    soon = services.warning_schedule_follow_up(warning=red, actor=world.psych, due_on=today + dt.timedelta(days=1),
                                               assigned_to_id=world.head.pk)
    nobody = services.warning_schedule_follow_up(warning=red, actor=world.psych, due_on=today)
    # From a plan, for 李二 (no warning), made the head teacher's responsibility, now four days overdue.
    late = services.follow_up_schedule(student=world.a2, due_on=today - dt.timedelta(days=4), origin="plan",
                                       assigned_to=world.head)
    far = services.follow_up_schedule(student=world.a1, due_on=today + dt.timedelta(days=30), origin="plan",
                                      assigned_to=world.head)
    mine = selectors.my_work(world.head).follow_ups
    assert [fu.pk for fu in mine] == [late.pk, nobody.pk, soon.pk]  # overdue first, then the soonest
    assert far.pk in [fu.pk for fu in selectors.follow_up_list(world.head, "mine")]
    # The psychology teacher handles the warning: the unassigned one is hers too; the head teacher's are not.
    assert [fu.pk for fu in selectors.my_work(world.psych).follow_ups] == [nobody.pk]
    # Another class's head teacher sees none of them, even one assigned to them by mistake.
    head2 = f.UserFactory(username="head2")
    f.assign(head2, "head_teacher", world.class2)
    services.follow_up_schedule(student=world.a1, due_on=today, origin="plan", assigned_to=head2)
    assert selectors.follow_up_list(head2, "reach") == [] and selectors.my_work(head2).follow_ups == []


def test_a_follow_up_without_a_warning_is_recorded_from_its_page(world, client_for, frozen):
    item = services.follow_up_schedule(student=world.a1, due_on=_today(frozen), origin="discharge",
                                       assigned_to=world.mentor)
    body = client_for(world.head).get(reverse("alerts:follow_ups") + "?show=reach").content.decode()
    assert "张一" in body and reverse("alerts:follow_up", args=[item.pk]) in body
    response = client_for(world.head).post(reverse("alerts:follow_up", args=[item.pk]), {"note": "情况稳定"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done_by == world.head and item.note == "情况稳定" and item.warning is None
    again = client_for(world.head).post(reverse("alerts:follow_up", args=[item.pk]), {"note": "again"})
    assert again.status_code == 400


def test_only_the_responsible_person_or_a_handler_records_and_others_get_404(world, client_for, frozen):
    item = services.follow_up_schedule(student=world.b1, due_on=_today(frozen), origin="plan")
    # The mentor is paired with 王三: sees the follow-up, but records it only when made responsible.
    assert client_for(world.mentor).get(reverse("alerts:follow_up", args=[item.pk])).status_code == 200
    assert client_for(world.mentor).post(reverse("alerts:follow_up", args=[item.pk]), {"note": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.follow_up_done(follow_up=item, actor=world.mentor, note="x")
    assert client_for(world.head).get(reverse("alerts:follow_up", args=[item.pk])).status_code == 404  # class 1
    assert client_for(world.other_psych).get(reverse("alerts:follow_up", args=[item.pk])).status_code == 404
    assigned = services.follow_up_schedule(student=world.b1, due_on=_today(frozen), origin="plan",
                                           assigned_to=world.mentor)
    assert client_for(world.mentor).post(reverse("alerts:follow_up", args=[assigned.pk]),
                                         {"note": "聊了"}).status_code == 302


def test_long_overdue_follow_ups_escalate_to_the_school_then_the_district_once_each(world, frozen):
    today = _today(frozen)
    item = services.follow_up_schedule(student=world.a1, due_on=today, origin="plan", assigned_to=world.head)
    done = services.follow_up_schedule(student=world.a1, due_on=today, origin="plan")
    services.follow_up_done(follow_up=done, actor=world.psych, note="ok")

    def told(user, step):
        return Notification.objects.filter(recipient=user, kind=f"follow_up.escalated.{step}").count()

    frozen.advance(days=2)
    assert escalation.follow_up_sweep() == (0, 0)
    frozen.advance(days=1, hours=1)  # three days overdue
    assert escalation.follow_up_sweep() == (1, 0)
    item.refresh_from_db()
    first = item.escalated_at
    assert first is not None
    assert (told(world.psych, "school"), told(world.leader, "school"), told(world.head, "school")) == (1, 1, 1)
    assert told(world.district_centre, "district") == 0
    frozen.advance(hours=5)
    escalation.escalation_sweep()
    assert escalation.follow_up_sweep() == (0, 0)  # never twice for the same step
    frozen.advance(days=4)  # seven days overdue
    assert escalation.follow_up_sweep() == (0, 1)
    assert told(world.district_centre, "district") == 1 and told(world.city_centre, "district") == 0
    frozen.advance(hours=1)
    assert escalation.follow_up_sweep() == (0, 0)
    frozen.advance(days=10)
    assert escalation.follow_up_sweep() == (0, 0)
    assert told(world.psych, "school") == 1 and told(world.district_centre, "district") == 1
    item.refresh_from_db()
    assert item.escalated_at > first
    # The recorded one never escalated.
    done.refresh_from_db()
    assert done.escalated_at is None


def test_a_follow_up_found_a_week_late_tells_school_and_district_at_once(world, frozen):
    services.follow_up_schedule(student=world.a1, due_on=_today(frozen) - dt.timedelta(days=9), origin="plan")
    assert escalation.follow_up_sweep() == (1, 1)
    assert Notification.objects.filter(recipient=world.psych, kind="follow_up.escalated.school").count() == 1
    assert Notification.objects.filter(recipient=world.district_centre,
                                       kind="follow_up.escalated.district").count() == 1
    frozen.advance(hours=1)
    assert escalation.follow_up_sweep() == (0, 0)


def test_figures_per_school_count_due_done_and_overdue(world, frozen, client_for):
    today = _today(frozen)
    services.follow_up_schedule(student=world.a1, due_on=today + dt.timedelta(days=3), origin="plan")
    services.follow_up_schedule(student=world.b1, due_on=today - dt.timedelta(days=2), origin="plan")
    done = services.follow_up_schedule(student=world.a2, due_on=today, origin="plan")
    services.follow_up_done(follow_up=done, actor=world.psych, note="ok")
    services.follow_up_schedule(student=world.w1, due_on=today - dt.timedelta(days=1), origin="plan")
    total, schools = selectors.follow_up_figures(world.east)
    assert (total.due, total.done, total.overdue) == (1, 1, 1)
    assert [(s.name, s.due, s.done, s.overdue) for s in schools] == [("东区第一中学", 1, 1, 1)]
    city_total, city_schools = selectors.follow_up_figures(world.city)
    assert city_total.overdue == 2 and len(city_schools) == 2
    body = client_for(world.leader).get(reverse("alerts:follow_ups")).content.decode()
    assert 'id="follow-up-figures"' in body
