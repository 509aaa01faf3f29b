"""The city administrator's changes to the tree: create with checked fields, move keeping paths and the
students' placement columns right, close a unit only when nobody is left in it, service groups."""

import pytest

from runxin.alerts import services as alert_services
from runxin.org import services
from runxin.org.models import OrgUnit, ServiceGroupSchool
from runxin.people.models import Enrollment, Student
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

SCHOOL = {"name": "东区第三小学", "code": "3204000001", "school_type": OrgUnit.SchoolType.PRIMARY,
          "boarding": OrgUnit.Boarding.DAY, "address": "东区文化路 1 号", "enrolment": 1200}


def test_a_school_is_created_with_its_identifier_and_details(world):
    school = services.unit_add(parent=world.east, kind=OrgUnit.Kind.SCHOOL, values=SCHOOL)
    stored = OrgUnit.objects.get(pk=school.pk)
    assert (stored.code, stored.boarding, stored.enrolment, stored.address) == (
        "3204000001", "day", 1200, "东区文化路 1 号")
    assert stored.path == f"{world.east.path}{stored.pk}/" and stored.district_id == world.east.pk


@pytest.mark.parametrize("code", ["320400000", "32040000011", "32040000a1", ""])
def test_a_school_identifier_is_exactly_ten_digits(world, code):
    with pytest.raises(services.UnitRefused, match="exactly 10 digits") as refused:
        services.unit_add(parent=world.east, kind=OrgUnit.Kind.SCHOOL, values={**SCHOOL, "code": code})
    assert refused.value.field == "code"


def test_a_school_identifier_is_unique(world):
    services.unit_add(parent=world.east, kind=OrgUnit.Kind.SCHOOL, values=SCHOOL)
    with pytest.raises(services.UnitRefused, match="already used by 东区第三小学"):
        services.unit_add(parent=world.west, kind=OrgUnit.Kind.SCHOOL, values={**SCHOOL, "name": "另一所"})


def test_a_society_unit_needs_its_partner_type(world):
    with pytest.raises(services.UnitRefused, match="partner type") as refused:
        services.unit_add(parent=world.city, kind=OrgUnit.Kind.SOCIETY, values={"name": "市公安局"})
    assert refused.value.field == "partner_type"
    unit = services.unit_add(parent=world.city, kind=OrgUnit.Kind.SOCIETY,
                             values={"name": "市公安局", "partner_type": "police"})
    assert unit.partner_type == "police" and unit.parent_id == world.city.pk
    centre = services.unit_add(parent=world.east, kind=OrgUnit.Kind.MHC, values={"name": "东区心理健康中心"})
    assert centre.district_id == world.east.pk


def test_a_kind_must_fit_under_its_parent(world):
    with pytest.raises(services.UnitRefused, match="cannot be created under"):
        services.unit_add(parent=world.city, kind=OrgUnit.Kind.SCHOOL, values=SCHOOL)


def test_grades_and_classes_are_named_from_their_numbers(world):
    grade = services.unit_add(parent=world.school, kind=OrgUnit.Kind.GRADE, values={"grade_level": 9})
    klass = services.unit_add(parent=grade, kind=OrgUnit.Kind.CLASS, values={"class_number": 3})
    assert (grade.name, klass.name, klass.grade_level, klass.school_year_id) == (
        "九年级", "九年级(3)班", 9, world.year.pk)
    with pytest.raises(services.UnitRefused, match="already has class 3"):
        services.unit_add(parent=grade, kind=OrgUnit.Kind.CLASS, values={"class_number": 3})


def test_edit_changes_only_what_changed(world):
    with pytest.raises(services.UnitRefused, match="exactly 10 digits"):
        services.unit_edit(unit=world.school, values={"address": "新址"})  # the factories' code is no real one
    changed = services.unit_edit(unit=world.school, values={"name": "东区第一中学", "address": "新址",
                                                           "boarding": "mixed", "code": "3204000009"})
    assert sorted(changed) == ["address", "boarding", "code"]
    assert services.unit_edit(unit=world.school, values={"address": "新址"}) == []


def test_moving_a_school_to_another_district_moves_its_students_placement(world):
    services.unit_edit(unit=world.school, values={"code": "3204000009"})
    enrollments = list(Enrollment.objects.order_by("pk").values_list("pk", "school_class_id", "ended_on"))
    services.unit_move(unit=world.school, new_parent=world.west)
    school = OrgUnit.objects.get(pk=world.school.pk)
    assert school.path == f"{world.west.path}{school.pk}/" and school.district_id == world.west.pk
    for unit in OrgUnit.objects.filter(school=school):
        assert unit.path.startswith(school.path) and unit.district_id == world.west.pk
        assert unit.depth == unit.parent.depth + 1
    a1 = Student.objects.get(pk=world.a1.pk)
    assert (a1.district_id, a1.school_id, a1.school_class_id) == (world.west.pk, school.pk, world.class1.pk)
    assert Student.objects.get(pk=world.w1.pk).district_id == world.west.pk  # already there, unchanged
    assert list(Enrollment.objects.order_by("pk").values_list("pk", "school_class_id", "ended_on")) == enrollments
    # The district's staff now reach the school's students; the east centre no longer does.
    from runxin.access import scope
    assert scope.students(world.district_centre).filter(pk=world.a1.pk).count() == 0


def test_moving_a_class_to_another_grade_renames_it_and_moves_its_students(world):
    grade8 = f.school_class(world.school, 8, 1, world.year).parent
    services.unit_move(unit=world.class2, new_parent=grade8)
    klass = OrgUnit.objects.get(pk=world.class2.pk)
    assert (klass.parent_id, klass.grade_level, klass.name) == (grade8.pk, 8, "八年级(2)班")
    assert Student.objects.get(pk=world.b1.pk).grade_id == grade8.pk


def test_a_grade_or_a_district_cannot_be_moved(world):
    with pytest.raises(services.UnitRefused, match="cannot be moved"):
        services.unit_move(unit=world.east, new_parent=world.city)
    with pytest.raises(services.UnitRefused, match="cannot be moved under"):
        services.unit_move(unit=world.school, new_parent=world.school)


def test_closing_a_school_is_refused_while_students_are_enrolled(world):
    with pytest.raises(services.UnitRefused, match="<5 enrolled students"):
        services.unit_deactivate(unit=world.school)
    assert OrgUnit.objects.get(pk=world.school.pk).is_active


def test_closing_is_refused_while_a_warning_is_open(world):
    alert_services.warning_raise_from_screening(student=world.a1, result_id="r-1", suggested_level="critical",
                                               reasons=[], instrument_code="phq-a")
    Student.objects.filter(pk=world.a1.pk).update(status=Student.Status.TRANSFERRED_OUT)
    with pytest.raises(services.UnitRefused, match="<5 warnings about its students are still open"):
        services.unit_deactivate(unit=world.class1)


def test_a_closed_school_keeps_its_history(world):
    empty = services.unit_add(parent=world.east, kind=OrgUnit.Kind.SCHOOL, values=SCHOOL)
    klass = f.school_class(empty, 7, 1, world.year)
    assert services.unit_deactivate(unit=empty) == 3  # the school, its grade and its class
    assert OrgUnit.objects.filter(pk__in=[empty.pk, klass.pk], is_active=False).count() == 2
    with pytest.raises(services.UnitRefused, match="closed"):
        services.unit_add(parent=empty, kind=OrgUnit.Kind.GRADE, values={"grade_level": 8})
    with pytest.raises(services.UnitRefused, match="still active"):
        services.unit_deactivate(unit=world.west)
    services.unit_reactivate(unit=empty)
    assert OrgUnit.objects.get(pk=empty.pk).is_active


def test_a_school_belongs_to_at_most_one_service_group(world):
    second = f.school(world.east, "东区第二中学", "S-E2")
    north = services.service_group_create(district=world.east, name="东区一片", code="P1")
    south = services.service_group_create(district=world.east, name="东区二片")
    services.service_group_set_schools(group=north, schools=[world.school, second])
    with pytest.raises(services.UnitRefused, match="already belongs to the service group 东区一片"):
        services.service_group_set_schools(group=south, schools=[world.school])
    with pytest.raises(services.UnitRefused, match="is not a school of 东区"):
        services.service_group_set_schools(group=south, schools=[world.other_school])
    services.service_group_set_schools(group=north, schools=[second])
    services.service_group_set_schools(group=south, schools=[world.school])
    assert dict(ServiceGroupSchool.objects.values_list("school_id", "group_id")) == {
        second.pk: north.pk, world.school.pk: south.pk}
    services.service_group_set_staff(group=north, users=[world.district_centre])
    assert list(north.staff_links.values_list("user_id", flat=True)) == [world.district_centre.pk]
    with pytest.raises(services.UnitRefused, match="already has a service group named"):
        services.service_group_create(district=world.east, name="东区一片")
