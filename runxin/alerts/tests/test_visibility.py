"""Who sees which warning: the scoping layer plus the escalation rule."""

import pytest

from runxin.alerts import escalation, intake, selectors, services
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


def visible(user):
    return set(selectors.warnings_visible(user).values_list("student__name", flat=True))


@pytest.fixture
def three(world, frozen, levels):
    """A yellow in class 1 (a1), an orange in class 2 (b1), a red at the other school (w1)."""
    services.warning_raise_from_screening(student=world.a1, result_id="1", suggested_level="moderate", reasons=[],
                                          instrument_code="phq-a")
    services.warning_raise_from_screening(student=world.b1, result_id="2", suggested_level="high", reasons=[],
                                          instrument_code="phq-a")
    services.warning_raise_from_screening(student=world.w1, result_id="3", suggested_level="critical", reasons=[],
                                          instrument_code="phq-a")
    return world


def test_head_teacher_sees_only_the_own_class(three):
    assert visible(three.head) == {"张一"}


def test_school_staff_see_their_school(three):
    assert visible(three.psych) == {"张一", "王三"}
    assert visible(three.leader) == {"张一", "王三"}
    assert visible(three.other_psych) == {"赵四"}


def test_mentor_sees_paired_students_only(three):
    assert visible(three.mentor) == {"王三"}


@pytest.mark.parametrize("who", ["committee", "student_user", "parent", "outsider", "city_admin", "supervisor",
                                 "sysadmin", "secadmin", "auditor"])
def test_reporters_without_risk_access_and_admins_see_none(three, who):
    assert visible(getattr(three, who)) == set()


def test_a_peer_reporter_sees_nothing_even_of_their_own_report(three):
    intake.peer_report(actor=three.committee, classmate_name="张一", summary="She skips lunch and cries.")
    assert visible(three.committee) == set()


def test_centres_see_red_at_once_and_the_rest_after_escalation(three, frozen):
    west_centre = f.UserFactory(username="west_centre")
    f.assign(west_centre, "centre_staff", three.west)
    assert visible(three.district_centre) == set()  # east: a yellow and an orange, neither escalated
    assert visible(west_centre) == {"赵四"}  # red: visible to the district from the moment it is raised
    assert visible(three.city_centre) == {"赵四"}
    frozen.advance(days=1)  # yellow's class → school; orange's school → district
    escalation.escalation_sweep()
    assert visible(three.district_centre) == {"王三"}
    assert visible(three.city_centre) == {"赵四"}
    frozen.advance(days=2)
    escalation.escalation_sweep()  # the orange reaches the city; the yellow reaches the district
    assert visible(three.district_centre) == {"王三", "张一"}
    assert visible(three.city_centre) == {"赵四", "王三"}


def test_hotline_sees_only_what_it_reported(three):
    intake.warning_report(actor=three.hotline, student=three.b1, source="hotline", summary="Called at night.")
    assert visible(three.hotline) == {"王三"}


def test_a_warning_follows_the_student_to_a_new_school(three):
    import datetime as dt

    from runxin.people.services import student_place

    student_place(student=three.a1, school_class=three.other_class, on=dt.date(2026, 11, 1), reason="transferred_in")
    assert "张一" in visible(three.other_psych) and "张一" not in visible(three.psych)


def test_warning_or_404_hides_existence(three):
    from django.http import Http404

    from runxin.alerts.models import Warning

    other = Warning.objects.get(student=three.w1)
    with pytest.raises(Http404):
        selectors.warning_or_404(three.head, other.pk)
    with pytest.raises(Http404):
        selectors.warning_or_404(three.psych, 10**9)
