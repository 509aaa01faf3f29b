"""A small region with one person per role and an outsider, as in healthchecks' hc/test.py.

  测试市 (city)
  ├── 东区 (district)                     ├── 西区 (district)
  │   └── 东区第一中学 (school, code S-E1)   │   └── 西区实验学校 (school, code S-W1)
  │       ├── 七年级(1)班  students a1, a2   │       └── 七年级(1)班  student w1
  │       └── 七年级(2)班  student b1
"""

from types import SimpleNamespace

from runxin.org.models import OrgUnit

from . import factories as f


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.year = f.school_year()
    w.city = f.city()
    w.east = f.district(w.city, "东区", "D-E")
    w.west = f.district(w.city, "西区", "D-W")
    w.school = f.school(w.east, "东区第一中学", "S-E1")
    w.other_school = f.school(w.west, "西区实验学校", "S-W1", OrgUnit.SchoolType.NINE_YEAR)
    w.class1 = f.school_class(w.school, 7, 1, w.year)
    w.class2 = f.school_class(w.school, 7, 2, w.year)
    w.other_class = f.school_class(w.other_school, 7, 1, w.year)
    w.a1 = f.StudentFactory(name="张一", school_class=w.class1)
    w.a2 = f.StudentFactory(name="李二", school_class=w.class1)
    w.b1 = f.StudentFactory(name="王三", school_class=w.class2)
    w.w1 = f.StudentFactory(name="赵四", school_class=w.other_class)
    guardian_a1 = f.GuardianFactory(student=w.a1, position=1)

    def person(username: str, role: str | None, unit=None, student=None):
        user = f.UserFactory(username=username, display_name=username)
        if role:
            f.assign(user, role, unit, student)
        return user

    w.city_admin = person("city_admin", "city_admin", w.city)
    w.city_centre = person("city_centre", "centre_staff", w.city)
    w.district_centre = person("east_centre", "centre_staff", w.east)
    w.leader = person("leader", "school_leader", w.school)
    w.psych = person("psych", "psych_teacher", w.school)
    w.head = person("head", "head_teacher", w.class1)
    w.mentor = person("mentor", "mentor", w.school)
    w.committee = person("committee", "psych_committee", w.class1, w.a2)
    w.hotline = person("hotline", "hotline_operator", w.city)
    w.student_user = person("student_a1", "student", w.class1, w.a1)
    w.parent = person("parent_a1", "parent", w.class1, w.a1)
    # The parent's account is the roster guardian's (its phone names it: access/scope.py checks the link).
    w.parent.phone = guardian_a1.phone
    w.parent.save(update_fields=["phone"])
    guardian_a1.user = w.parent
    guardian_a1.save(update_fields=["user"])
    w.supervisor = person("supervisor", "supervisor", w.city)
    w.sysadmin = person("sysadmin", "system_admin", w.city)
    w.secadmin = person("secadmin", "security_admin", w.city)
    w.auditor = person("auditor", "audit_admin", w.city)
    w.other_psych = person("other_psych", "psych_teacher", w.other_school)
    w.outsider = person("outsider", None)
    from runxin.people.models import MentorPair

    MentorPair.objects.create(mentor=w.mentor, student=w.b1, since=w.year.starts_on)
    return w
