"""Issue 9 item 4: special groups and key students are profile-level details (STUDENT_PROFILE). The list's
filters and its group column obey the same detail level as the student page."""

import pytest
from django.urls import reverse

from runxin.people.models import GroupMembership, SpecialGroup

pytestmark = pytest.mark.django_db

LIST = reverse("people:student_list")


@pytest.fixture
def marked(world):
    GroupMembership.objects.create(student=world.w1, group=SpecialGroup.objects.get(code="bullied"))
    world.w1.is_key_student = True
    world.w1.save()
    return world


@pytest.mark.parametrize("params", [{"group": "bullied"}, {"flag": "key"}, {"boarding": "boarding"}])
def test_hotline_operator_is_refused_profile_level_filters(marked, client_for, params):
    response = client_for(marked.hotline).get(LIST, params)
    assert response.status_code == 400
    assert "赵四" not in response.content.decode()


def test_hotline_list_offers_no_group_filter_and_shows_no_group_column_or_key_tag(marked, client_for):
    from django.utils import translation

    with translation.override("en"):
        response = client_for(marked.hotline).get(LIST, {"q": marked.w1.student_number},
                                                  HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "赵四" in body  # the roster still finds the student
    assert 'name="group"' not in body and 'name="flag"' not in body
    assert "Groups" not in body and "key</span>" not in body
    assert SpecialGroup.objects.get(code="bullied").name_en not in body


def test_psychology_teacher_of_the_school_filters_by_group(marked, client_for):
    GroupMembership.objects.create(student=marked.a1, group=SpecialGroup.objects.get(code="bullied"))
    body = client_for(marked.psych).get(LIST, {"group": "bullied"}).content.decode()
    assert "张一" in body and "李二" not in body and "赵四" not in body
    assert SpecialGroup.objects.get(code="bullied").name_zh in body


def test_profile_filter_only_finds_students_whose_profile_the_user_sees(marked, client_for):
    from runxin.testing import factories as f

    f.assign(marked.psych, "hotline_operator", marked.city)  # roster for the whole city, profile in one school
    body = client_for(marked.psych).get(LIST, {"flag": "key"}).content.decode()
    assert "赵四" not in body
    assert "赵四" in client_for(marked.psych).get(LIST, {"q": "赵"}).content.decode()
