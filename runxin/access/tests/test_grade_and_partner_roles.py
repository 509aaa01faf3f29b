"""The grade leader (年级组长) and the partner institutions' roles (issue 11): whom each reaches, and who may
grant them where."""

import pytest
from django.http import Http404

from runxin.access import roles, scope
from runxin.accounts import staff
from runxin.org import services as org_services
from runxin.org.models import OrgUnit
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

STUDENT_PERMISSIONS = (roles.STUDENT_ROSTER, roles.STUDENT_PROFILE, roles.GUARDIAN_CONTACT, roles.STUDENT_RISK_LEVEL,
                       roles.STUDENT_SENSITIVE, roles.STUDENT_CLINICAL)


@pytest.fixture
def grade_world(world):
    world.grade7 = OrgUnit.objects.get(pk=world.a1.grade_id)
    world.class8 = f.school_class(world.school, 8, 1, world.year)
    world.c1 = f.StudentFactory(name="钱八", school_class=world.class8)
    world.grade8 = OrgUnit.objects.get(pk=world.c1.grade_id)
    world.grade_leader = f.UserFactory(username="grade7_leader")
    f.assign(world.grade_leader, "grade_leader", world.grade7)
    return world


@pytest.fixture
def partners(world):
    world.mhc = org_services.unit_create(kind=OrgUnit.Kind.MHC, name="市精神卫生中心", parent=world.city)
    world.police = org_services.unit_create(kind=OrgUnit.Kind.SOCIETY, name="东区公安分局", parent=world.east,
                                            partner_type=OrgUnit.PartnerType.POLICE)
    world.clinician = f.UserFactory(username="mhc_doctor")
    f.assign(world.clinician, "hospital", world.mhc)
    world.liaison = f.UserFactory(username="police_liaison")
    f.assign(world.liaison, "society_partner", world.police)
    return world


def test_a_grade_leader_sees_the_grades_students_and_no_others(grade_world):
    w = grade_world
    for permission in (roles.STUDENT_ROSTER, roles.STUDENT_PROFILE, roles.GUARDIAN_CONTACT, roles.STUDENT_RISK_LEVEL):
        assert set(scope.students(w.grade_leader, permission)) == {w.a1, w.a2, w.b1}, permission
    # Not another grade of the same school, not another school; never the ID number or clinical records.
    for student in (w.c1, w.w1):
        with pytest.raises(Http404):
            scope.student_or_404(w.grade_leader, student.pk)
    assert not scope.students(w.grade_leader, roles.STUDENT_SENSITIVE).exists()
    assert not scope.students(w.grade_leader, roles.STUDENT_CLINICAL).exists()
    assert scope.needs_second_factor(w.grade_leader)


def test_the_grade_leader_of_another_grade_sees_only_that_grade(grade_world):
    w = grade_world
    other = f.UserFactory(username="grade8_leader")
    f.assign(other, "grade_leader", w.grade8)
    assert list(scope.students(other)) == [w.c1]
    with pytest.raises(Http404):
        scope.student_or_404(other, w.a1.pk)


def test_partner_clinicians_and_society_liaisons_see_no_student(partners):
    w = partners
    for user in (w.clinician, w.liaison):
        for permission in STUDENT_PERMISSIONS:
            assert not scope.students(user, permission).exists(), (user.username, permission)
        with pytest.raises(Http404):
            scope.student_or_404(user, w.a1.pk)
        assert scope.has_permission(user, roles.INBOX)
        assert not scope.has_permission(user, roles.ALERT_QUEUE)
        # Referrals will name students: both sign in with a second factor.
        assert scope.needs_second_factor(user)


def test_roles_are_held_at_their_own_kinds_of_unit():
    assert roles.ROLE_UNIT_KINDS["grade_leader"] == {"grade"}
    assert roles.ROLE_UNIT_KINDS["hospital"] == {"hospital", "mhc"}
    assert roles.ROLE_UNIT_KINDS["society_partner"] == {"society"}
    # The society liaison reaches no student; the clinician only those referred to their unit (referrals app).
    assert roles.ROLES["society_partner"].reach == "none"
    assert roles.ROLES["hospital"].reach == "referred"
    assert [code for code, role in roles.ROLES.items() if role.reach == "referred"] == ["hospital"]


def test_the_school_leader_grants_a_grade_leader_at_a_grade_of_the_school_only(grade_world):
    w = grade_world
    assert staff.may_grant(w.leader, "grade_leader", w.grade7)
    assert not staff.may_grant(w.leader, "grade_leader", w.class1)  # a class is not a grade
    assert not staff.may_grant(w.leader, "grade_leader", OrgUnit.objects.get(pk=w.w1.grade_id))  # another school
    assert not staff.may_grant(w.psych, "grade_leader", w.grade7)


def test_the_security_administrator_grants_partner_roles_at_partner_units_only(partners):
    w = partners
    assert staff.may_grant(w.secadmin, "hospital", w.mhc)
    assert staff.may_grant(w.secadmin, "society_partner", w.police)
    assert not staff.may_grant(w.secadmin, "society_partner", w.mhc)
    assert not staff.may_grant(w.secadmin, "society_partner", w.school)
    assert not staff.may_grant(w.secadmin, "hospital", w.police)
    assert not staff.may_grant(w.leader, "society_partner", w.police)  # a school leader grants school roles only
