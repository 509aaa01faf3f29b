"""FHIR import of what FHIR allows: any linkId, scores written as strings; the exported Questionnaire and
QuestionnaireResponse agree on what is required; the third-party files in shared/fixtures import."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runxin.screening.core import load_definition, parse_definition, score
from runxin.screening.core.fhir import (
    ITEM_WEIGHT,
    ORDINAL_VALUE,
    FhirError,
    answers_from_questionnaire_response,
    definition_to_questionnaire,
    questionnaire_to_definition,
    result_to_questionnaire_response,
    validate_r4,
)
from runxin.screening.core.validation import ID_PATTERN
from runxin.testing import shared

HERE = Path(__file__).resolve().parent
SHARED_FHIR = shared.SHARED_FHIR
AUTHORED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FREQUENCY = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def choice(link_id: str, scores=(0, 1), *, url=ORDINAL_VALUE, key="valueDecimal", **extra) -> dict:
    return {"linkId": link_id, "type": "choice", "text": f"Question {link_id}", "answerOption": [
        {"valueCoding": {"system": "http://example.org/a", "code": f"a{n}", "display": f"A{n}"},
         "extension": [{"url": url, key: value}]} for n, value in enumerate(scores)]} | extra


def questionnaire(*items) -> dict:
    return {"resourceType": "Questionnaire", "id": "odd", "version": "1", "language": "en", "status": "active",
            "title": "Odd linkIds", "item": list(items)}


# -- 1. any linkId --------------------------------------------------------------------------------------


def test_link_ids_fhir_allows_are_imported_with_safe_ids_and_exported_back():
    odd = ["/44250-9", "H1/T1/Q1", "H1_T1_Q1", "问题 3", "a b?c#d", "x" * 300]
    items = [choice(link_id) for link_id in odd]
    items.append({"linkId": "H1/T1/Q2", "type": "boolean", "text": "Follow-up",
                  "enableWhen": [{"question": "H1/T1/Q1", "operator": "=",
                                  "answerCoding": {"system": "http://example.org/a", "code": "a1"}}]})
    definition = questionnaire_to_definition(questionnaire(*items)).definition
    ids = [i.id for i in definition.items]
    assert ids[:3] == ["44250-9", "H1_T1_Q1_2", "H1_T1_Q1"]  # a linkId that is already an id keeps it
    assert all(ID_PATTERN.match(i) for i in ids) and len(set(ids)) == len(ids)
    assert [i.fhir_link_id for i in definition.items] == [*odd, "H1/T1/Q2"]
    assert definition.item(ids[-1]).ask_if.to_dict() == {"item": "H1_T1_Q1_2", "answer": "a1"}
    assert definition.scale("total").items == tuple(ids[:6])
    # The stored JSON keeps the linkIds, and the definition survives its own round trip.
    assert parse_definition(definition.to_dict()) == definition

    exported = definition_to_questionnaire(definition)
    validate_r4(exported)
    assert [i["linkId"] for i in exported["item"]] == [*odd, "H1/T1/Q2"]
    assert exported["item"][-1]["enableWhen"][0]["question"] == "H1/T1/Q1"
    assert questionnaire_to_definition(json.loads(json.dumps(exported))).definition == definition

    answers = {ids[0]: "a1", ids[1]: "a1", ids[-1]: "yes"}
    result = score(definition, answers)
    response = result_to_questionnaire_response(definition, answers, "Patient/p", AUTHORED, result)
    validate_r4(response)
    assert [i["linkId"] for i in response["item"]] == ["/44250-9", "H1/T1/Q1", "H1/T1/Q2"]
    assert answers_from_questionnaire_response(definition, response) == answers


def test_an_empty_link_id_is_refused_by_name():
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(questionnaire(choice("q1"), choice(" ")))
    assert "item[1].linkId: must not be empty" in caught.value.problems


def test_an_enable_when_naming_no_link_id_is_named():
    follow = {"linkId": "f", "type": "boolean", "text": "F",
              "enableWhen": [{"question": "no/such", "operator": "exists", "answerBoolean": True}]}
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(questionnaire(choice("q/1"), follow))
    assert caught.value.problems == ["item[1].enableWhen[0].question: no question has the linkId 'no/such'"]


# -- 3. scores written as strings ------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "key"), [(ORDINAL_VALUE, "valueDecimal"), (ORDINAL_VALUE, "valueString"),
                                          (ITEM_WEIGHT, "valueDecimal")])
def test_numeric_strings_are_read_as_scores_with_a_note(url, key):
    imported = questionnaire_to_definition(questionnaire(choice("q1", ("0", "3"), url=url, key=key),
                                                         choice("q2", (0, 2))))
    item = imported.definition.item("q1")
    assert [o.score for o in item.options] == [0, 3]
    assert imported.definition.scale("total").range == (0, 5)
    assert f"item[0].answerOption[1].extension[0].{key}: the score '3' is written as a string; read as a number" \
        in imported.notes


@pytest.mark.parametrize(("value", "found"), [("three", "a string ('three')"), ("", "a string ('')"),
                                              (None, "null"), (True, "true (a boolean)"), ([3], "a list"),
                                              ({"value": 3}, "an object")])
def test_a_score_that_is_no_number_is_refused_naming_the_item(value, found):
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(questionnaire(choice("q1"), choice("q2", (0, value))))
    assert caught.value.problems == [
        f"item[1].answerOption[1].extension[0].valueDecimal: a score must be a number, found {found}"]


def test_a_score_extension_without_a_value_is_refused():
    data = questionnaire(choice("q1"))
    del data["item"][0]["answerOption"][0]["extension"][0]["valueDecimal"]
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(data)
    assert caught.value.problems == [f"item[0].answerOption[0].extension[0]: the score extension {ORDINAL_VALUE} has no value"]


# -- 4. what is required ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["phq9", "phqa", "gad7", "asq"])
def test_a_completed_response_answers_every_item_its_questionnaire_requires(code):
    definition = load_definition(code)
    questionnaire_json = definition_to_questionnaire(definition)
    required = {i["linkId"] for i in questionnaire_json["item"] if i.get("required")}
    first = definition.items[0]
    answers = {i.id: (i.options[0].value if i.options else "x") for i in definition.items
               if i.ask_if is None and i.id != first.id}  # the first question skipped, as a student may
    result = score(definition, answers)
    response = result_to_questionnaire_response(definition, answers, "Patient/p", AUTHORED, result)
    validate_r4(response)
    answered = {i["linkId"] for i in response["item"] if i.get("answer")}
    assert first.id not in answered
    if response["status"] == "completed":
        assert required <= answered, required - answered
    # What the instrument expects still travels, so our own export imports back identically.
    assert questionnaire_to_definition(json.loads(json.dumps(questionnaire_json))).definition == definition


def test_a_foreign_required_flag_still_imports_as_an_expected_answer():
    imported = questionnaire_to_definition(questionnaire(choice("q1", required=True), choice("q2"))).definition
    assert (imported.item("q1").required, imported.item("q2").required) == (True, False)


# -- third-party files --------------------------------------------------------------------------------------


def _shared(name: str) -> dict:
    return json.loads((SHARED_FHIR / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", shared.fhir_files())
def test_every_shared_fhir_file_imports_or_says_why(name):
    shared.require(SHARED_FHIR / name, SHARED_FHIR / "mii_phq9_q.json")  # skipped locally, failed in CI
    data = _shared(name)
    value_sets = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((HERE / "fixtures" / "fhir").glob("*.json"))]
    if data.get("resourceType") == "Questionnaire":
        with pytest.raises(FhirError) as caught:
            questionnaire_to_definition(data)  # no version, no ValueSets: clear reasons, no crash
        assert any("answerValueSet" in p for p in caught.value.problems)
        imported = questionnaire_to_definition(data, value_sets=value_sets, version="1")
        assert imported.definition.items
    else:
        assert data["resourceType"] == "QuestionnaireResponse"
        mii = questionnaire_to_definition(_shared("mii_phq9_q.json"), value_sets=value_sets, version="1").definition
        link_ids = {f"PHQ.{n}": f"PHQ-9.{n}" for n in range(1, 11)} | {"PHQ.Score": None}
        answers = answers_from_questionnaire_response(mii, data, link_ids=link_ids)
        assert score(mii, answers).total.value == 27
