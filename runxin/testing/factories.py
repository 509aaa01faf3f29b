"""factory_boy factories for tests and benches. Tree nodes go through org.services so paths are right."""

import datetime as dt

import factory

from runxin.accounts.models import User
from runxin.org import services as org_services
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import Guardian, RoleAssignment, Student
from runxin.people.services import placement_fields

TEST_PASSWORD = "Runxin-test-2026!"  # noqa: S105 (test accounts only)


def school_year(code: str = "2026-2027", current: bool = True) -> SchoolYear:
    start = int(code[:4])
    year, _ = SchoolYear.objects.get_or_create(
        code=code, defaults={"starts_on": dt.date(start, 9, 1), "ends_on": dt.date(start + 1, 8, 31), "is_current": current}
    )
    return year


def city(name: str = "测试市", code: str = "C01") -> OrgUnit:
    return org_services.unit_create(kind=OrgUnit.Kind.CITY, name=name, code=code)


def district(parent: OrgUnit, name: str, code: str = "") -> OrgUnit:
    return org_services.unit_create(kind=OrgUnit.Kind.DISTRICT, name=name, parent=parent, code=code)


def school(parent: OrgUnit, name: str, code: str = "", school_type: str = OrgUnit.SchoolType.JUNIOR) -> OrgUnit:
    return org_services.unit_create(kind=OrgUnit.Kind.SCHOOL, name=name, parent=parent, code=code,
                                    school_type=school_type)


def school_class(school_unit: OrgUnit, level: int, number: int, year: SchoolYear | None = None) -> OrgUnit:
    return org_services.class_get_or_create(school=school_unit, school_year=year or school_year(), level=level,
                                            number=number)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    student_number = factory.Sequence(lambda n: f"G{320500201101010000 + n}")
    name = factory.Sequence(lambda n: f"学生{n}")
    sex = factory.Iterator(["M", "F"])
    birth_date = dt.date(2013, 5, 3)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        school_class_unit = kwargs.pop("school_class", None)
        if school_class_unit is not None:
            kwargs.update(placement_fields(school_class_unit))
        student = super()._create(model_class, *args, **kwargs)
        if school_class_unit is not None:
            student.enrollments.create(
                school_class=school_class_unit, school_id=school_class_unit.school_id,
                school_year_id=school_class_unit.school_year_id, started_on=dt.date(2026, 9, 1), reason="enrolled",
            )
        return student


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    name = factory.Sequence(lambda n: f"家长{n}")
    relation = "母亲"
    phone = factory.Sequence(lambda n: f"139{n:08d}")


def assign(user: User, role: str, unit: OrgUnit | None = None, student: Student | None = None) -> RoleAssignment:
    return RoleAssignment.objects.create(user=user, role=role, org_unit=unit, student=student)
