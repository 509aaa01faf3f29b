"""Instrument administration: shipped instruments seeded, upload with every problem shown, FHIR import,
try answers, publish, and versions that scored a result protected from deletion."""

import json
import uuid
from pathlib import Path

import pytest

from runxin.screening import services
from runxin.screening.core.fhir import definition_to_questionnaire
from runxin.screening.core.loader import list_shipped
from runxin.screening.models import InstrumentVersion
from runxin.testing import shared

from .helpers import phqa_answers, target_of, version

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
# shared/ lies beside the checkout (../shared), as on every developer machine and in CI.
SHARED = shared.SHARED_FHIR


def shipped_json(code: str) -> dict:
    return services.definition_of(version(code)).to_dict()


def test_shipped_instruments_are_stored_and_published_after_migrate(world):
    stored = set(InstrumentVersion.objects.filter(source="shipped", is_published=True)
                 .values_list("instrument__code", flat=True))
    assert stored == set(list_shipped())
    report = services.instruments_load_shipped()
    assert {status for _c, _v, status in report} == {"present"}  # loading again changes nothing


def test_upload_a_new_version_then_try_and_publish(world, client_for):
    client = client_for(world.city_admin)
    data = shipped_json("gad7") | {"version": "1.1.0"}
    response = client.post("/screening/instruments/upload/", {"text": json.dumps(data, ensure_ascii=False)})
    assert response.status_code == 302
    new = InstrumentVersion.objects.get(instrument__code="gad7", version="1.1.0")
    assert not new.is_published and new.source == "upload" and new.uploaded_by == world.city_admin
    answers = json.dumps({f"q{n}": "LA6571-9" for n in range(1, 8)})
    page = client.post(f"/screening/instruments/{new.pk}/", {"answers": answers})
    body = page.content.decode()
    assert page.status_code == 200 and "&quot;value&quot;: 21" in body and "severe" in body
    client.post(f"/screening/instruments/{new.pk}/publish/")
    new.refresh_from_db()
    assert new.is_published and new.published_by == world.city_admin


def test_an_invalid_definition_lists_every_problem_and_keeps_the_text(world, client_for):
    data = shipped_json("gad7") | {"version": "2.0.0"}
    data["scales"][0]["bands"][1]["min"] = 6  # leaves a gap after 0–4
    data["items"][0]["option_set"] = "nope"
    response = client_for(world.sysadmin).post("/screening/instruments/upload/", {"text": json.dumps(data)})
    body = response.content.decode()
    assert response.status_code == 400
    assert "items[0]" in body and "gap" in body
    assert "&quot;version&quot;: &quot;2.0.0&quot;" in body  # nothing typed is lost
    assert not InstrumentVersion.objects.filter(version="2.0.0").exists()


def test_not_json_says_where(world, client_for):
    response = client_for(world.city_admin).post("/screening/instruments/upload/", {"text": '{"code": "x",\n oops}'})
    assert response.status_code == 400 and "line 2" in response.content.decode()


def test_the_same_version_number_with_other_content_is_refused(world):
    data = shipped_json("gad7")
    data["title"] = {"zh-Hans": "改过的", "en": "changed"}
    with pytest.raises(services.ScreeningError) as exc:
        services.instrument_upload(user=world.city_admin, text=json.dumps(data))
    assert "new version number" in exc.value.message


def test_fhir_questionnaire_upload_round_trips(world, client_for):
    questionnaire = definition_to_questionnaire(services.definition_of(version("who5")))
    questionnaire["version"] = "1.0.1"
    upload = services.instrument_upload(user=world.city_admin, text=json.dumps(questionnaire))
    assert upload.created and upload.version.source == "fhir" and upload.version.version == "1.0.1"
    assert upload.version.definition["items"] == shipped_json("who5")["items"]


@shared.needs(SHARED / "mii_phq9_q.json")
def test_a_foreign_fhir_bundle_imports_with_its_value_sets(world):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": json.loads((SHARED / "mii_phq9_q.json").read_text())},
        {"resource": json.loads((FIXTURES / "mii_vs_phq9_ll358_3.json").read_text())},
        {"resource": json.loads((FIXTURES / "mii_vs_phq9_ll359_1.json").read_text())},
    ]}
    with pytest.raises(services.ScreeningError) as exc:
        services.instrument_upload(user=world.city_admin, text=json.dumps(bundle))
    assert "no version" in exc.value.message
    upload = services.instrument_upload(user=world.city_admin, text=json.dumps(bundle), version="2026.1")
    assert upload.created and not upload.version.is_published and upload.version.version == "2026.1"
    assert upload.version.definition["scales"]


def test_a_version_that_scored_results_cannot_be_deleted(world, client_for, campaign):
    services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                               answers={"phqa": phqa_answers()})
    phqa = version("phqa")
    response = client_for(world.city_admin).post(f"/screening/instruments/{phqa.pk}/delete/")
    assert response.status_code == 302
    assert InstrumentVersion.objects.filter(pk=phqa.pk).exists()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        phqa.delete()


def test_an_unused_upload_can_be_deleted(world, client_for):
    upload = services.instrument_upload(user=world.city_admin, text=json.dumps(shipped_json("asq") | {"version": "9"}))
    client_for(world.city_admin).post(f"/screening/instruments/{upload.version.pk}/delete/")
    assert not InstrumentVersion.objects.filter(pk=upload.version.pk).exists()


def test_downloads_are_the_definition_and_a_fhir_questionnaire(world, client_for):
    client = client_for(world.city_admin)
    gad = version("gad7")
    assert client.get(f"/screening/instruments/{gad.pk}/download/json/").json()["code"] == "gad7"
    assert client.get(f"/screening/instruments/{gad.pk}/download/fhir/").json()["resourceType"] == "Questionnaire"


@pytest.mark.parametrize("who", ["psych", "head", "outsider", "auditor", "district_centre", "student_user"])
def test_instrument_admin_is_for_city_and_system_admins_only(world, client_for, who):
    client = client_for(getattr(world, who))
    gad = version("gad7")
    for url in ("/screening/instruments/", "/screening/instruments/upload/", f"/screening/instruments/{gad.pk}/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/screening/instruments/{gad.pk}/delete/").status_code == 403


def test_instrument_list_query_count(world, client_for, django_assert_max_num_queries):
    client = client_for(world.sysadmin)
    with django_assert_max_num_queries(8):
        response = client.get("/screening/instruments/")
    assert response.status_code == 200 and "phqa" in response.content.decode()
    # Who answers, in words (it showed the raw "student" / "parent").
    from django.utils import translation

    with translation.override("zh-hans"):
        body = client.get("/screening/instruments/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">学生</td>" in body and ">student</td>" not in body and ">parent</td>" not in body
