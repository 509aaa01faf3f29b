"""The city administrator's pages for the region tree: create, edit, move, close, service groups; and who
may not use them."""

import pytest
from django.test import Client
from django.urls import reverse

from runxin.org.models import OrgUnit, ServiceGroup, ServiceGroupSchool

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.SECOND_FACTOR_WAIVED = True


def test_city_admin_creates_a_school_and_sees_field_errors(world):
    admin = client_for(world.city_admin)
    url = reverse("org:unit_add", args=[world.east.pk]) + "?kind=school"
    page = admin.get(url)
    assert page.status_code == 200 and "School identifier" in page.content.decode()
    bad = admin.post(url, {"kind": "school", "name": "东区新校", "code": "12345", "school_type": "primary"})
    assert bad.status_code == 200
    assert "exactly 10 digits, not “12345”" in bad.content.decode()
    assert not OrgUnit.objects.filter(name="东区新校").exists()
    good = admin.post(url, {"kind": "school", "name": "东区新校", "code": "3204000101", "school_type": "primary",
                            "boarding": "day", "address": "新路 1 号", "enrolment": "900"})
    school = OrgUnit.objects.get(name="东区新校")
    assert good.status_code == 302 and good["Location"] == reverse("org:unit", args=[school.pk])
    assert (school.district_id, school.enrolment) == (world.east.pk, 900)
    assert "新路 1 号" in admin.get(reverse("org:unit", args=[school.pk])).content.decode()


def test_city_admin_adds_a_society_unit_under_the_city(world):
    admin = client_for(world.city_admin)
    url = reverse("org:unit_add", args=[world.city.pk])
    answer = admin.post(url, {"kind": "society", "name": "市妇联", "partner_type": "womens_federation"})
    assert answer.status_code == 302
    assert OrgUnit.objects.get(name="市妇联").partner_type == "womens_federation"


def test_edit_move_and_close(world):
    admin = client_for(world.city_admin)
    edit = reverse("org:unit_edit", args=[world.school.pk])
    assert admin.get(edit).status_code == 200
    answer = admin.post(edit, {"name": "东区第一中学", "code": "3204000009", "school_type": "junior",
                               "address": "东区 1 号"})
    assert answer.status_code == 302 and OrgUnit.objects.get(pk=world.school.pk).address == "东区 1 号"
    move = reverse("org:unit_move", args=[world.school.pk])
    assert "西区" in admin.get(move).content.decode()
    assert admin.post(move, {"parent": world.west.pk}).status_code == 302
    assert OrgUnit.objects.get(pk=world.school.pk).district_id == world.west.pk
    close = admin.post(reverse("org:unit_deactivate", args=[world.school.pk]), follow=True)
    assert "enrolled students are still placed in it" in close.content.decode()
    assert OrgUnit.objects.get(pk=world.school.pk).is_active


def test_tree_search_finds_units_in_reach(world):
    found = client_for(world.city_admin).get(reverse("org:tree"), {"q": "西区实验"}).content.decode()
    assert reverse("org:unit", args=[world.other_school.pk]) in found
    narrow = client_for(world.psych).get(reverse("org:tree"), {"q": "西区实验"}).content.decode()
    assert reverse("org:unit", args=[world.other_school.pk]) not in narrow


def test_service_group_pages(world):
    admin = client_for(world.city_admin)
    answer = admin.post(reverse("org:service_groups", args=[world.east.pk]), {"name": "东区一片", "code": "P1"})
    group = ServiceGroup.objects.get(name="东区一片")
    assert answer.status_code == 302
    page = admin.get(reverse("org:service_group", args=[group.pk])).content.decode()
    assert "东区第一中学" in page and "east_centre" in page
    answer = admin.post(reverse("org:service_group", args=[group.pk]), {
        "name": "东区一片", "code": "P1", "is_active": "on", "schools": [world.school.pk],
        "staff": [world.district_centre.pk]})
    assert answer.status_code == 302
    assert ServiceGroupSchool.objects.get(school=world.school).group == group
    assert list(group.staff_links.values_list("user_id", flat=True)) == [world.district_centre.pk]


def test_units_upload_page_checks_then_imports(world):
    import io

    admin = client_for(world.city_admin)
    url = reverse("imports:units_upload")
    assert admin.get(url).status_code == 200
    content = "类型,上级代码,名称,代码,学校类型\n学校,D-E,东区新校,3204000101,小学\n学校,D-E,坏校,1,小学\n"

    def upload(dry_run: bool):
        data = {"file": io.BytesIO(content.encode()), **({"dry_run": "on"} if dry_run else {})}
        data["file"].name = "units.csv"
        return admin.post(url, data).content.decode()

    checked = upload(True)
    assert "nothing was written" in checked and "exactly 10 digits" in checked
    assert not OrgUnit.objects.filter(name="东区新校").exists()
    upload(False)
    assert OrgUnit.objects.filter(name="东区新校").exists()
    template = admin.get(reverse("imports:units_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")


@pytest.mark.parametrize("name, args", [
    ("org:unit_add", "school"), ("org:unit_edit", "school"), ("org:unit_move", "school"),
    ("org:service_groups", "east"), ("imports:units_upload", None), ("imports:units_template", None),
])
def test_a_school_leader_and_a_centre_cannot_administer_the_tree(world, name, args):
    url = reverse(name, args=[getattr(world, args).pk] if args else [])
    for user in (world.leader, world.district_centre, world.outsider):
        assert client_for(user).get(url).status_code in (403, 404)
        assert client_for(user).post(url, {"name": "x"}).status_code in (403, 404)
    assert client_for(world.leader).post(reverse("org:unit_deactivate", args=[world.class2.pk])).status_code == 403
    assert OrgUnit.objects.filter(pk=world.class2.pk, is_active=True).exists()
