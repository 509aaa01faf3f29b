"""Roster sync (学籍系统): students in scope by id pages and updated_since, audited; a roster batch imported
through the import app's own services (the same path as the upload page)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.api.models import ApiCall
from runxin.imports.models import ImportBatch
from runxin.imports.tests.helpers import NATIONAL_HEADER, student_row
from runxin.people.models import Student

pytestmark = pytest.mark.django_db


def test_students_of_the_school_paged_and_audited(api):
    w = api.world
    response = api.a.client.get(reverse("api:students"), {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    first = [row["name"] for row in body["results"]]
    assert first == ["张一", "李二"] and body["next"]
    rest = api.a.client.get(body["next"]).json()
    assert [row["name"] for row in rest["results"]] == ["王三"] and rest["next"] is None  # never 赵四 (school B)
    row = body["results"][0]
    assert row["student_number"] == w.a1.student_number  # the psychology teacher may see the ID number
    assert (row["school_code"], row["class_id"]) == ("S-E1", w.class1.pk)
    audited = set(ReadEvent.objects.filter(user=api.a.user, record_type="api.students").values_list("student_id",
                                                                                                    flat=True))
    assert audited == {w.a1.pk, w.a2.pk, w.b1.pk}
    call = ApiCall.objects.filter(user=api.a.user).order_by("id").first()
    assert (call.method, call.status, call.student_ids) == ("GET", 200, sorted([w.a1.pk, w.a2.pk]))
    assert call.path.startswith("/api/v1/students/")


def test_roster_level_account_gets_masked_numbers(api):
    from .conftest import integration

    hotline = integration(api.world, "hotline_sync", "hotline_operator", api.world.east)  # roster, no ID number
    rows = hotline.client.get(reverse("api:students")).json()["results"]
    numbers = {row["name"]: row["student_number"] for row in rows}
    assert set(numbers) == {"张一", "李二", "王三"}
    assert numbers["张一"] != api.world.a1.student_number and "*" in numbers["张一"]


def test_updated_since_and_unit_filters(api):
    w = api.world
    Student.objects.filter(pk=w.a2.pk).update(updated_at=timezone.now() + timedelta(days=1))
    since = (timezone.now() + timedelta(hours=1)).isoformat()
    rows = api.a.client.get(reverse("api:students"), {"updated_since": since}).json()["results"]
    assert [row["name"] for row in rows] == ["李二"]
    rows = api.a.client.get(reverse("api:students"), {"unit": w.class2.pk}).json()["results"]
    assert [row["name"] for row in rows] == ["王三"]
    assert api.a.client.get(reverse("api:students"), {"unit": w.other_school.pk}).status_code == 404
    assert api.a.client.get(reverse("api:students"), {"updated_since": "yesterday"}).status_code == 400


def _roster(rows) -> SimpleUploadedFile:
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(NATIONAL_HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile("roster.csv", buffer.getvalue().encode(), content_type="text/csv")


def test_roster_batch_through_the_import_services(api, django_capture_on_commit_callbacks):
    w = api.world
    upload = _roster([student_row(901, name="新生甲"), student_row(902, name="新生乙", klass="七年级(2)班")])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.a.client.post(reverse("api:import_batch_create"),
                                     {"school_id": w.school.pk, "kind": "students", "file": upload})
    assert response.status_code == 201, response.content
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    assert (batch.via, batch.created_by, batch.school) == ("api", api.a.user, w.school)
    detail = api.a.client.get(reverse("api:import_batch", args=[batch.pk])).json()
    assert (detail["status"], detail["rows_read"], detail["rejected"]) == ("previewed", 2, 0)
    assert not Student.objects.filter(name="新生甲").exists()  # the check writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = api.a.client.post(reverse("api:import_batch_commit", args=[batch.pk]), {"mode": "all"},
                                     content_type="application/json")
    assert response.status_code == 202
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED and batch.created == 2
    assert set(Student.objects.filter(name__startswith="新生").values_list("school_id", flat=True)) == {w.school.pk}
    again = api.a.client.post(reverse("api:import_batch_commit", args=[batch.pk]), {"mode": "all"},
                              content_type="application/json")
    assert again.status_code == 409  # imported once, never twice

    # School B's account sees neither the batch nor may it import into school A.
    assert api.b.client.get(reverse("api:import_batch", args=[batch.pk])).status_code == 404
    refused = api.b.client.post(reverse("api:import_batch_create"),
                                {"school_id": w.school.pk, "kind": "students", "file": _roster([student_row(903)])})
    assert refused.status_code == 404
    assert ImportBatch.objects.count() == 1


def test_an_account_without_import_rights_cannot_upload(api):
    from .conftest import integration

    head = integration(api.world, "class_sync", "head_teacher", api.world.class1)
    response = head.client.post(reverse("api:import_batch_create"),
                                {"school_id": api.world.school.pk, "file": _roster([student_row(904)])})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()
