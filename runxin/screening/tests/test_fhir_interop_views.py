"""FHIR a third party can use, through the site: a result's Bundle (and who is refused), the subject's
identifier, canonical Questionnaire URLs and CodeSystem URLs that resolve, and what they show to whom."""

import json
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings

from runxin.access.models import ReadEvent
from runxin.screening import services
from runxin.screening.core.fhir import validate_r4
from runxin.screening.models import Result, Submission

from .helpers import FREQ, notify_guardians, open_campaign, target_of, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def phq9_result(world):
    """張一's PHQ-9 in a campaign of that instrument alone: every item 'several days', item 9 included."""
    campaign = open_campaign(world, versions=[version("phq9")])
    notify_guardians(world, campaign)
    answers = {f"q{n}": FREQ[1] for n in range(1, 10)} | {"q10": "LA6572-7"}
    accepted = services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                          answers={"phq9": answers})
    submission = Submission.objects.get(pk=accepted.submission_id)
    return submission, Result.objects.get(submission=submission, instrument_code="phq9")


def local(url: str) -> str:
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL):]


def test_the_result_bundle_has_the_loinc_total_the_risk_assessment_and_the_student_number(world, client_for,
                                                                                          phq9_result):
    submission, result = phq9_result
    response = client_for(world.psych).get(f"/screening/results/{submission.pk}/fhir/{result.pk}.bundle.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    validate_r4(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["QuestionnaireResponse", "Observation", "RiskAssessment"]
    total = bundle["entry"][1]["resource"]
    assert total["code"]["coding"][0]["code"] == "44261-6" and total["valueQuantity"]["value"] == 9
    identifier = {"use": "official", "system": f"{settings.SITE_URL}/screening/fhir/NamingSystem/student-number",
                  "value": world.a1.student_number}
    assert all(e["resource"]["subject"]["identifier"] == identifier for e in bundle["entry"])
    assert ReadEvent.objects.filter(user=world.psych, student=world.a1, record_type="screening.result.fhir",
                                    record_id=str(result.pk)).count() == 1


def test_a_pseudonymous_bundle_carries_neither_the_student_number_nor_our_id(world, client_for, phq9_result):
    submission, result = phq9_result
    url = f"/screening/results/{submission.pk}/fhir/{result.pk}.bundle.json?subject=pseudonym"
    body = client_for(world.psych).get(url).content.decode()
    assert world.a1.student_number not in body and f"runxin-student-{world.a1.pk}" not in body
    subject = json.loads(body)["entry"][0]["resource"]["subject"]
    assert subject["identifier"]["system"] == f"{settings.SITE_URL}/screening/fhir/NamingSystem/pseudonym"
    again = client_for(world.district_centre).get(url).json()["entry"][0]["resource"]["subject"]
    assert again == subject  # stable: two exports of one student can be linked without naming them


def test_the_questionnaire_response_alone_also_names_its_subject(world, client_for, phq9_result):
    submission, result = phq9_result
    resource = client_for(world.psych).get(f"/screening/results/{submission.pk}/fhir/{result.pk}.json").json()
    assert resource["resourceType"] == "QuestionnaireResponse"
    assert resource["subject"]["identifier"]["value"] == world.a1.student_number
    assert resource["questionnaire"] == f"{settings.SITE_URL}/screening/fhir/Questionnaire/phq9|1.2.0"


@pytest.mark.parametrize(("who", "status"), [("other_psych", 404), ("head", 403), ("leader", 403),
                                             ("outsider", 403), ("city_admin", 403)])
def test_the_bundle_is_refused_outside_clinical_scope(world, client_for, phq9_result, who, status):
    submission, result = phq9_result
    url = f"/screening/results/{submission.pk}/fhir/{result.pk}.bundle.json"
    assert client_for(getattr(world, who)).get(url).status_code == status
    assert not ReadEvent.objects.exists()


def test_the_canonical_url_resolves_to_the_same_questionnaire_for_anyone(world, client, client_for):
    gad = version("gad7")
    downloaded = client_for(world.city_admin).get(f"/screening/instruments/{gad.pk}/download/fhir/").json()
    path = local(downloaded["url"])
    assert path == "/screening/fhir/Questionnaire/gad7"
    for url in (path, f"{path}?version={gad.version}", f"{path}|{gad.version}", f"{path}{quote('|')}{gad.version}"):
        response = client.get(url)  # anonymous: a shipped instrument is public
        assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json", url
        assert response.json() == downloaded
    assert client.get(f"{path}?version=9.9.9").status_code == 404
    assert client.get("/screening/fhir/Questionnaire/nosuch").status_code == 404


def test_the_answer_code_system_resolves_and_holds_every_answer_code_used(client):
    questionnaire = client.get("/screening/fhir/Questionnaire/cesdc").json()
    used = {(o["valueCoding"]["system"], o["valueCoding"]["code"]) for i in questionnaire["item"]
            for o in i.get("answerOption", [])}
    systems = {system for system, _ in used}
    assert systems == {f"{settings.SITE_URL}/screening/fhir/CodeSystem/cesdc/answers"}
    response = client.get(local(systems.pop()))
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    code_system = response.json()
    validate_r4(code_system)
    assert {c["code"] for c in code_system["concept"]} == {code for _, code in used}
    assert code_system["version"] == questionnaire["version"]


def test_the_bundle_codes_resolve_to_published_code_systems(world, client, client_for, phq9_result):
    submission, result = phq9_result
    bundle = client_for(world.psych).get(f"/screening/results/{submission.pk}/fhir/{result.pk}.bundle.json").json()
    total, risk = bundle["entry"][1]["resource"], bundle["entry"][2]["resource"]
    band = total["interpretation"][0]["coding"][0]
    level = risk["prediction"][0]["qualitativeRisk"]["coding"][1]
    for coding in (band, level, risk["prediction"][0]["outcome"]["coding"][0]):
        code_system = client.get(local(coding["system"])).json()
        codes = {c["code"] for top in code_system["concept"] for c in [top, *top.get("concept", [])]}
        assert coding["code"] in codes, coding
    for name in ("student-number", "pseudonym"):
        naming = client.get(f"/screening/fhir/NamingSystem/{name}").json()
        validate_r4(naming)
        assert naming["uniqueId"][0]["value"] == f"{settings.SITE_URL}/screening/fhir/NamingSystem/{name}"


def test_an_uploaded_instrument_is_shown_to_screening_staff_only_and_drafts_to_no_one(world, client, client_for):
    data = json.loads(json.dumps(services.definition_of(version("who5")).to_dict()))
    upload = services.instrument_upload(user=world.city_admin, text=json.dumps(data | {"version": "2.0.0"}))
    path = "/screening/fhir/Questionnaire/who5|2.0.0"
    assert client_for(world.city_admin).get(path).status_code == 404  # not published yet
    services.instrument_publish(user=world.city_admin, version=upload.version)
    assert client.get(path).status_code == 404  # may be licensed: not for the public
    assert client_for(world.outsider).get(path).status_code == 404
    assert client_for(world.head).get(path).status_code == 200  # SCREENING_PROGRESS
    assert client_for(world.head).get("/screening/fhir/CodeSystem/who5/answers?version=2.0.0").status_code == 200
    assert client.get("/screening/fhir/CodeSystem/who5/answers?version=2.0.0").status_code == 404
    assert client.get("/screening/fhir/CodeSystem/who5/answers?version=1.2.0").status_code == 200  # shipped
    assert client.get("/screening/fhir/CodeSystem/who5/other").status_code == 404
