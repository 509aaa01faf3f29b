"""Warnings for the provincial platform (the export's records, scoped like the warning pages), referrals, and
a hospital's feedback entered as a hospital report by a centre-scoped account."""

import pytest
from django.urls import reverse

from runxin.access.models import ReadEvent
from runxin.alerts.export import FIELDS
from runxin.alerts.models import WarningReport

pytestmark = pytest.mark.django_db


def test_warnings_are_export_records_in_scope_and_audited(api):
    rows = api.a.client.get(reverse("api:warnings")).json()["results"]
    assert [r["warning_id"] for r in rows] == [api.warning_a.pk]  # never school B's
    assert list(rows[0]) == [name for name, _doc in FIELDS]
    assert (rows[0]["student_name"], rows[0]["level_code"], rows[0]["referred"]) == ("张一", "red", True)
    assert ReadEvent.objects.filter(user=api.a.user, record_type="api.warnings", student=api.world.a1).exists()
    one = api.a.client.get(reverse("api:warning", args=[api.warning_a.pk]))
    assert one.status_code == 200 and one.json()["school_code"] == "S-E1"
    assert api.a.client.get(reverse("api:referrals")).json()["results"][0]["warning_id"] == api.warning_a.pk


def test_hospital_feedback_is_a_hospital_report(api):
    response = api.hospital.client.post(
        reverse("api:hospital_feedback", args=[api.warning_a.pk]),
        {"hospital_name": "市精神卫生中心", "summary": "门诊评估：中度抑郁，建议药物治疗并两周复诊。"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["warning_id"] == api.warning_a.pk  # joined the open warning
    report = WarningReport.objects.filter(warning=api.warning_a).order_by("-id").first()
    assert (report.source, report.reporter_name, report.reported_by) == ("hospital", "市精神卫生中心",
                                                                         api.hospital.user)


def test_hospital_feedback_refusals(api):
    url = reverse("api:hospital_feedback", args=[api.warning_b.pk])
    body = {"hospital_name": "市精神卫生中心", "summary": "复诊"}
    # The east district's account does not reach the west district's student: as if it did not exist.
    assert api.hospital.client.post(url, body, content_type="application/json").status_code == 404
    # A head teacher's account may not enter hospital reports (the centre and the psychology teacher do).
    from .conftest import integration

    head = integration(api.world, "class_sync", "head_teacher", api.world.class1)
    own = head.client.post(reverse("api:hospital_feedback", args=[api.warning_a.pk]), body,
                            content_type="application/json")
    assert own.status_code == 400
    assert not WarningReport.objects.filter(source="hospital").exists()
