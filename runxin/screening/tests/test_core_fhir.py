"""FHIR R4 Questionnaire / QuestionnaireResponse: export, round trip, third-party import, validation."""

import copy
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runxin.screening.core import list_shipped, load_definition, score
from runxin.screening.core.fhir import (
    CO_VALUE,
    ITEM_WEIGHT,
    ORDINAL_VALUE,
    RULES_EXT,
    SCALE_SCORE_EXT,
    FhirError,
    answers_from_questionnaire_response,
    definition_to_questionnaire,
    questionnaire_to_definition,
    result_to_questionnaire_response,
    validate_r4,
)
from runxin.testing import shared

HERE = Path(__file__).resolve().parent
# shared/ lies beside the checkout (../shared), as on every developer machine and in CI.
SHARED_FHIR = shared.SHARED_FHIR
MII_Q = SHARED_FHIR / "mii_phq9_q.json"
MII_QR = SHARED_FHIR / "mii_phq9_qr.json"
needs_mii = shared.needs(MII_Q, MII_QR)  # skipped without ../shared locally, a failure in CI
FREQUENCY = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
AUTHORED = datetime(2025, 9, 8, 9, 30, tzinfo=UTC)
ALL_DEFINITIONS = [*list_shipped(), *(str(p) for p in sorted((HERE / "fixtures").glob("*.json")))]


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def mii_value_sets() -> list[dict]:
    return [load_json(HERE / "fixtures/fhir/mii_vs_phq9_ll358_3.json"),
            load_json(HERE / "fixtures/fhir/mii_vs_phq9_ll359_1.json")]


def random_phq9_answers(rng: random.Random) -> dict[str, str | None]:
    answers: dict[str, str | None] = {f"q{n}": rng.choice(FREQUENCY) for n in range(1, 10)}
    if rng.random() < 0.3:
        answers[f"q{rng.randint(1, 8)}"] = None
    return answers


@pytest.mark.parametrize("name", ALL_DEFINITIONS, ids=lambda n: Path(n).stem)
def test_export_is_valid_r4_and_imports_back_to_the_same_definition(name):
    definition = load_definition(name)
    questionnaire = definition_to_questionnaire(definition)
    validate_r4(questionnaire)
    imported = questionnaire_to_definition(json.loads(json.dumps(questionnaire)))
    assert imported.definition == definition
    assert imported.notes == ()


def test_phq9_export_uses_codings_ordinal_values_and_translations():
    questionnaire = definition_to_questionnaire(load_definition("phq9"))
    assert (questionnaire["language"], questionnaire["code"][0]["code"]) == ("zh-Hans", "44249-1")
    assert questionnaire["item"][0]["type"] == "display"  # the instructions
    item9 = next(i for i in questionnaire["item"] if i["linkId"] == "q9")
    assert item9["code"] == [{"system": "http://loinc.org", "code": "44260-8"}]
    assert item9["_text"]["extension"][0]["extension"][1]["valueString"].startswith("Thoughts that you would be")
    option = item9["answerOption"][1]
    assert option["valueCoding"]["system"] == "http://loinc.org"
    assert option["valueCoding"]["code"] == "LA6569-3"
    assert option["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": 1}]
    item10 = next(i for i in questionnaire["item"] if i["linkId"] == "q10")
    assert all("extension" not in o for o in item10["answerOption"])  # unscored
    assert item10["required"] is False


def test_asq_export_uses_booleans_and_enable_when():
    questionnaire = definition_to_questionnaire(load_definition("asq"))
    q5 = next(i for i in questionnaire["item"] if i["linkId"] == "q5")
    assert q5["type"] == "boolean"
    assert q5["enableBehavior"] == "any"
    assert q5["enableWhen"][0] == {"question": "q1", "operator": "=", "answerBoolean": True}


def test_reverse_items_export_the_score_they_contribute():
    questionnaire = definition_to_questionnaire(load_definition("cesdc"))
    q4 = next(i for i in questionnaire["item"] if i["linkId"] == "q4")
    ordinals = {o["valueCoding"]["code"]: o["extension"][0]["valueDecimal"] for o in q4["answerOption"]}
    assert ordinals == {"not_at_all": 3, "a_little": 2, "some": 1, "a_lot": 0}


def strip_rules(questionnaire: dict) -> dict:
    stripped = copy.deepcopy(questionnaire)
    stripped["extension"] = [e for e in stripped["extension"] if e["url"] != RULES_EXT]
    return stripped


@pytest.mark.parametrize("url", [ORDINAL_VALUE, ITEM_WEIGHT, CO_VALUE])
def test_import_reads_scores_from_any_of_the_three_score_extensions(url):
    questionnaire = strip_rules(definition_to_questionnaire(load_definition("phq9")))
    for item in questionnaire["item"]:
        for option in item.get("answerOption", []):
            for ext in option.get("extension", []):
                ext["url"] = url
    imported = questionnaire_to_definition(questionnaire).definition
    assert imported.scale("total").items == tuple(f"q{n}" for n in range(1, 10))
    answers = {f"q{n}": FREQUENCY[n % 4] for n in range(1, 10)}
    assert score(imported, answers).total.value == score(load_definition("phq9"), answers).total.value == 13


def test_import_scores_by_ordinal_value_never_by_code():
    questionnaire = {
        "resourceType": "Questionnaire", "status": "active", "version": "1", "id": "codes-lie",
        "item": [{"linkId": "a", "text": "A", "type": "choice", "answerOption": [
            {"valueCoding": {"code": "3"}, "extension": [{"url": ORDINAL_VALUE, "valueDecimal": 0}]},
            {"valueCoding": {"code": "0"}, "extension": [{"url": ORDINAL_VALUE, "valueDecimal": 3}]},
        ]}],
    }
    definition = questionnaire_to_definition(questionnaire).definition
    assert score(definition, {"a": "0"}).total.value == 3
    assert score(definition, {"a": "3"}).total.value == 0


def test_import_of_a_foreign_questionnaire_without_rules_gets_a_plain_total():
    imported = questionnaire_to_definition(strip_rules(definition_to_questionnaire(load_definition("psc17"))))
    total = imported.definition.scale("total")
    assert (total.range, total.bands) == ((0, 34), ())
    assert imported.definition.languages["zh-Hans"].status == "imported"


def test_foreign_questionnaire_texts_conditions_and_skipped_items():
    translation = {"url": "http://hl7.org/fhir/StructureDefinition/translation",
                   "extension": [{"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": "Welcome"}]}
    questionnaire = {
        "resourceType": "Questionnaire", "status": "active", "version": "3", "id": "Foreign-Form", "language": "de",
        "item": [
            {"linkId": "intro1", "type": "display", "text": "Willkommen", "_text": {"extension": [translation]}},
            {"linkId": "intro2", "type": "display", "text": "Bitte antworten"},
            {"linkId": "smoke", "type": "boolean", "text": "Rauchen Sie?"},
            {"linkId": "how_much", "type": "integer", "text": "Wie viel?"},
            {"linkId": "since", "type": "string", "text": "Seit wann?",
             "enableWhen": [{"question": "smoke", "operator": "=", "answerBoolean": True}]},
        ],
    }
    imported = questionnaire_to_definition(questionnaire, respondent="parent", grades=[1, 2])
    definition = imported.definition
    assert (definition.code, definition.respondent, definition.grades) == ("foreign-form", "parent", (1, 2))
    assert definition.instructions == {"de": "Willkommen\n\nBitte antworten", "en": "Welcome\n\nBitte antworten"}
    assert [i.id for i in definition.items] == ["smoke", "since"]
    assert definition.item("since").ask_if.to_dict() == {"item": "smoke", "answer": "yes"}
    assert "how_much: integer item skipped (not an answer our format scores)" in imported.notes
    assert any("had no 'en' translation" in note for note in imported.notes)
    assert definition.scales == ()


@needs_mii
def test_mii_phq9_without_its_value_sets_names_what_is_missing():
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(load_json(MII_Q), version="2026.5.2")
    assert any("mii-vs-pro-phq-9-answer-list-ll358-3" in p and "PHQ-9.1" in p for p in caught.value.problems)
    with pytest.raises(FhirError, match="version: the Questionnaire has none"):
        questionnaire_to_definition(load_json(MII_Q), value_sets=mii_value_sets())


@needs_mii
def test_mii_phq9_imports_with_scores_from_its_value_set():
    imported = questionnaire_to_definition(load_json(MII_Q), value_sets=mii_value_sets(), version="2026.5.2")
    definition = imported.definition
    assert [i.id for i in definition.items] == [f"PHQ-9.{n}" for n in range(1, 11)]
    assert list(definition.languages) == ["de", "en"]
    assert definition.instructions["en"].startswith("Over the last two weeks")
    assert definition.item("PHQ-9.2").text["en"] == "Feeling down, depressed, or hopeless"
    first = definition.item("PHQ-9.1").options[3]
    assert (first.value, first.score, first.label["de"]) == ("LA6571-9", 3, "Beinahe jeden Tag")
    assert not definition.item("PHQ-9.10").scored
    assert "PHQ-9.Score: quantity item skipped (not an answer our format scores)" in imported.notes
    assert definition.scale("total").items == tuple(f"PHQ-9.{n}" for n in range(1, 10))


def phq9_rules_for(definition_items: dict[str, str]) -> dict:
    """Our PHQ-9's scoring rules, with item ids renamed through `definition_items` (our id -> theirs)."""
    ours = load_definition("phq9").to_dict()
    rules = {k: ours[k] for k in ("scales", "total_scale", "critical_items", "validity_checks", "missing")}
    for scale in rules["scales"]:
        scale["items"] = [definition_items[i] for i in scale["items"]]
    for rule in rules["critical_items"]:
        rule["item"] = definition_items[rule["item"]]
    return rules


@needs_mii
def test_mii_phq9_scores_like_ours_given_equivalent_answers():
    ours = load_definition("phq9")
    loinc_to_mii = {}
    questionnaire = load_json(MII_Q)
    for item in questionnaire["item"]:
        if item.get("code"):
            loinc_to_mii[item["code"][0]["code"]] = item["linkId"]
    ours_to_mii = {i.id: loinc_to_mii[i.coding.code] for i in ours.items}  # matched by LOINC item code
    theirs = questionnaire_to_definition(questionnaire, value_sets=mii_value_sets(), version="2026.5.2",
                                         scoring=phq9_rules_for(ours_to_mii)).definition
    rng = random.Random(20250908)
    for _ in range(200):
        answers = random_phq9_answers(rng)
        mine = score(ours, answers, elapsed_seconds=100)
        other = score(theirs, {ours_to_mii[k]: v for k, v in answers.items()}, elapsed_seconds=100)
        assert (mine.total.value, mine.validity) == (other.total.value, other.validity)
        assert (mine.total.band and mine.total.band.code) == (other.total.band and other.total.band.code)
        assert [f.score for f in mine.critical_flags] == [f.score for f in other.critical_flags]


@needs_mii
def test_mii_questionnaire_response_scores_27():
    imported = questionnaire_to_definition(load_json(MII_Q), value_sets=mii_value_sets(), version="2026.5.2",
                                           scoring=phq9_rules_for({f"q{n}": f"PHQ-9.{n}" for n in range(1, 11)}))
    response = load_json(MII_QR)
    with pytest.raises(FhirError, match="linkId 'PHQ.1': no such item"):
        answers_from_questionnaire_response(imported.definition, response)
    # The example response's linkIds ("PHQ.1") differ from its Questionnaire's ("PHQ-9.1").
    link_ids = {f"PHQ.{n}": f"PHQ-9.{n}" for n in range(1, 11)} | {"PHQ.Score": None}
    answers = answers_from_questionnaire_response(imported.definition, response, link_ids=link_ids)
    assert answers["PHQ-9.10"] == "LA6574-3"
    result = score(imported.definition, answers)
    recorded = next(i for i in response["item"] if i["linkId"] == "PHQ.Score")["answer"][0]["valueQuantity"]["value"]
    assert result.total.value == recorded == 27
    assert result.total.band.code == "severe"
    assert [f.item for f in result.critical_flags] == ["PHQ-9.9"]


def test_questionnaire_response_export_is_valid_and_carries_the_scores():
    definition = load_definition("phq9")
    answers = {f"q{n}": "LA6568-5" for n in range(1, 9)} | {"q9": "LA6570-1", "q10": "LA6573-5"}
    result = score(definition, answers, elapsed_seconds=80)
    response = result_to_questionnaire_response(definition, answers, "Patient/student-42", AUTHORED, result)
    validate_r4(response)
    assert response["questionnaire"] == "urn:runxin:fhir:Questionnaire:phq9|1.2.0"
    assert (response["subject"], response["authored"]) == ({"reference": "Patient/student-42"}, "2025-09-08T09:30:00+00:00")
    item9 = next(i for i in response["item"] if i["linkId"] == "q9")["answer"][0]
    assert item9["valueCoding"]["code"] == "LA6570-1"
    assert item9["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": 2}]
    total = next(e for e in response["extension"] if e["url"] == SCALE_SCORE_EXT)["extension"]
    assert {"url": "raw", "valueDecimal": 2} in total
    assert answers_from_questionnaire_response(definition, response) == answers


def test_questionnaire_response_leaves_out_answers_to_items_not_asked():
    definition = load_definition("asq")
    answers = {"q1": "no", "q2": "no", "q3": "no", "q4": "no", "q5": "no"}
    result = score(definition, answers)
    response = result_to_questionnaire_response(definition, answers, "Patient/p1", AUTHORED, result)
    assert [i["linkId"] for i in response["item"]] == ["q1", "q2", "q3", "q4"]
    assert response["item"][0]["answer"] == [{"valueBoolean": False}]
    assert answers_from_questionnaire_response(definition, response) == {"q1": "no", "q2": "no", "q3": "no", "q4": "no"}


def test_questionnaire_response_refuses_a_naive_time_or_a_foreign_result():
    definition = load_definition("gad7")
    result = score(definition, {})
    with pytest.raises(FhirError, match="timezone-aware"):
        result_to_questionnaire_response(definition, {}, "Patient/p", datetime(2025, 1, 1), result)  # noqa: DTZ001
    with pytest.raises(FhirError, match="scored by gad7 1.2.0, not phq9"):
        result_to_questionnaire_response(load_definition("phq9"), {}, "Patient/p", AUTHORED, result)


def test_validate_r4_rejects_invalid_resources():
    with pytest.raises(FhirError, match="status"):
        validate_r4({"resourceType": "Questionnaire", "item": [{"linkId": "a", "type": "display"}]})
    with pytest.raises(FhirError, match="resourceType"):
        validate_r4({"resourceType": "Patient"})
