"""FHIR a third party can use (pure core): scores as LOINC-coded Observations, a RiskAssessment for a
critical item, a subject identifier, canonical URLs, published CodeSystems, narratives — all valid R4
(fhir.resources R4B models), checked against the MII PHQ-9 definitions, and our round trip still exact."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runxin.screening.core import list_shipped, load_definition, score
from runxin.screening.core.codesystems import answers_code_system, risk_level_code_system, scores_code_system
from runxin.screening.core.fhir import (
    answers_from_questionnaire_response,
    definition_to_questionnaire,
    questionnaire_to_definition,
    validate_r4,
)
from runxin.screening.core.fhir_observations import pseudonym, result_bundle, subject_reference
from runxin.testing import shared

BASE = "https://runxin.example.cn"
SHARED_FHIR = shared.SHARED_FHIR
HERE = Path(__file__).resolve().parent
AUTHORED = datetime(2026, 9, 8, 9, 30, tzinfo=UTC)
FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
SUBJECT = subject_reference(student_id=7, student_number="G320502201001010213", base=BASE)
OBSERVATION_STATUS = {"registered", "preliminary", "final", "amended"}


def bundle_for(code: str, answers: dict, subject: dict = SUBJECT) -> dict:
    definition = load_definition(code)
    return result_bundle(definition, answers, score(definition, answers), subject=subject, authored=AUTHORED,
                         resource_id="runxin-result-12", base=BASE)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def phq9(total_each: int = 2, q9: int = 0) -> dict:
    return {f"q{n}": FREQ[total_each] for n in range(1, 9)} | {"q9": FREQ[q9], "q10": "LA6572-7"}


def first_answers(code: str) -> dict:
    """Every item that is always asked answered with its last option (yes for yes/no): the highest scores."""
    definition = load_definition(code)
    return {i.id: (i.options[-1].value if i.type == "choice" else "yes") for i in definition.items
            if i.ask_if is None and i.type != "text"}


def test_the_phq9_total_is_an_observation_with_loinc_44261_6_and_the_total_as_value():
    bundle = bundle_for("phq9", phq9(total_each=2, q9=1))  # 8 x 2 + 1 = 17: moderately severe
    response_url = bundle["entry"][0]["fullUrl"]
    (total,) = [o for o in resources(bundle, "Observation")
                if {"system": "http://loinc.org", "code": "44261-6"} in
                [{k: c[k] for k in ("system", "code")} for c in o["code"]["coding"]]]
    assert total["valueQuantity"] == {"value": 17, "unit": "{score}", "system": "http://unitsofmeasure.org",
                                      "code": "{score}"}
    assert total["status"] == "final" and total["category"][0]["coding"][0]["code"] == "survey"
    interpretation = total["interpretation"][0]
    assert interpretation["coding"] == [{"system": f"{BASE}/screening/fhir/CodeSystem/phq9/scores",
                                         "code": "total.moderately_severe", "display": interpretation["text"]}]
    assert interpretation["text"] == "中重度抑郁"
    assert total["derivedFrom"] == [{"reference": response_url, "type": "QuestionnaireResponse"}]
    assert total["subject"] == SUBJECT and total["effectiveDateTime"] == AUTHORED.isoformat()


def test_the_gad7_total_has_its_loinc_code_and_instruments_without_one_get_none_invented():
    gad = bundle_for("gad7", {f"q{n}": FREQ[1] for n in range(1, 8)})
    codes = [c["code"] for o in resources(gad, "Observation") for c in o["code"]["coding"]]
    assert "70274-6" in codes
    cesdc = bundle_for("cesdc", first_answers("cesdc"))
    (total,) = resources(cesdc, "Observation")
    assert [c["system"] for c in total["code"]["coding"]] == [f"{BASE}/screening/fhir/CodeSystem/cesdc/scores"]
    assert total["code"]["text"]


def test_psc17_publishes_an_observation_per_scale_with_its_band():
    bundle = bundle_for("psc17", first_answers("psc17"))
    observations = resources(bundle, "Observation")
    assert [o["code"]["coding"][-1]["code"] for o in observations] == ["internalizing", "attention",
                                                                       "externalizing", "total"]
    assert all(o["interpretation"][0]["coding"][0]["code"].endswith(".positive") for o in observations)


def test_a_critical_item_yields_a_risk_assessment_based_on_the_response_and_the_scores():
    bundle = bundle_for("phq9", phq9(total_each=0, q9=1))
    (risk,) = resources(bundle, "RiskAssessment")
    urls = [e["fullUrl"] for e in bundle["entry"]]
    prediction = risk["prediction"][0]
    assert {"system": "http://terminology.hl7.org/CodeSystem/risk-probability", "code": "high",
            "display": "High likelihood"} in prediction["qualitativeRisk"]["coding"]
    assert prediction["outcome"]["coding"][0]["code"] == "critical.q9"
    assert prediction["rationale"] == "报告有死亡或自伤的念头"
    assert [b["reference"] for b in risk["basis"]] == urls[:-1]  # the response and the total Observation
    assert risk["subject"] == SUBJECT and risk["status"] == "final"
    assert risk["method"]["coding"][0]["code"] == "44249-1"


def test_no_critical_item_no_risk_assessment():
    assert resources(bundle_for("phq9", phq9(total_each=3, q9=0)), "RiskAssessment") == []


def test_the_asq_outcome_is_an_observation_and_an_acute_positive_is_a_risk_assessment():
    answers = {"q1": "yes", "q2": "no", "q3": "no", "q4": "no", "q5": "yes"}
    bundle = bundle_for("asq", answers)
    (outcome,) = resources(bundle, "Observation")
    assert outcome["valueCodeableConcept"]["coding"][0]["code"] == "outcome.acute_positive"
    (risk,) = resources(bundle, "RiskAssessment")
    assert {p["outcome"]["coding"][0]["code"] for p in risk["prediction"]} == {"critical.q5", "outcome.acute_positive"}


@pytest.mark.parametrize("code", list_shipped())
def test_every_resource_is_valid_r4_and_has_a_generated_xhtml_narrative(code):
    bundle = bundle_for(code, first_answers(code))
    validate_r4(bundle)
    definition = load_definition(code)
    published = [definition_to_questionnaire(definition, base=BASE), answers_code_system(definition, BASE),
                 scores_code_system(definition, BASE), risk_level_code_system(BASE)]
    for resource in [*(e["resource"] for e in bundle["entry"]), *published]:
        validate_r4(resource)
        assert resource["text"]["status"] == "generated"
        div = ET.fromstring(resource["text"]["div"])  # noqa: S314 (our own output, parsed to check it is XHTML)
        assert div.tag == "{http://www.w3.org/1999/xhtml}div" and "".join(div.itertext()).strip()
    for resource in resources(bundle, "Observation") + resources(bundle, "RiskAssessment"):
        assert resource["status"] in OBSERVATION_STATUS  # fhir.resources does not check code bindings


def test_subject_carries_the_student_number_or_only_a_pseudonym():
    assert SUBJECT["identifier"] == {"use": "official", "system": f"{BASE}/screening/fhir/NamingSystem/student-number",
                                     "value": "G320502201001010213"}
    hidden = subject_reference(student_id=7, student_number=None, base=BASE, pseudonym_key="k")
    assert "reference" not in hidden and hidden["identifier"]["system"].endswith("/NamingSystem/pseudonym")
    assert hidden["identifier"]["value"] == pseudonym("k", 7) != pseudonym("k", 8) != pseudonym("other", 7)
    body = json.dumps(bundle_for("phq9", phq9(q9=1), subject=hidden))
    assert "G320502201001010213" not in body and "runxin-student-7" not in body


def test_every_code_used_is_in_the_published_code_systems():
    for code in list_shipped():
        definition = load_definition(code)
        questionnaire = definition_to_questionnaire(definition, base=BASE)
        answers_cs, scores_cs = answers_code_system(definition, BASE), scores_code_system(definition, BASE)
        published = {answers_cs["url"]: _codes(answers_cs), scores_cs["url"]: _codes(scores_cs),
                     risk_level_code_system(BASE)["url"]: _codes(risk_level_code_system(BASE))}
        used = [o["valueCoding"] for i in questionnaire["item"] for o in i.get("answerOption", [])]
        bundle = bundle_for(code, first_answers(code))
        used += [c for c in _codings(bundle) if c["system"].startswith(BASE)]
        for coding in used:
            if coding["system"] == "http://loinc.org":
                continue
            assert coding["code"] in published[coding["system"]], (code, coding)
        own = [c for c in used if c["system"] == answers_cs["url"]]
        assert {c["code"] for c in own} == _codes(answers_cs)  # and it lists nothing more


def _codes(code_system: dict) -> set[str]:
    def walk(concepts):
        for c in concepts:
            yield c["code"]
            yield from walk(c.get("concept", []))
    return set(walk(code_system.get("concept", [])))


def _codings(value):
    if isinstance(value, dict):
        if "system" in value and "code" in value and isinstance(value["code"], str):
            yield value
        for child in value.values():
            yield from _codings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _codings(child)


@pytest.mark.parametrize("code", list_shipped())
def test_canonical_exports_still_round_trip_exactly(code):
    definition = load_definition(code)
    questionnaire = json.loads(json.dumps(definition_to_questionnaire(definition, base=BASE)))
    assert questionnaire["url"] == f"{BASE}/screening/fhir/Questionnaire/{code}"
    assert questionnaire_to_definition(questionnaire).definition == definition
    answers = first_answers(code)
    response = bundle_for(code, answers)["entry"][0]["resource"]
    assert response["questionnaire"] == f"{questionnaire['url']}|{definition.version}"
    scored = score(definition, answers_from_questionnaire_response(definition, response))
    assert scored == score(definition, answers)


@shared.needs(SHARED_FHIR / "mii_phq9_q.json", SHARED_FHIR / "mii_phq9_qr.json")
def test_our_phq9_total_matches_the_mii_definition_and_its_recorded_total():
    """The MII (Medizininformatik-Initiative) PHQ-9 codes its total-score item 44261-6, as we code our total
    Observation; its example response, scored by us, gives the total it recorded, in our Observation."""
    mii_q = json.loads((SHARED_FHIR / "mii_phq9_q.json").read_text())
    mii_total = next(i for i in mii_q["item"] if i["linkId"] == "PHQ-9.Score")
    mii_qr = json.loads((SHARED_FHIR / "mii_phq9_qr.json").read_text())
    link_ids = {f"PHQ.{n}": f"q{n}" for n in range(1, 11)} | {"PHQ.Score": None}
    answers = answers_from_questionnaire_response(load_definition("phq9"), mii_qr, link_ids=link_ids)
    bundle = bundle_for("phq9", answers)
    total = next(o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["system"] == "http://loinc.org")
    assert total["code"]["coding"][0]["code"] == mii_total["code"][0]["code"] == "44261-6"
    recorded = next(i for i in mii_qr["item"] if i["linkId"] == "PHQ.Score")["answer"][0]["valueQuantity"]
    assert total["valueQuantity"]["value"] == recorded["value"] == 27
    assert recorded["system"] == total["valueQuantity"]["system"]  # both UCUM
    mii_answer_codes = {c["code"] for vs in ("mii_vs_phq9_ll358_3.json",)
                        for c in json.loads((HERE / "fixtures/fhir" / vs).read_text())["compose"]["include"][0]["concept"]}
    ours = {o["valueCoding"]["code"] for i in definition_to_questionnaire(load_definition("phq9"), base=BASE)["item"]
            if i["linkId"] == "q1" for o in i["answerOption"]}
    assert ours == mii_answer_codes  # the same LOINC answer list (LL358-3)
