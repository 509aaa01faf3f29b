"""Staff import: accounts with a one-time initial password, role assignments at units, who may hand out what."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from runxin.accounts.models import User
from runxin.imports import roster, staff
from runxin.imports.models import ImportBatch
from runxin.people.models import RoleAssignment

from .helpers import write_csv

pytestmark = pytest.mark.django_db
HEADER = ["姓名", "工号/用户名", "手机", "角色", "任职单位"]


def run(world, tmp_path, rows, user=None, **kw):
    path = write_csv(tmp_path / "staff.csv", rows, header=HEADER)
    return staff.import_staff(path=path, school=world.school, user=user or world.leader, mode=kw.get("mode", roster.VALID),
                              dry_run=kw.get("dry_run", False), problems_path=tmp_path / "p.jsonl")


def test_new_staff_get_accounts_roles_and_a_one_time_password(world, tmp_path):
    report = run(world, tmp_path, [["陈老师", "T2026", "13700001111", "班主任", "七年级(3)班"],
                                   ["林老师", "lin", "", "Mentor", "本校"],
                                   ["许老师", "xu", "", "食堂管理员", "七年级"]])
    assert (report.created, report.rejected) == (2, 1) and "unknown role" in report.problems[0].render()
    chen = User.objects.get(username="t2026")
    assert chen.display_name == "陈老师" and chen.must_change_password and chen.phone == "13700001111"
    assignment = RoleAssignment.objects.get(user=chen)
    assert assignment.role == "head_teacher" and assignment.org_unit.name == "七年级(3)班"
    assert RoleAssignment.objects.get(user__username="lin").org_unit == world.school
    secret = next(s for s in report.secrets if s["username"] == "t2026")
    assert chen.check_password(secret["password"])


def test_existing_accounts_keep_their_password_and_gain_the_role(world, tmp_path):
    world.head.set_password("Unchanged-2026!")
    world.head.save()
    report = run(world, tmp_path, [["某某", "head", "", "知心导师", "东区第一中学"]])
    assert (report.created, report.updated, report.secrets) == (0, 1, [])
    world.head.refresh_from_db()
    assert world.head.check_password("Unchanged-2026!") and world.head.display_name == "head"
    assert RoleAssignment.objects.filter(user=world.head, role="mentor", org_unit=world.school).exists()
    again = run(world, tmp_path, [["某某", "head", "", "知心导师", "东区第一中学"]])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_psych_teacher_cannot_hand_out_a_school_leader_role(world, tmp_path):
    report = run(world, tmp_path, [["某校长", "boss", "", "校长", "本校"], ["某导师", "m1", "", "mentor", "本校"]],
                 user=world.psych)
    assert report.rejected == 1 and "may not grant the role school_leader" in report.problems[0].render()
    assert not User.objects.filter(username="boss").exists() and User.objects.filter(username="m1").exists()


def test_a_role_at_the_wrong_kind_of_unit(world, tmp_path):
    report = run(world, tmp_path, [["某老师", "x1", "", "心理教师", "七年级(1)班"]])
    assert report.rejected == 1 and "is not held at a class" in report.problems[0].render()


def test_staff_page_upload_shows_passwords_once(world, client_for, tmp_path, settings):
    client = client_for(world.leader)
    path = write_csv(tmp_path / "staff.csv", [["陈老师", "t2026", "", "班主任", "七年级(3)班"]], header=HEADER)
    client.post(reverse("imports:staff_upload"), {"file": SimpleUploadedFile("staff.csv", path.read_bytes())})
    batch = ImportBatch.objects.get()
    assert batch.kind == "staff" and batch.status == "previewed" and not User.objects.filter(username="t2026").exists()
    client.post(reverse("imports:batch_commit", args=[batch.pk]), {"mode": "valid"})
    first = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    password = ImportBatch.objects.get().one_time_secrets
    assert password == [] and "Initial password" in first
    second = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "<code>" not in second and "<code>" in first


def test_staff_page_is_refused_without_staff_import(world, client_for):
    assert client_for(world.head).get(reverse("imports:staff_upload")).status_code == 403
    assert client_for(world.secadmin).get(reverse("imports:staff_upload")).status_code == 200


def test_import_staff_command(world, tmp_path):
    path = write_csv(tmp_path / "staff.csv", [["陈老师", "t2026", "", "班主任", "七年级(3)班"]], header=HEADER)
    out = io.StringIO()
    call_command("import_staff", str(path), "--school", "S-E1", "--as", "leader", stdout=out)
    report = json.loads(out.getvalue())
    assert report["created"] == 1 and report["initial_passwords"][0]["username"] == "t2026"
    bad = write_csv(tmp_path / "bad.csv", [["陈老师", "t2027", "", "厨师", "本校"]], header=HEADER)
    with pytest.raises(CommandError) as caught:
        call_command("import_staff", str(bad), "--school", "S-E1", stdout=io.StringIO())
    assert caught.value.returncode == 1
