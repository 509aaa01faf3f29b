"""One rule set for every grant (issue 9, item 1) on the staff pages: nobody grants themselves anything,
administrators hold their role alone, student-side accounts get no staff role, and a clinical role asked for
by a school leader waits for the level above, who approves or refuses it on a page; resets of clinical staff
are the level above's too."""

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from runxin.access import roles, scope
from runxin.accounts import grants, services
from runxin.accounts.models import PendingGrant, User
from runxin.people.models import RoleAssignment
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

NEW = "/accounts/staff/new/"
APPROVALS = "/accounts/staff/approvals/"


def roles_of(user) -> set[tuple[str, int]]:
    return set(RoleAssignment.objects.filter(user=user, is_active=True).values_list("role", "org_unit_id"))


def ask_for_psych(world, client_for, username="np1") -> tuple[User, PendingGrant]:
    response = client_for(world.leader).post(NEW, {"username": username, "display_name": "新心理",
                                                   "role": "psych_teacher", "unit": world.school.pk},
                                             HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "awaits approval by the level above" in response.content.decode()
    user = User.objects.get(username=username)
    return user, PendingGrant.objects.get(user=user)


def test_a_leader_created_psychology_teacher_reads_nothing_until_the_district_approves(world, client_for):
    newcomer, pending = ask_for_psych(world, client_for)
    assert roles_of(newcomer) == set() and pending.requested_by == world.leader
    assert not scope.has_permission(newcomer, roles.SCREENING_RESULTS)
    assert not scope.students(newcomer, roles.STUDENT_CLINICAL).exists()
    assert not grants.may_approve_any(newcomer)
    # The leader's page for the person says it waits.
    page = client_for(world.leader).get(f"/accounts/staff/{newcomer.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="pending-grants"' in page
    # The district centre finds it on its approvals page and approves it.
    centre = client_for(world.district_centre)
    listed = centre.get(APPROVALS)
    assert [row.pk for row in listed.context["rows"]] == [pending.pk]
    assert centre.post(f"/accounts/staff/approvals/{pending.pk}/approve/").status_code == 302
    pending.refresh_from_db()
    assert (pending.state, pending.decided_by) == ("approved", world.district_centre)
    assert roles_of(newcomer) == {("psych_teacher", world.school.pk)}
    scope.forget(newcomer)
    assert scope.students(newcomer, roles.STUDENT_CLINICAL).filter(pk=world.a1.pk).exists()
    assert LogEntry.objects.filter(content_type__model="roleassignment", actor=world.district_centre,
                                   object_pk=str(pending.assignment_id)).exists()
    assert LogEntry.objects.filter(content_type__model="pendinggrant", object_pk=str(pending.pk)).count() == 2
    assert centre.get(APPROVALS).context["rows"] == []


def test_nobody_approves_a_grant_for_themselves_and_only_the_level_above_approves(world, client_for):
    pending = grants.grant(actor=world.leader, target=world.district_centre, role="psych_teacher",
                           unit=world.school).pending
    assert pending is not None and roles_of(world.district_centre) == {("centre_staff", world.east.pk)}
    own = client_for(world.district_centre)
    assert own.get(APPROVALS).context["rows"] == []  # not offered
    own.post(f"/accounts/staff/approvals/{pending.pk}/approve/")
    with pytest.raises(grants.GrantRefused):
        grants.approve(approver=world.district_centre, pending_id=pending.pk)
    pending.refresh_from_db()
    assert pending.state == "pending" and ("psych_teacher", world.school.pk) not in roles_of(world.district_centre)
    # Centre staff of another district, the school leader and the psychology teacher are not the level above.
    west_centre = f.UserFactory(username="west_centre")
    f.assign(west_centre, "centre_staff", world.west)
    assert client_for(west_centre).get(APPROVALS).context["rows"] == []
    assert client_for(west_centre).post(f"/accounts/staff/approvals/{pending.pk}/approve/").status_code == 403
    for who in (world.leader, world.psych, world.outsider, world.auditor):
        assert client_for(who).post(f"/accounts/staff/approvals/{pending.pk}/approve/").status_code == 403
        assert client_for(who).get(APPROVALS).status_code == 403
    assert Client().get(APPROVALS).status_code == 302  # to the sign-in page
    pending.refresh_from_db()
    assert pending.state == "pending"
    # The city centre is above the district: it may.
    grants.approve(approver=world.city_centre, pending_id=pending.pk)
    assert ("psych_teacher", world.school.pk) in roles_of(world.district_centre)


def test_a_refusal_needs_a_reason_and_grants_nothing(world, client_for):
    newcomer, pending = ask_for_psych(world, client_for)
    client = client_for(world.secadmin)
    client.post(f"/accounts/staff/approvals/{pending.pk}/refuse/", {"reason": "  "})
    pending.refresh_from_db()
    assert pending.state == "pending"
    client.post(f"/accounts/staff/approvals/{pending.pk}/refuse/", {"reason": "未取得心理健康教育资格证"})
    pending.refresh_from_db()
    assert (pending.state, pending.reason, pending.decided_by) == ("refused", "未取得心理健康教育资格证", world.secadmin)
    assert roles_of(newcomer) == set()
    with pytest.raises(services.StaffError):
        grants.approve(approver=world.secadmin, pending_id=pending.pk)
    assert roles_of(newcomer) == set()


def test_the_leader_granting_a_clinical_role_to_existing_staff_also_waits(world, client_for):
    response = client_for(world.leader).post(f"/accounts/staff/{world.head.pk}/roles/",
                                             {"role": "psych_teacher", "unit": world.school.pk})
    assert response.status_code == 302
    assert ("psych_teacher", world.school.pk) not in roles_of(world.head)
    assert PendingGrant.objects.filter(user=world.head, state="pending").count() == 1


@pytest.mark.parametrize("who, role, unit", [
    ("leader", "psych_teacher", "school"),  # a leader giving themselves a clinical role
    ("leader", "mentor", "school"),
    ("secadmin", "psych_teacher", "school"),
    ("secadmin", "centre_staff", "east"),
])
def test_nobody_grants_themselves_anything(world, who, role, unit):
    actor = getattr(world, who)
    before = roles_of(actor)
    with pytest.raises(grants.GrantRefused) as refused:
        grants.grant(actor=actor, target=actor, role=role, unit=getattr(world, unit))
    assert refused.value.code == "self"
    assert roles_of(actor) == before and not PendingGrant.objects.filter(user=actor).exists()


@pytest.mark.parametrize("target, role, unit, code", [
    ("auditor", "head_teacher", "class1", "separation"),  # an administrator taking a second role
    ("sysadmin", "audit_admin", "city", "separation"),
    ("psych", "system_admin", "city", "separation"),  # a student-reading role holder becoming an administrator
    ("student_user", "head_teacher", "class1", "student_account"),
    ("parent", "mentor", "school", "student_account"),
    ("committee", "head_teacher", "class1", "student_account"),
    ("head", "student", "class1", "student_side_role"),  # a staff account never gets a student's role
    ("head", "parent", "class1", "student_side_role"),
])
def test_the_rules_refuse_whoever_grants(world, target, role, unit, code):
    account = getattr(world, target)
    before = roles_of(account)
    with pytest.raises(grants.GrantRefused) as refused:
        grants.grant(actor=world.secadmin, target=account, role=role, unit=getattr(world, unit))
    assert refused.value.code == code
    assert roles_of(account) == before


def test_the_staff_service_refuses_a_student_account_a_staff_role(world):
    with pytest.raises(services.StaffError):
        services.assignment_add(actor=world.secadmin, target=world.student_user, role="head_teacher", unit=world.class1)
    assert roles_of(world.student_user) == {("student", world.class1.pk)}


def test_a_guardians_account_is_student_side(world):
    guardian_user = f.UserFactory(username="guardian_only")
    world.a1.guardians.update(user=guardian_user)
    with pytest.raises(grants.GrantRefused) as refused:
        grants.grant(actor=world.secadmin, target=guardian_user, role="mentor", unit=world.school)
    assert refused.value.code == "student_account"


def test_resetting_a_psychology_teacher_is_for_the_level_above(world, client_for):
    TOTPDevice.objects.create(user=world.psych, name="default", confirmed=True)
    world.psych.set_password("Unchanged-2026!")
    world.psych.save()
    leader = client_for(world.leader)
    page = leader.post(f"/accounts/staff/{world.psych.pk}/password/reset/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "only the level above" in page.content.decode()
    leader.post(f"/accounts/staff/{world.psych.pk}/second-factor/reset/")
    world.psych.refresh_from_db()
    assert world.psych.check_password("Unchanged-2026!") and TOTPDevice.objects.filter(user=world.psych).exists()
    # Deactivating takes access away: the leader may. Reactivating hands it back: the leader may not.
    assert leader.post(f"/accounts/staff/{world.psych.pk}/deactivate/").status_code == 302
    leader.post(f"/accounts/staff/{world.psych.pk}/reactivate/")
    world.psych.refresh_from_db()
    assert not world.psych.is_active
    # The leader still resets a head teacher; the security administrator resets the psychology teacher.
    assert "password" in leader.post(f"/accounts/staff/{world.head.pk}/password/reset/").context
    client = client_for(world.secadmin)
    assert client.post(f"/accounts/staff/{world.psych.pk}/reactivate/").status_code == 302
    password = client.post(f"/accounts/staff/{world.psych.pk}/password/reset/").context["password"]
    world.psych.refresh_from_db()
    assert world.psych.is_active and world.psych.check_password(password)


def test_the_demo_seed_keeps_the_structural_rules(world):
    user = f.UserFactory(username="seeded")
    with pytest.raises(grants.GrantRefused):
        grants.seed([grants.Seed(user=user, role="audit_admin", unit=world.city),
                     grants.Seed(user=user, role="mentor", unit=world.school)])
    with pytest.raises(grants.GrantRefused):
        grants.seed([grants.Seed(user=world.student_user, role="head_teacher", unit=world.class1)])
    assert roles_of(user) == set()
    grants.seed([grants.Seed(user=user, role="mentor", unit=world.school)])
    assert roles_of(user) == {("mentor", world.school.pk)}
