"""The staff file import grants roles under the same rules as the staff pages (issue 9, item 1): each row is one
call of accounts.grants; a refused row is that row's problem and the others are imported."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from runxin.access import roles, scope
from runxin.accounts import grants
from runxin.accounts.models import PendingGrant, User
from runxin.imports import roster, staff
from runxin.people.models import RoleAssignment

from .helpers import write_csv

pytestmark = pytest.mark.django_db
HEADER = ["姓名", "工号/用户名", "手机", "角色", "任职单位"]
ROLE_COLUMN = "角色 (D)"


def run(world, tmp_path, rows, user, **kw):
    path = write_csv(tmp_path / "staff.csv", rows, header=HEADER)
    return staff.import_staff(path=path, school=world.school, user=user, mode=kw.get("mode", roster.VALID),
                              dry_run=kw.get("dry_run", False), problems_path=tmp_path / "p.jsonl")


def refusals(report) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.render()) for p in report.problems]


def roles_of(user) -> set[tuple[str, int]]:
    return set(RoleAssignment.objects.filter(user=user, is_active=True).values_list("role", "org_unit_id"))


def test_a_school_leader_cannot_import_a_psychology_teacher_role_for_themselves(world, tmp_path):
    before = roles_of(world.leader)
    report = run(world, tmp_path, [["郑伟", "leader", "", "心理教师", "本校"],
                                   ["陈老师", "t2026", "", "班主任", "七年级(2)班"]], user=world.leader)
    assert refusals(report) == [(2, ROLE_COLUMN,
                                 "you may not grant the role psych_teacher: nobody grants themselves a role")]
    assert (report.rejected, report.created) == (1, 1)  # the other row is imported
    assert roles_of(world.leader) == before and not PendingGrant.objects.filter(user=world.leader).exists()
    scope.forget(world.leader)
    assert not scope.has_permission(world.leader, roles.SCREENING_RESULTS)
    assert RoleAssignment.objects.filter(user__username="t2026", role="head_teacher").exists()


@pytest.mark.parametrize("role, unit", [("心理教师", "本校"), ("centre_staff", "本校"), ("mentor", "本校")])
def test_the_security_administrator_cannot_import_a_role_for_themselves(world, tmp_path, role, unit):
    report = run(world, tmp_path, [["彭涛", "secadmin", "", role, unit]], user=world.secadmin)
    assert report.rejected == 1 and report.created == 0
    assert roles_of(world.secadmin) == {("security_admin", world.city.pk)}
    if role != "centre_staff":  # centre staff are never held at a school: that row fails on its unit first
        assert "nobody grants themselves a role" in report.problems[0].render()


@pytest.mark.parametrize("username, role, unit", [
    ("auditor", "班主任", "七年级(1)班"),  # an administrator taking a second role
    ("sysadmin", "mentor", "本校"),
    ("supervisor", "mentor", "本校"),  # a non-administrator is fine: the control row
])
def test_an_administrator_takes_no_second_role(world, tmp_path, username, role, unit):
    report = run(world, tmp_path, [["某某", username, "", role, unit]], user=world.secadmin)
    target = User.objects.get(username=username)
    if username == "supervisor":
        assert report.rejected == 0 and len(roles_of(target)) == 2
        return
    assert refusals(report) == [(2, ROLE_COLUMN, f"you may not grant the role {staff.role_names()[role.lower()]}: "
                                 "the administrator roles (system, security, audit) are held alone, never with "
                                 "another role")]
    assert len(roles_of(target)) == 1


@pytest.mark.parametrize("username", ["student_a1", "parent_a1", "committee"])
def test_a_student_or_parent_account_is_given_no_staff_role(world, tmp_path, username):
    target = User.objects.get(username=username)
    before = roles_of(target)
    report = run(world, tmp_path, [["某某", username, "", "班主任", "七年级(1)班"]], user=world.leader)
    assert refusals(report) == [(2, ROLE_COLUMN, "you may not grant the role head_teacher: this is a student's or "
                                 "a parent's account, which never holds a staff role")]
    assert roles_of(target) == before
    scope.forget(target)
    assert not scope.has_permission(target, roles.STUDENT_PROFILE)


def test_a_psychology_teacher_imports_head_teachers_but_no_clinical_role(world, tmp_path):
    report = run(world, tmp_path, [["新心理", "np1", "", "心理教师", "本校"], ["新班主任", "nh1", "", "班主任", "七年级(1)班"]],
                 user=world.psych)
    assert refusals(report) == [(2, ROLE_COLUMN, "you may not grant the role psych_teacher: the role or the unit is "
                                 "outside what you administer")]
    assert not User.objects.filter(username="np1").exists()
    assert RoleAssignment.objects.filter(user__username="nh1", role="head_teacher").exists()


def test_a_leader_imported_psychology_teacher_waits_for_the_district_and_reads_nothing_meanwhile(world, tmp_path):
    report = run(world, tmp_path, [["新心理", "np1", "", "心理教师", "本校"]], user=world.leader)
    assert (report.rejected, report.created) == (0, 1) and report.sample[0]["pending_approval"] is True
    newcomer = User.objects.get(username="np1")
    assert roles_of(newcomer) == set()
    assert not scope.has_permission(newcomer, roles.SCREENING_RESULTS)
    assert not scope.students(newcomer, roles.STUDENT_CLINICAL).exists()
    pending = PendingGrant.objects.get(user=newcomer)
    assert (pending.state, pending.role, pending.org_unit, pending.requested_by) == (
        "pending", "psych_teacher", world.school, world.leader)
    # Importing the same file again asks nothing twice.
    again = run(world, tmp_path, [["新心理", "np1", "", "心理教师", "本校"]], user=world.leader)
    assert again.unchanged == 1 and PendingGrant.objects.filter(user=newcomer).count() == 1
    grants.approve(approver=world.district_centre, pending_id=pending.pk)
    scope.forget(newcomer)
    assert roles_of(newcomer) == {("psych_teacher", world.school.pk)}
    assert scope.has_permission(newcomer, roles.SCREENING_RESULTS)


def test_the_security_administrator_imports_a_psychology_teacher_directly(world, tmp_path):
    report = run(world, tmp_path, [["新心理", "np2", "", "心理教师", "本校"]], user=world.secadmin)
    assert report.rejected == 0 and report.sample[0]["pending_approval"] is False
    assert roles_of(User.objects.get(username="np2")) == {("psych_teacher", world.school.pk)}


def test_mode_all_refuses_the_file_and_a_preview_shows_the_refusal(world, tmp_path):
    rows = [["郑伟", "leader", "", "心理教师", "本校"], ["陈老师", "t2026", "", "班主任", "七年级(2)班"]]
    preview = run(world, tmp_path, rows, user=world.leader, dry_run=True)
    assert preview.rejected == 1 and "nobody grants themselves" in preview.problems[0].render()
    refused = run(world, tmp_path, rows, user=world.leader, mode=roster.ALL)
    assert refused.refused and not User.objects.filter(username="t2026").exists()


def test_the_command_grants_only_as_a_named_person(world, tmp_path):
    path = write_csv(tmp_path / "staff.csv", [["陈老师", "t2026", "", "班主任", "七年级(3)班"]], header=HEADER)
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_staff", str(path), "--school", "S-E1", stdout=out)
    assert caught.value.returncode == 1
    report = json.loads(out.getvalue())
    assert report["rejections"][0]["reason"] == ("you may not grant the role head_teacher: roles are granted by a "
                                                 "named person (run the command with --as)")
    assert not User.objects.filter(username="t2026").exists()
    selfish = write_csv(tmp_path / "self.csv", [["郑伟", "leader", "", "心理教师", "本校"]], header=HEADER)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_staff", str(selfish), "--school", "S-E1", "--as", "leader", stdout=out)
    assert "nobody grants themselves" in json.loads(out.getvalue())["rejections"][0]["reason"]
    assert roles_of(world.leader) == {("school_leader", world.school.pk)}


def test_a_command_grant_names_its_person_in_the_audit_trail(world, tmp_path):
    from auditlog.models import LogEntry

    path = write_csv(tmp_path / "staff.csv", [["陈老师", "t2027", "", "班主任", "七年级(3)班"]], header=HEADER)
    call_command("import_staff", str(path), "--school", "S-E1", "--as", "leader", stdout=io.StringIO())
    assignment = RoleAssignment.objects.get(user__username="t2027")
    entry = LogEntry.objects.get(content_type__model="roleassignment", object_pk=str(assignment.pk))
    assert entry.actor == world.leader
