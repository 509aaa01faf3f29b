"""The go-live checklist: what is counted, who sees it, who signs the judgements, and that a signature goes out
of date when the thing signed changes."""

import pytest
from django.urls import reverse

from runxin.alerts.models import WarningLevel
from runxin.front.models import ReadinessReview
from runxin.people.models import RoleAssignment

pytestmark = pytest.mark.django_db


def lines_of(response) -> dict:
    return {line.code: line for line in response.context["lines"]}


def test_the_district_checklist_names_what_is_missing(world, client_for):
    assert not RoleAssignment.objects.filter(org_unit=world.class2, role="head_teacher").exists()
    response = client_for(world.district_centre).get(reverse("front:readiness_unit", args=[world.east.pk]))
    assert response.status_code == 200
    lines = lines_of(response)
    # 七年级(2)班 has no head teacher; 七年级(1)班 has one (the world's head teacher).
    assert not lines["head_teachers"].ok
    (name, url), = lines["head_teachers"].names
    assert world.class2.name in name and url == reverse("org:unit", args=[world.class2.pk])
    assert lines["head_teachers"].count == 1
    assert lines["rosters"].ok  # the school has enrolled students
    assert lines["psych_teachers"].ok
    content = response.content.decode()
    # The centre does not manage accounts: the line names who does instead of linking a page it cannot open.
    assert world.class2.name in content and reverse("accounts:staff_list") not in content
    assert lines["head_teachers"].fix_by and 'class="muted small fix-by"' in content


def test_a_school_without_students_or_psychology_teacher_is_listed(world, client_for):
    from runxin.testing import factories as f

    empty = f.school(world.east, "东区新建学校", "S-E9")
    response = client_for(world.district_centre).get(reverse("front:readiness_unit", args=[world.east.pk]))
    lines = lines_of(response)
    assert not lines["rosters"].ok and [n for n, _u in lines["rosters"].names] == ["东区新建学校"]
    assert not lines["psych_teachers"].ok and "东区新建学校" in [n for n, _u in lines["psych_teachers"].names]
    assert lines["rosters"].names[0][1] == reverse("org:unit", args=[empty.pk])


def test_staff_without_a_second_factor_are_named_for_the_security_admin(world, client_for, settings):
    settings.SECOND_FACTOR_WAIVED = False
    response = client_for(world.city_admin).get(reverse("front:readiness_unit", args=[world.city.pk]))
    line = lines_of(response)["second_factor"]
    assert not line.ok and line.count >= 3  # the world's psychology teacher, head teacher, centre staff …
    names = " ".join(text for text, _url in line.names)
    assert "psych" in names and "head" in names


def test_the_city_admin_signs_the_levels_and_a_later_change_reopens_the_line(world, client_for):
    client = client_for(world.city_admin)
    url = reverse("front:readiness_unit", args=[world.city.pk])
    assert not lines_of(client.get(url))["review:levels"].ok
    response = client.post(reverse("front:readiness_review", args=[world.city.pk]), {"item": "levels", "note": "市局会议通过"})
    assert response.status_code == 302
    review = ReadinessReview.objects.get()
    assert review.reviewed_by == world.city_admin and review.note == "市局会议通过"
    line = lines_of(client.get(url))["review:levels"]
    assert line.ok and line.review == review
    # An edit to a level through the audited model path makes the signature out of date.
    level = WarningLevel.objects.get(code="red")
    level.name_en = "Red (revised)"
    level.save()
    line = lines_of(client.get(url))["review:levels"]
    assert not line.ok and line.stale


def test_who_may_open_and_sign(world, client_for):
    city = reverse("front:readiness_unit", args=[world.city.pk])
    sign = reverse("front:readiness_review", args=[world.city.pk])
    assert client_for(world.head).get(city).status_code == 403  # no checklist for a head teacher
    assert client_for(world.psych).get(reverse("front:readiness")).status_code == 403
    # A district's centre staff opens its district, not the city nor another district.
    centre = client_for(world.district_centre)
    assert centre.get(reverse("front:readiness_unit", args=[world.east.pk])).status_code == 200
    assert centre.get(city).status_code == 404
    assert centre.get(reverse("front:readiness_unit", args=[world.west.pk])).status_code == 404
    # A school leader sees the school's checklist; only the city administrator signs.
    assert client_for(world.leader).get(reverse("front:readiness_unit", args=[world.school.pk])).status_code == 200
    assert client_for(world.leader).post(reverse("front:readiness_review", args=[world.school.pk]),
                                         {"item": "levels"}).status_code == 403
    assert client_for(world.secadmin).post(sign, {"item": "levels"}).status_code == 403
    assert client_for(world.city_admin).post(sign, {"item": "nonsense"}).status_code == 400
    assert not ReadinessReview.objects.exists()


def test_the_city_list_shows_each_district(world, client_for):
    response = client_for(world.city_admin).get(reverse("front:readiness"))
    assert response.status_code == 200
    units = [row["unit"] for row in response.context["rows"]]
    assert units[0] == world.city and {world.east, world.west} <= set(units)


def test_every_link_of_the_checklist_opens_for_its_reader_and_the_rest_say_who_does_it(world, client_for):
    # The system administrator's checklist linked seven pages that answered 403 ("ask for a role").
    import re

    for user in (world.sysadmin, world.city_admin, world.secadmin):
        client = client_for(user)
        response = client.get(reverse("front:readiness_unit", args=[world.city.pk]))
        body = response.content.decode()
        links = set(re.findall(r'<a class="btn secondary" href="([^"]+)"', body))
        refused = {href: code for href in links if (code := client.get(href).status_code) in (403, 404)}
        assert refused == {}, user.username
    lines = lines_of(client_for(world.sysadmin).get(reverse("front:readiness_unit", args=[world.city.pk])))
    levels = lines["review:levels"]
    from runxin.access import roles

    assert levels.fix_url == "" and levels.fix_by == roles.role_label("city_admin")
    # The consent judgement looks at the campaign list, which many roles open; the city admin signs it.
    assert lines["review:consent"].fix_by == roles.role_label("city_admin")
