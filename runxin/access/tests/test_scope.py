"""Who sees which students: access and denial for every role."""

import pytest

from runxin.access import roles, scope
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(qs.values_list("name", flat=True))


# The world (runxin/testing/world.py), written out: 东区第一中学 七年级(1)班 holds 张一 and 李二, 七年级(2)班
# holds 王三, and 西区实验学校 七年级(1)班 holds 赵四. The mentor is paired with 王三. The expected students below
# come from that map and the role catalogue's promises, not from the grants the scope reads.
EAST_SCHOOL = ["张一", "李二", "王三"]
CLASS_1 = ["张一", "李二"]
CITY = ["张一", "李二", "王三", "赵四"]
ROSTER, PROFILE, SENSITIVE, CONTACT, RISK, CLINICAL = (
    roles.STUDENT_ROSTER, roles.STUDENT_PROFILE, roles.STUDENT_SENSITIVE, roles.GUARDIAN_CONTACT,
    roles.STUDENT_RISK_LEVEL, roles.STUDENT_CLINICAL)
EXPECTED = {
    # who: {permission: the students it reaches}; a permission left out reaches nobody.
    "psych": dict.fromkeys((ROSTER, PROFILE, SENSITIVE, CONTACT, RISK, CLINICAL), EAST_SCHOOL),
    "leader": dict.fromkeys((ROSTER, PROFILE, SENSITIVE, CONTACT, RISK), EAST_SCHOOL),  # no clinical detail
    "head": dict.fromkeys((ROSTER, PROFILE, CONTACT, RISK), CLASS_1),  # own class; not sensitive, not clinical
    "mentor": dict.fromkeys((ROSTER, PROFILE, CONTACT, RISK), ["王三"]),
    "district_centre": dict.fromkeys((ROSTER, PROFILE, SENSITIVE, CONTACT, RISK, CLINICAL), EAST_SCHOOL),
    "city_centre": dict.fromkeys((ROSTER, PROFILE, SENSITIVE, CONTACT, RISK, CLINICAL), CITY),
    "hotline": dict.fromkeys((ROSTER, RISK), CITY),  # finds a caller and the level, nothing more
    "other_psych": dict.fromkeys((ROSTER, PROFILE, SENSITIVE, CONTACT, RISK, CLINICAL), ["赵四"]),
}


def test_each_role_reaches_exactly_the_students_of_its_place_at_each_permission(world):
    permissions = (ROSTER, PROFILE, SENSITIVE, CONTACT, RISK, CLINICAL)
    seen = {who: {p: names(scope.students(getattr(world, who), p)) for p in permissions} for who in EXPECTED}
    assert seen == {who: {p: EXPECTED[who].get(p, []) for p in permissions} for who in EXPECTED}


def test_psych_teacher_sees_the_whole_school_and_nothing_else(world):
    assert names(scope.students(world.psych)) == ["张一", "李二", "王三"]
    assert names(scope.students(world.psych, roles.STUDENT_CLINICAL)) == ["张一", "李二", "王三"]


def test_head_teacher_sees_own_class_only_and_no_clinical_detail(world):
    assert names(scope.students(world.head)) == ["张一", "李二"]
    assert names(scope.students(world.head, roles.STUDENT_CLINICAL)) == []
    assert names(scope.students(world.head, roles.STUDENT_RISK_LEVEL)) == ["张一", "李二"]


def test_district_centre_sees_its_district(world):
    assert names(scope.students(world.district_centre)) == ["张一", "李二", "王三"]


def test_city_centre_sees_the_city(world):
    assert names(scope.students(world.city_centre)) == ["张一", "李二", "王三", "赵四"]


def test_mentor_sees_only_paired_students(world):
    assert names(scope.students(world.mentor)) == ["王三"]
    assert names(scope.students(world.mentor, roles.STUDENT_CLINICAL)) == []


@pytest.mark.parametrize("who", ["committee", "city_admin", "supervisor", "sysadmin", "secadmin", "auditor", "outsider"])
def test_roles_without_student_records_see_none(world, who):
    user = getattr(world, who)
    for permission in (roles.STUDENT_ROSTER, roles.STUDENT_PROFILE, roles.STUDENT_CLINICAL):
        assert names(scope.students(user, permission)) == []


def test_other_school_psych_teacher_cannot_fetch_a_student_by_id(world):
    from django.http import Http404

    with pytest.raises(Http404):
        scope.student_or_404(world.other_psych, world.a1.pk)
    assert scope.student_or_404(world.psych, world.a1.pk) == world.a1


def test_student_and_parent_reach_only_their_own_record_through_self_service(world):
    # Students and parents hold no staff permissions: self-service pages use their own selectors.
    assert names(scope.students(world.student_user)) == []
    assert names(scope.students(world.parent)) == []


def test_expired_assignment_grants_nothing(world):
    import datetime as dt

    user = f.UserFactory(username="former")
    assignment = f.assign(user, "psych_teacher", world.school)
    assert names(scope.students(user)) == EAST_SCHOOL  # while it runs, the grant reaches the school …
    assignment.ends_on = dt.date(2020, 1, 1)
    assignment.save()
    scope.forget(user)
    assert names(scope.students(user)) == []  # … once it ended, nothing


def test_transfer_moves_visibility_to_the_new_school(world):
    import datetime as dt

    from runxin.people.services import student_place

    student_place(student=world.a1, school_class=world.other_class, on=dt.date(2026, 11, 1), reason="transferred_in")
    scope.forget(world.psych)
    scope.forget(world.other_psych)
    assert "张一" not in names(scope.students(world.psych))
    assert "张一" in names(scope.students(world.other_psych))
    # The history follows the student.
    assert world.a1.enrollments.count() == 2


def test_unknown_permission_is_refused(world):
    with pytest.raises(KeyError):
        scope.students(world.psych, "student.everything")


def test_every_permission_belongs_to_some_role_or_is_admin_only():
    held = set().union(*(role.permissions for role in roles.ROLES.values()))
    assert held == roles.ALL_PERMISSIONS


def test_three_administrators_read_no_student_records():
    for code in ("system_admin", "security_admin", "audit_admin"):
        perms = roles.ROLES[code].permissions
        assert not perms & {roles.STUDENT_ROSTER, roles.STUDENT_PROFILE, roles.STUDENT_SENSITIVE,
                            roles.STUDENT_RISK_LEVEL, roles.STUDENT_CLINICAL}
    assert roles.roles_with(roles.AUDIT_SEARCH) == {"audit_admin"}


def test_scoped_query_is_one_indexed_filter(world, django_assert_max_num_queries):
    scope.forget(world.psych)
    with django_assert_max_num_queries(2):  # one for the grants, one for the students
        rows = list(scope.students(world.psych)[:50])
    assert sorted(student.name for student in rows) == EAST_SCHOOL
