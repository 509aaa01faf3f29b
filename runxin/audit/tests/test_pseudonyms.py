"""Issue 9 item 5: the audit administrator audits without learning who the students and families are. Students,
guardians and the accounts of students, parents and class psych committee members appear by a stable
pseudonym in the search, the change detail and the exports; staff appear by username."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from runxin.access.read_audit import record_read
from runxin.audit.selectors import pseudonym
from runxin.people.models import Guardian, RoleAssignment
from runxin.testing import factories as f
from runxin.testing.factories import TEST_PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.django_db

SEARCH = reverse("audit:search")


@pytest.fixture
def family(world):
    """A parent account for 李二 and the guardian row naming her, made the way the app makes them (model saves,
    so the change log records them), a sign-in by the parent, and a staff read of the child's profile."""
    parent = f.UserFactory(username="li_mama_138", display_name="李妈妈")
    assignment = RoleAssignment.objects.create(user=parent, role="parent", org_unit=world.class1, student=world.a2)
    guardian = Guardian.objects.create(student=world.a2, position=1, name="李母亲", relation="母亲",
                                       phone="13912345678", user=parent)
    parent.display_name = "李妈妈二"
    parent.save()
    sign_in("li_mama_138", TEST_PASSWORD, "10.9.9.9")
    record_read(user=world.psych, student=world.a2, record_type="student.profile", record_id=world.a2.pk)
    world.parent_li, world.li_assignment, world.li_guardian = parent, assignment, guardian
    return world


SECRETS = ("李妈妈", "李母亲", "li_mama_138", "李二", "13912345678")


def _no_secrets(text: str, world) -> None:
    for secret in (*SECRETS, world.a2.student_number, world.a1.student_number, "张一", "parent_a1",
                   "student_a1", world.a1.name):
        assert secret not in text, secret


def test_search_shows_families_by_pseudonym_and_staff_by_username(family, client_for):
    client = client_for(family.auditor)
    first = client.get(SEARCH).content.decode()
    _no_secrets(first, family)
    assert pseudonym("user", family.parent_li.pk) in first
    assert pseudonym("student", family.a2.pk) in first
    assert pseudonym("guardian", family.li_guardian.pk) in first
    assert ">psych<" in first  # the staff member who read the profile is named
    again = client.get(SEARCH, {"action": "sign_in"}).content.decode()
    assert pseudonym("user", family.parent_li.pk) in again  # the same pseudonym on another page


def test_search_by_a_full_student_number_finds_the_rows_without_printing_the_number(family, client_for):
    response = client_for(family.auditor).get(SEARCH, {"subject": family.a2.student_number})
    rows = response.context["page"].rows
    assert rows and {row.student for row in rows} == {pseudonym("student", family.a2.pk)}
    body = response.content.decode()
    _no_secrets(body[body.index("<table"):body.index("</table>")], family)  # the search box echoes the number


@pytest.mark.parametrize("model", [RoleAssignment, Guardian, "user"])
def test_change_detail_names_no_family_member(family, client_for, model):
    from runxin.accounts.models import User

    obj = {RoleAssignment: family.li_assignment, Guardian: family.li_guardian, "user": family.parent_li}[model]
    model_class = User if model == "user" else model
    entry = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model_class),
                                    object_pk=str(obj.pk)).earliest("timestamp")
    response = client_for(family.auditor).get(reverse("audit:change_detail", args=[entry.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    _no_secrets(body, family)
    if model is not Guardian:
        assert pseudonym("user", family.parent_li.pk) in body
    if model is not User and model != "user":
        assert pseudonym("student", family.a2.pk) in body


def test_exports_name_no_family_member(family, client_for):
    client = client_for(family.auditor)
    response = client.get(reverse("audit:export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8")
    _no_secrets(text, family)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert pseudonym("user", family.parent_li.pk) in {line[2] for line in lines[1:]}
    assert pseudonym("student", family.a2.pk) in {line[6] for line in lines[1:]}
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(reverse("audit:export", args=["xlsx"])).content))
    cells = " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row if c)
    _no_secrets(cells, family)
    assert pseudonym("user", family.parent_li.pk) in cells


def test_pseudonyms_are_keyed_by_the_secret_key(settings, world):
    before = pseudonym("student", world.a1.pk)
    assert before == pseudonym("student", world.a1.pk) and before.endswith(before[-8:])
    assert pseudonym("student", world.a1.pk) != pseudonym("student", world.a2.pk)
    settings.SECRET_KEY = "another-key-for-this-test-only-0123456789abcdef"
    assert pseudonym("student", world.a1.pk) != before
