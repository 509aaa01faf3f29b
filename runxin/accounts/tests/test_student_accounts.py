"""Students' accounts from the roster (issue 11, item 3): issuing is idempotent, the credential sheet carries every
username and only unused first passwords, which are never in the database in clear; the first sign-in forces a
new password; resets are audited; another class's head teacher can neither print nor reset; a student who left
cannot sign in and the sweep closes the account (or moves it with a transfer)."""

import base64
import re
import zlib

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.accounts import sealed, students
from runxin.accounts.models import StudentCredential, User
from runxin.people import services as people_services
from runxin.people.models import RoleAssignment, Student
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
NEW_PASSWORD = "Kite-Orchard-47!"


def pdf_text(body: bytes) -> str:
    """The text-drawing operators of every (deflated) content stream: enough to find a username or password."""
    assert body.startswith(b"%PDF")
    chunks = []
    for header, stream in re.findall(rb"<<([^>]*?)>>\s*stream\r?\n(.*?)endstream", body, re.S):
        if b"ASCII85Decode" in header:
            stream = base64.a85decode(stream.strip().removesuffix(b"~>"), adobe=False)
        if b"FlateDecode" in header:
            stream = zlib.decompress(stream)
        chunks.append(stream.decode("latin-1"))
    return "\n".join(chunks)


@pytest.fixture
def world(world):
    """The shared world, but 张一 (a1) has no account yet: the world's student_a1 loses its role here."""
    RoleAssignment.objects.filter(user=world.student_user).delete()
    return world


def issue(world, actor=None, school_class=None):
    return students.issue_for_class(actor=actor or world.head, school_class=school_class or world.class1)


def credential_of(student) -> StudentCredential:
    return StudentCredential.objects.select_related("user").get(student=student)


def first_password(student) -> str:
    return sealed.unseal(credential_of(student).first_password)


# ---- issuing --------------------------------------------------------------------------------------------


def test_issuing_gives_every_enrolled_student_an_account_once(world):
    done = issue(world)
    assert (done.created, done.existing) == (2, 0)
    for student in (world.a1, world.a2):
        credential = credential_of(student)
        user = credential.user
        assert user.must_change_password and user.is_active and user.display_name == student.name
        assert re.fullmatch(r"se1-[2-9a-z]{5}", user.username) and student.student_number not in user.username
        assert RoleAssignment.objects.filter(user=user, role="student", student=student, org_unit=world.class1,
                                             is_active=True).exists()
        password = first_password(student)
        assert user.check_password(password) and not set(password) & set("0O1lI")
    again = issue(world)
    assert (again.created, again.reopened, again.existing) == (0, 0, 2)
    assert StudentCredential.objects.count() == 2
    assert RoleAssignment.objects.filter(role="student", student__in=[world.a1, world.a2]).count() == 2


def test_issuing_again_issues_only_the_missing_ones(world):
    issue(world)
    a1_user = credential_of(world.a1).user
    newcomer = f.StudentFactory(name="周五", school_class=world.class1)
    done = issue(world)
    assert (done.created, done.existing) == (1, 2)
    assert credential_of(world.a1).user == a1_user and credential_of(newcomer).user.username in done.usernames


def test_an_account_made_before_is_kept_not_doubled(world):
    earlier = f.UserFactory(username="li_er")
    f.assign(earlier, "student", world.class1, world.a2)
    done = issue(world)
    assert (done.created, done.existing) == (1, 1)
    assert credential_of(world.a2).user == earlier and credential_of(world.a2).first_password == ""
    assert RoleAssignment.objects.filter(role="student", student=world.a2).count() == 1


def test_the_first_password_is_never_in_the_database_in_clear(world):
    issue(world)
    password = first_password(world.a1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT first_password FROM accounts_studentcredential")
        stored = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT password FROM accounts_user WHERE username LIKE 'se1-%%'")
        hashes = [row[0] for row in cursor.fetchall()]
    assert stored and all(password not in value for value in stored + hashes)
    assert all(value.startswith("gAAAA") for value in stored)  # Fernet tokens


def test_a_school_leader_issues_for_the_whole_school(world, client_for):
    response = client_for(world.leader).post(reverse("accounts:student_accounts_issue_school", args=[world.school.pk]))
    assert response.status_code == 302
    assert set(StudentCredential.objects.values_list("student_id", flat=True)) == {world.a1.pk, world.a2.pk,
                                                                                    world.b1.pk}


def test_the_head_teacher_sees_who_has_an_account_and_who_has_signed_in(world, client_for):
    client = client_for(world.head)
    url = reverse("accounts:student_accounts", args=[world.class1.pk])
    page = client.get(url).content.decode()
    assert "张一" in page and "李二" in page and "王三" not in page
    client.post(reverse("accounts:student_accounts_issue", args=[world.class1.pk]))
    page = client.get(url).content.decode()
    assert credential_of(world.a1).user.username in page and 'id="print-sheet"' in page
    assert client.get(reverse("accounts:student_accounts_home")).url == url  # one class: straight there


# ---- the sheet ------------------------------------------------------------------------------------------


def test_the_sheet_has_every_username_and_unused_first_passwords_only_and_is_read_audited(world, client_for):
    issue(world)
    a1, a2 = credential_of(world.a1), credential_of(world.a2)
    a2_password = first_password(world.a2)
    a1.user.set_password(NEW_PASSWORD)
    a1.user.save()
    from runxin.accounts import services

    services.password_changed(user=a1.user)
    assert credential_of(world.a1).first_password == ""  # erased at the change
    response = client_for(world.head).get(reverse("accounts:student_accounts_sheet", args=[world.class1.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    text = pdf_text(response.content)
    assert a1.user.username in text and a2.user.username in text
    assert a2_password in text and NEW_PASSWORD not in text
    reads = ReadEvent.objects.filter(user=world.head, record_type="student_credentials")
    assert set(reads.values_list("student_id", flat=True)) == {world.a1.pk, world.a2.pk}


@pytest.mark.parametrize("who", ["other_head", "mentor", "student_user", "parent", "outsider", "city_admin"])
def test_others_cannot_print_the_sheet_or_reset(world, client_for, who):
    issue(world)
    before = credential_of(world.a1).first_password
    if who == "other_head":
        user = f.UserFactory(username="head2")
        f.assign(user, "head_teacher", world.class2)
    else:
        user = getattr(world, who)
    client = client_for(user)
    assert client.get(reverse("accounts:student_accounts_sheet", args=[world.class1.pk])).status_code in (403, 404)
    assert client.get(reverse("accounts:student_accounts", args=[world.class1.pk])).status_code in (403, 404)
    assert client.post(reverse("accounts:student_accounts_issue", args=[world.class1.pk])).status_code in (403, 404)
    assert client.post(reverse("accounts:student_account_reset", args=[world.a1.pk])).status_code in (403, 404)
    assert credential_of(world.a1).first_password == before
    assert not ReadEvent.objects.filter(user=user, record_type="student_credentials").exists()


def test_a_head_teacher_cannot_issue_for_the_whole_school(world, client_for):
    response = client_for(world.head).post(reverse("accounts:student_accounts_issue_school", args=[world.school.pk]))
    assert response.status_code == 404 and not StudentCredential.objects.exists()


# ---- first sign-in, reset ----------------------------------------------------------------------------------


def test_first_sign_in_forces_a_new_password_and_asks_no_second_factor(world, settings):
    settings.SECOND_FACTOR_WAIVED = False
    issue(world)
    credential = credential_of(world.a1)
    client = Client()
    response = client.post(LOGIN, {"username": credential.user.username, "password": first_password(world.a1)})
    assert response.status_code == 302
    response = client.get(reverse("screening:mine"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/password/?next=")
    response = client.post(f"/accounts/password/?next={reverse('screening:mine')}", {
        "old_password": first_password(world.a1), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("screening:mine")
    assert client.get(reverse("screening:mine")).status_code == 200
    credential.refresh_from_db()
    credential.user.refresh_from_db()
    assert credential.first_password == "" and not credential.user.must_change_password


def test_the_sign_in_page_takes_the_username_from_the_qr_code(world, client):
    page = client.get(LOGIN + "?username=se1-abcde").content.decode()
    assert 'value="se1-abcde"' in page


def test_a_reset_gives_a_new_first_password_and_is_audited(world, client_for):
    issue(world)
    credential = credential_of(world.a1)
    old = first_password(world.a1)
    response = client_for(world.psych).post(reverse("accounts:student_account_reset", args=[world.a1.pk]))
    assert response.status_code == 302
    new = first_password(world.a1)
    user = User.objects.get(pk=credential.user_id)
    assert new != old and user.check_password(new) and user.must_change_password
    event = LogEntry.objects.filter(content_type__model="user", object_pk=str(user.pk),
                                    changes__icontains="new first password").latest("timestamp")
    assert event.actor == world.psych
    assert StudentCredential.objects.get(pk=credential.pk).reset_by == world.psych


def test_a_school_leader_may_issue_but_not_reset(world, client_for):
    issue(world, actor=world.leader)
    response = client_for(world.leader).post(reverse("accounts:student_account_reset", args=[world.a1.pk]))
    assert response.status_code == 403


# ---- leaving ---------------------------------------------------------------------------------------------


def sign_in(student) -> tuple[Client, object]:
    client = Client()
    response = client.post(LOGIN, {"username": credential_of(student).user.username,
                                   "password": first_password(student)})
    return client, response


def test_a_student_who_left_cannot_sign_in_and_is_signed_out_at_once(world):
    issue(world)
    client, response = sign_in(world.a1)
    assert response.status_code == 302
    people_services.student_graduate(student=Student.objects.get(pk=world.a1.pk), on=timezone.localdate())
    # the open session ends at its next request
    response = client.get(reverse("screening:mine"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert client.get(reverse("screening:mine")).status_code == 302
    # and a new sign-in is refused, before the sweep has run
    _client, response = sign_in(world.a1)
    assert response.status_code == 200 and response.context["form"].errors


def test_the_sweep_closes_accounts_of_students_who_left_and_moves_transfers(world):
    issue(world)
    left = credential_of(world.a1)
    Student.objects.filter(pk=world.a1.pk).update(status=Student.Status.TRANSFERRED_OUT)
    moved = credential_of(world.a2)
    people_services.student_place(student=Student.objects.get(pk=world.a2.pk), school_class=world.other_class,
                                  on=timezone.localdate(), reason="transferred_in")
    result = students.sweep()
    assert (result.closed, result.moved) == (1, 1)
    left.refresh_from_db()
    left.user.refresh_from_db()
    assert not left.user.is_active and left.ended_at and left.first_password == ""
    assert not RoleAssignment.objects.filter(user=left.user, is_active=True).exists()
    assignment = RoleAssignment.objects.get(user=moved.user, role="student", is_active=True)
    assert assignment.org_unit == world.other_class
    client, response = sign_in(world.a2)
    assert response.status_code == 302 and client.get(reverse("screening:mine")).status_code == 302  # password
    assert students.sweep() == students.Swept()  # nothing left to do


def test_a_student_who_comes_back_gets_the_old_account_with_a_new_first_password(world):
    issue(world)
    credential = credential_of(world.a1)
    Student.objects.filter(pk=world.a1.pk).update(status=Student.Status.SUSPENDED)
    students.sweep()
    Student.objects.filter(pk=world.a1.pk).update(status=Student.Status.ENROLLED)
    done = issue(world)
    assert done.reopened == 1 and credential_of(world.a1).user == credential.user
    assert credential_of(world.a1).user.is_active and first_password(world.a1)


def test_the_sweep_runs_from_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "runxin.accounts.tasks.student_accounts_sweep" in tasks
