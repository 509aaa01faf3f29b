"""Issue 9 item 3: the 学籍号 is 'G' + the ID number, so it is shown in full only with STUDENT_SENSITIVE for the
student, masked (first five, last four) otherwise, and found by its full value by anyone who may find students."""

import pytest
from django.urls import reverse

from runxin.alerts import services
from runxin.people.masking import mask_student_number

pytestmark = pytest.mark.django_db

LIST = reverse("people:student_list")


@pytest.fixture
def warning(world):
    return services.warning_raise_from_screening(student=world.a1, result_id="mask-1", suggested_level="high",
                                                 reasons=[], instrument_code="phq-a")


def _pages(world, warning):
    return {
        "class list": (LIST, {"class": world.class1.pk}),
        "student page": (reverse("people:student_detail", args=[world.a1.pk]), {}),
        "warning page": (reverse("alerts:detail", args=[warning.pk]), {}),
    }


def _table(body: str) -> str:
    """The results table alone (the search box and the language switcher echo what the user typed)."""
    return body[body.index("<table"):body.index("</table>")]


def test_mask_keeps_the_first_five_and_the_last_four():
    assert mask_student_number("G320501201305030013") == "G3205**********0013"
    assert mask_student_number("") == ""
    assert "*" in mask_student_number("G12345")


@pytest.mark.parametrize("page", ["class list", "student page", "warning page"])
def test_head_teacher_sees_the_number_masked(world, client_for, warning, page):
    url, params = _pages(world, warning)[page]
    response = client_for(world.head).get(url, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert "张一" in body
    assert world.a1.student_number not in body
    assert mask_student_number(world.a1.student_number) in body
    assert world.a1.student_number[5:15] not in body  # the birth date and sequence inside it


@pytest.mark.parametrize("page", ["class list", "student page", "warning page"])
def test_psychology_teacher_sees_the_number_in_full(world, client_for, warning, page):
    url, params = _pages(world, warning)[page]
    body = client_for(world.psych).get(url, params).content.decode()
    assert world.a1.student_number in body


@pytest.mark.parametrize("who", ["head", "psych", "hotline"])
def test_an_exact_full_number_finds_the_student_for_every_role_that_finds_students(world, client_for, who):
    body = _table(client_for(getattr(world, who)).get(LIST, {"q": world.a1.student_number}).content.decode())
    assert "张一" in body and "李二" not in body
    if who == "psych":
        assert world.a1.student_number in body
    else:
        assert world.a1.student_number not in body and mask_student_number(world.a1.student_number) in body


def test_a_prefix_finds_nothing_for_a_role_that_may_not_see_numbers_in_full(world, client_for):
    """Otherwise a prefix search spells the ID number out one digit at a time."""
    prefix = world.a1.student_number[:-1]
    assert "张一" not in client_for(world.head).get(LIST, {"q": prefix}).content.decode()
    assert "张一" not in client_for(world.hotline).get(LIST, {"q": prefix}).content.decode()
    assert "张一" in client_for(world.psych).get(LIST, {"q": prefix}).content.decode()


def test_hotline_finds_a_student_anywhere_in_the_city_by_full_number_but_sees_it_masked(world, client_for):
    body = _table(client_for(world.hotline).get(LIST, {"q": world.w1.student_number}).content.decode())
    assert "赵四" in body and world.w1.student_number not in body


def test_a_role_reaching_two_classes_sees_full_numbers_only_where_it_holds_the_sensitive_level(world, client_for):
    from runxin.testing import factories as f

    f.assign(world.head, "psych_teacher", world.other_school)  # sensitive there, not in class1
    body = client_for(world.head).get(LIST).content.decode()
    assert world.w1.student_number in body
    assert world.a1.student_number not in body and mask_student_number(world.a1.student_number) in body


def test_warning_queue_does_not_print_full_numbers_to_a_head_teacher(world, client_for, warning):
    body = client_for(world.head).get(reverse("alerts:queue")).content.decode()
    assert "张一" in body and world.a1.student_number not in body
