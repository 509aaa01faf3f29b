"""Staff and role administration: who sees and manages whom, creating staff, granting and ending roles,
account actions; denial for strangers, other schools and the wrong roles."""

import re

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from runxin.access import scope
from runxin.accounts import services
from runxin.accounts.models import User
from runxin.people.models import RoleAssignment
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

LIST = "/accounts/staff/"
NEW = "/accounts/staff/new/"


def usernames(response) -> set[str]:
    assert response.status_code == 200
    return {u.username for u in response.context["page"].rows}


def test_security_admin_sees_every_staff_account_but_no_student_side_account(world, client_for):
    names = usernames(client_for(world.secadmin).get(LIST))
    assert {"psych", "other_psych", "leader", "head", "mentor", "auditor", "sysadmin", "city_centre",
            "outsider"} <= names
    assert not names & {"student_a1", "parent_a1", "committee"}


def test_school_leader_sees_own_school_staff_only(world, client_for):
    names = usernames(client_for(world.leader).get(LIST))
    assert names == {"leader", "psych", "head", "mentor"}


@pytest.mark.parametrize("who", ["outsider", "psych", "head", "mentor", "auditor", "sysadmin", "city_admin",
                                 "city_centre", "parent", "student_user", "committee", "supervisor"])
def test_roles_without_staff_manage_are_refused_every_staff_page(world, client_for, who):
    client = client_for(getattr(world, who))
    for url in (LIST, NEW, f"/accounts/staff/{world.head.pk}/", "/accounts/staff/unit-options/?role=head_teacher"):
        assert client.get(url).status_code == 403, url
    for action in ("deactivate", "unlock", "second-factor/reset", "password/reset", "roles"):
        assert client.post(f"/accounts/staff/{world.head.pk}/{action}/").status_code == 403, action


def test_other_school_staff_are_404_to_a_school_leader(world, client_for):
    client = client_for(world.leader)
    for target in (world.other_psych, world.city_centre, world.secadmin, world.student_user):
        assert client.get(f"/accounts/staff/{target.pk}/").status_code == 404
        assert client.post(f"/accounts/staff/{target.pk}/deactivate/").status_code == 404
    world.other_psych.refresh_from_db()
    assert world.other_psych.is_active


def test_security_admin_creates_a_staff_member_who_must_change_the_password(world, client_for):
    client = client_for(world.secadmin)
    response = client.post(NEW, {"username": "new_psych", "display_name": "新老师", "role": "psych_teacher",
                                 "unit": world.other_school.pk})
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    user = User.objects.get(username="new_psych")
    assert user.must_change_password and user.check_password(password)
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "org_unit")) == [
        ("psych_teacher", world.other_school.pk)]
    # The password is not on the account page afterwards.
    assert password not in client.get(f"/accounts/staff/{user.pk}/").content.decode()
    # The new person signs in with it and is sent to change it.
    newcomer = Client()
    newcomer.post("/accounts/login/", {"username": "new_psych", "password": password})
    assert newcomer.get("/").headers["Location"].startswith("/accounts/password/")
    # Both the account and its role are in the audit trail, with the security administrator as actor.
    assert LogEntry.objects.filter(object_pk=str(user.pk), content_type__model="user", actor=world.secadmin).exists()
    assert LogEntry.objects.filter(content_type__model="roleassignment", actor=world.secadmin).exists()


@pytest.mark.parametrize("data,error", [
    ({"username": "psych", "display_name": "x", "role": "head_teacher"}, "taken"),
    ({"username": "bad name!", "display_name": "x", "role": "head_teacher"}, "username"),
    ({"username": "ok_name", "display_name": "", "role": "head_teacher"}, "display_name"),
])
def test_create_refuses_bad_input_and_keeps_what_was_typed(world, client_for, data, error):
    client = client_for(world.secadmin)
    response = client.post(NEW, data | {"unit": world.class1.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    form = response.context["form"]
    assert (error in form.errors) or any(error in str(e) for e in form.non_field_errors())
    if data["display_name"]:
        assert data["display_name"] in response.content.decode()
    assert not User.objects.filter(username="ok_name").exists()


def test_role_must_suit_the_unit_kind(world, client_for):
    response = client_for(world.secadmin).post(NEW, {"username": "x1", "display_name": "x", "role": "head_teacher",
                                                     "unit": world.school.pk})
    assert response.status_code == 400 and not User.objects.filter(username="x1").exists()


def test_school_leader_grants_school_roles_in_own_school_only(world, client_for):
    client = client_for(world.leader)
    ok = client.post(NEW, {"username": "t1", "display_name": "班主任", "role": "head_teacher", "unit": world.class2.pk})
    assert ok.status_code == 200 and User.objects.filter(username="t1").exists()
    for role, unit in (("head_teacher", world.other_class), ("centre_staff", world.east),
                       ("security_admin", world.city), ("audit_admin", world.city), ("supervisor", world.school)):
        response = client.post(NEW, {"username": f"x_{role}", "display_name": "x", "role": role, "unit": unit.pk})
        assert response.status_code == 400, role
        assert not User.objects.filter(username=f"x_{role}").exists()
    roles_offered = {code for code, _ in client.get(NEW).context["form"].fields["role"].choices if code}
    assert roles_offered == {"school_leader", "psych_teacher", "head_teacher", "grade_leader", "mentor"}


def test_unit_options_follow_the_role_and_the_manager(world, client_for):
    leader = client_for(world.leader)
    body = leader.get("/accounts/staff/unit-options/", {"role": "head_teacher"}).content.decode()
    assert world.class1.name in body and f'value="{world.other_class.pk}"' not in body
    body = client_for(world.secadmin).get("/accounts/staff/unit-options/", {"role": "head_teacher",
                                                                           "unit_q": "S-W1"}).content.decode()
    assert not re.search(r'value="\d+"', body)  # S-W1 is a school's code; head teachers sit at classes
    body = client_for(world.secadmin).get("/accounts/staff/unit-options/",
                                          {"role": "psych_teacher", "unit_q": "S-W1"}).content.decode()
    assert f'value="{world.other_school.pk}"' in body


def test_grant_and_end_a_role(world, client_for):
    client = client_for(world.leader)
    response = client.post(f"/accounts/staff/{world.head.pk}/roles/", {"role": "mentor", "unit": world.school.pk})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=world.head, role="mentor")
    scope.forget(world.head)
    assert "mentor" in scope.role_codes(world.head)
    again = client.post(f"/accounts/staff/{world.head.pk}/roles/", {"role": "mentor", "unit": world.school.pk},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400 and "already holds" in again.content.decode()
    assert client.post(f"/accounts/staff/{world.head.pk}/roles/{assignment.pk}/end/").status_code == 302
    assignment.refresh_from_db()
    assert not assignment.is_active and assignment.ends_on is not None
    world.head._runxin_grants = None
    del world.head._runxin_grants
    assert "mentor" not in scope.role_codes(world.head)
    # Granting it again re-opens the same row (one row per user, role and unit).
    client.post(f"/accounts/staff/{world.head.pk}/roles/", {"role": "mentor", "unit": world.school.pk})
    assert RoleAssignment.objects.filter(user=world.head, role="mentor").count() == 1
    assert RoleAssignment.objects.get(user=world.head, role="mentor").is_active


def test_leader_cannot_end_a_role_above_the_school(world, client_for):
    centre_role = f.assign(world.psych, "centre_staff", world.east)
    response = client_for(world.leader).post(f"/accounts/staff/{world.psych.pk}/roles/{centre_role.pk}/end/")
    assert response.status_code == 403
    centre_role.refresh_from_db()
    assert centre_role.is_active


def test_nobody_changes_their_own_roles_or_account(world, client_for):
    client = client_for(world.secadmin)
    response = client.post(f"/accounts/staff/{world.secadmin.pk}/roles/", {"role": "audit_admin", "unit": world.city.pk})
    assert response.status_code == 400
    own = RoleAssignment.objects.get(user=world.secadmin)
    client.post(f"/accounts/staff/{world.secadmin.pk}/roles/{own.pk}/end/")
    own.refresh_from_db()
    assert own.is_active
    assert client.post(f"/accounts/staff/{world.secadmin.pk}/deactivate/").status_code == 403


def test_administrator_roles_are_held_alone(world):
    with pytest.raises(services.StaffError):
        services.assignment_add(actor=world.secadmin, target=world.auditor, role="system_admin", unit=world.city)
    with pytest.raises(services.StaffError):
        services.assignment_add(actor=world.secadmin, target=world.psych, role="audit_admin", unit=world.city)
    with pytest.raises(services.StaffError):
        services.assignment_add(actor=world.secadmin, target=world.sysadmin, role="psych_teacher", unit=world.school)
    services.assignment_add(actor=world.secadmin, target=world.outsider, role="audit_admin", unit=world.city)


def test_deactivate_signs_the_person_out_and_reactivate_restores(world, client_for):
    victim = client_for(world.head)
    assert victim.get("/").status_code == 200
    client = client_for(world.leader)
    assert client.post(f"/accounts/staff/{world.head.pk}/deactivate/").status_code == 302
    assert victim.get("/").status_code == 302
    assert client.post(f"/accounts/staff/{world.head.pk}/reactivate/").status_code == 302
    world.head.refresh_from_db()
    assert world.head.is_active


def test_leader_cannot_act_on_someone_who_also_holds_a_role_elsewhere(world, client_for):
    f.assign(world.head, "head_teacher", world.other_class)
    response = client_for(world.leader).post(f"/accounts/staff/{world.head.pk}/deactivate/")
    assert response.status_code == 403
    world.head.refresh_from_db()
    assert world.head.is_active


def test_reset_the_second_factor(world, client_for):
    TOTPDevice.objects.create(user=world.psych, name="default", confirmed=True)
    client = client_for(world.secadmin)
    assert client.get(f"/accounts/staff/{world.psych.pk}/").context["member"].has_second_factor
    assert client.post(f"/accounts/staff/{world.psych.pk}/second-factor/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=world.psych).exists()
    assert LogEntry.objects.filter(content_type__model="totpdevice", action=LogEntry.Action.DELETE,
                                   actor=world.secadmin).exists()
    again = client.post(f"/accounts/staff/{world.psych.pk}/second-factor/reset/", follow=True,
                        HTTP_ACCEPT_LANGUAGE="en")
    assert "no second factor" in again.content.decode()


def test_reset_the_password_shows_a_new_one_once(world, client_for):
    # A head teacher's account: a clinical account (psychology teacher) is reset from the level above (issue 9).
    response = client_for(world.leader).post(f"/accounts/staff/{world.head.pk}/password/reset/")
    password = response.context["password"]
    world.head.refresh_from_db()
    assert world.head.check_password(password) and world.head.must_change_password


def test_unlock_refuses_an_account_that_is_not_locked(world, client_for):
    response = client_for(world.secadmin).post(f"/accounts/staff/{world.head.pk}/unlock/", follow=True,
                                               HTTP_ACCEPT_LANGUAGE="en")
    assert "not locked" in response.content.decode()


def test_temporary_passwords_pass_the_rules_and_differ():
    from django.contrib.auth.password_validation import validate_password

    passwords = {services.temporary_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        validate_password(password)


def test_list_filters(world, client_for):
    client = client_for(world.secadmin)
    assert usernames(client.get(LIST, {"q": "psy"})) == {"psych"}
    assert usernames(client.get(LIST, {"role": "psych_teacher"})) == {"psych", "other_psych"}
    world.mentor.is_active = False
    world.mentor.save()
    assert usernames(client.get(LIST, {"status": "inactive"})) == {"mentor"}


def test_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    for i in range(40):
        user = f.UserFactory(username=f"teacher{i:02d}")
        f.assign(user, "head_teacher", world.class1)
        f.assign(user, "mentor", world.school)
    client = client_for(world.leader)
    # Session, user, grants, page, assignments, locks, devices, capped count, session save (2 savepoints + update).
    with django_assert_max_num_queries(12):  # +1: the unread count beside 消息
        response = client.get(LIST)
    assert len(response.context["page"].rows) == 44


def test_nav_shows_staff_to_managers_only(world, client_for):
    link = f'href="{reverse("accounts:staff_list")}"'
    assert link in client_for(world.leader).get("/").content.decode()
    assert link not in client_for(world.psych).get("/").content.decode()
