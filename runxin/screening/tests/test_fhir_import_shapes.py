"""A malformed FHIR file is a clear message naming the element and the problem, never a crash: every
JSON type fed into every element the importer reads, through the pure import and the upload page."""

import copy
import json

import pytest

from runxin.screening.core.fhir import ORDINAL_VALUE, FhirError, questionnaire_to_definition, unbundle
from runxin.screening.models import InstrumentVersion

SYSTEM = "http://example.org/answers"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def _zh(text: str) -> dict:
    return {"extension": [{"url": TRANSLATION, "extension": [{"url": "lang", "valueCode": "zh-Hans"},
                                                             {"url": "content", "valueString": text}]}]}


def _score(value) -> list[dict]:
    return [{"url": ORDINAL_VALUE, "valueDecimal": value}]


def questionnaire() -> dict:
    """A small valid Questionnaire that uses every element the importer reads."""
    concepts = [{"code": code, "display": code.upper(), "designation": [{"language": "zh-Hans", "value": zh}],
                 "extension": _score(n)} for n, (code, zh) in enumerate([("a", "甲"), ("b", "乙")])]
    return {
        "resourceType": "Questionnaire", "id": "mood", "version": "1.0", "language": "en",
        "url": "http://example.org/Questionnaire/mood", "name": "Mood", "title": "Mood", "_title": _zh("心情"),
        "status": "active", "description": "A test questionnaire", "copyright": "CC0", "publisher": "Example",
        "extension": [{"url": "http://example.org/other", "valueString": "x"}],
        "code": [{"system": "http://loinc.org", "code": "1-8", "display": "Mood"}],
        "contained": [
            {"resourceType": "ValueSet", "id": "freq", "url": "http://example.org/ValueSet/freq",
             "compose": {"include": [{"system": SYSTEM, "concept": concepts}]}},
            {"resourceType": "ValueSet", "id": "exp", "url": "http://example.org/ValueSet/exp",
             "expansion": {"contains": [{"system": SYSTEM, "code": "a", "display": "A", "extension": _score(0)},
                                        {"system": SYSTEM, "code": "b", "display": "B", "extension": _score(1)}]}},
        ],
        "item": [
            {"linkId": "intro", "type": "display", "text": "Hello", "_text": _zh("你好")},
            {"linkId": "g", "type": "group", "text": "Group", "item": [
                {"linkId": "q1", "type": "choice", "prefix": "1", "text": "Q1", "_text": _zh("问题一"),
                 "required": True, "code": [{"system": "http://loinc.org", "code": "2-6"}],
                 "extension": [{"url": "http://example.org/other", "valueInteger": 4}],
                 "answerOption": [
                     {"valueCoding": {"system": SYSTEM, "code": "a", "display": "A", "_display": _zh("甲")},
                      "extension": _score(0)},
                     {"valueCoding": {"system": SYSTEM, "code": "b", "display": "B", "_display": _zh("乙")},
                      "extension": _score(1)},
                 ]},
                {"linkId": "q2", "type": "choice", "text": "Q2", "_text": _zh("问题二"), "answerValueSet": "#freq"},
                {"linkId": "q3", "type": "choice", "text": "Q3", "_text": _zh("问题三"),
                 "answerValueSet": "http://example.org/ValueSet/exp"},
                {"linkId": "q4", "type": "boolean", "text": "Q4", "_text": _zh("问题四"),
                 "enableWhen": [{"question": "q1", "operator": "=", "answerCoding": {"system": SYSTEM, "code": "b"}}]},
            ]},
        ],
    }


# (path to the element, the JSON type it must have)
FIELDS = [
    (("item",), "list"), (("contained",), "list"), (("extension",), "list"), (("code",), "list"),
    (("_title",), "object"), (("title",), "string"), (("language",), "string"), (("version",), "string"),
    (("id",), "string"), (("description",), "string"), (("copyright",), "string"),
    (("item", 0), "object"), (("item", 0, "text"), "string"), (("item", 0, "_text"), "object"),
    (("item", 1, "item"), "list"), (("item", 1, "item", 0), "object"),
    (("item", 1, "item", 0, "linkId"), "string"), (("item", 1, "item", 0, "type"), "string"),
    (("item", 1, "item", 0, "prefix"), "string"), (("item", 1, "item", 0, "required"), "boolean"),
    (("item", 1, "item", 0, "code"), "list"), (("item", 1, "item", 0, "code", 0), "object"),
    (("item", 1, "item", 0, "code", 0, "code"), "string"),
    (("item", 1, "item", 0, "extension"), "list"), (("item", 1, "item", 0, "extension", 0), "object"),
    (("item", 1, "item", 0, "extension", 0, "url"), "string"),
    (("item", 1, "item", 0, "extension", 0, "valueInteger"), "integer"),
    (("item", 1, "item", 0, "_text", "extension"), "list"),
    (("item", 1, "item", 0, "_text", "extension", 0, "extension", 1, "valueString"), "string"),
    (("item", 1, "item", 0, "answerOption"), "list"), (("item", 1, "item", 0, "answerOption", 0), "object"),
    (("item", 1, "item", 0, "answerOption", 0, "valueCoding"), "object"),
    (("item", 1, "item", 0, "answerOption", 0, "valueCoding", "code"), "string"),
    (("item", 1, "item", 0, "answerOption", 0, "valueCoding", "system"), "string"),
    (("item", 1, "item", 0, "answerOption", 0, "valueCoding", "display"), "string"),
    (("item", 1, "item", 0, "answerOption", 0, "valueCoding", "_display"), "object"),
    (("item", 1, "item", 0, "answerOption", 0, "extension"), "list"),
    (("item", 1, "item", 0, "answerOption", 0, "extension", 0), "object"),
    (("item", 1, "item", 1, "answerValueSet"), "string"),
    (("item", 1, "item", 3, "enableWhen"), "list"), (("item", 1, "item", 3, "enableWhen", 0), "object"),
    (("item", 1, "item", 3, "enableWhen", 0, "question"), "string"),
    (("item", 1, "item", 3, "enableWhen", 0, "answerCoding"), "object"),
    (("contained", 0), "object"), (("contained", 0, "resourceType"), "string"),
    (("contained", 0, "compose"), "object"), (("contained", 0, "compose", "include"), "list"),
    (("contained", 0, "compose", "include", 0), "object"), (("contained", 0, "compose", "include", 0, "concept"), "list"),
    (("contained", 0, "compose", "include", 0, "concept", 0), "object"),
    (("contained", 0, "compose", "include", 0, "concept", 0, "code"), "string"),
    (("contained", 0, "compose", "include", 0, "concept", 0, "designation"), "list"),
    (("contained", 0, "compose", "include", 0, "concept", 0, "designation", 0, "value"), "string"),
    (("contained", 1, "expansion"), "object"), (("contained", 1, "expansion", "contains"), "list"),
    (("contained", 1, "expansion", "contains", 0), "object"),
]
EXPECTED = {"list": "a list", "object": "an object", "string": "a string", "boolean": "true or false",
            "integer": "a whole number"}
SAMPLES = {"string": ("a string", "x"), "number": ("a number", 3), "decimal": ("a number", 2.5),
           "null": ("null", None), "true": ("true (a boolean)", True), "false": ("false (a boolean)", False),
           "list": ("a list", ["x"]), "object": ("an object", {"x": 1})}
RIGHT = {"list": {"list"}, "object": {"object"}, "string": {"string"}, "boolean": {"true", "false"},
         "integer": {"number"}}


def path_text(path: tuple) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def with_value(path: tuple, value) -> dict:
    data = questionnaire()
    holder = data
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = copy.deepcopy(value)
    return data


CASES = [(path, kind, sample) for path, kind in FIELDS for sample in SAMPLES if sample not in RIGHT[kind]]


def test_the_base_questionnaire_imports():
    definition = questionnaire_to_definition(questionnaire()).definition
    assert [i.id for i in definition.items] == ["q1", "q2", "q3", "q4"]
    assert [o.score for o in definition.item("q2").options] == [0, 1]
    assert definition.item("q4").ask_if.to_dict() == {"item": "q1", "answer": "b"}


@pytest.mark.parametrize(("path", "kind", "sample"), CASES, ids=lambda v: path_text(v) if isinstance(v, tuple) else v)
def test_every_json_type_in_every_element_is_named_by_path(path, kind, sample):
    found, value = SAMPLES[sample]
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(with_value(path, value))
    if isinstance(value, list) and kind == "list":
        return  # a list holding a string: the entry is named instead, as the next cases show
    wanted = f"{path_text(path)}: expected {EXPECTED[kind]}, found {found}"
    assert wanted in caught.value.problems, caught.value.problems


@pytest.mark.parametrize("value", [[], "Questionnaire", 3, None, True])
def test_top_level_not_an_object(value):
    with pytest.raises(FhirError, match=r"^\(root\): expected a Questionnaire \(an object\)"):
        questionnaire_to_definition(value)
    with pytest.raises(FhirError, match=r"^\(root\): expected a FHIR resource \(an object\)"):
        unbundle(value)


@pytest.mark.parametrize(("value", "shown"), [("Patient", "'Patient'"), (3, "a number"), (None, "null"),
                                              (["Questionnaire"], "a list")])
def test_wrong_resource_type(value, shown):
    data = questionnaire() | {"resourceType": value}
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(data)
    assert caught.value.problems == [f"resourceType: expected 'Questionnaire', found {shown}"]
    with pytest.raises(FhirError) as caught:
        unbundle(data)
    assert caught.value.problems == [f"resourceType: expected 'Questionnaire' or 'Bundle', found {shown}"]


@pytest.mark.parametrize(("entry", "problem"), [
    ("x", "entry: expected a list, found a string"),
    (["x"], "entry[0]: expected an object, found a string"),
    ([{"resource": 3}], "entry[0].resource: expected an object, found a number"),
    ([{"resource": {"resourceType": "ValueSet", "compose": []}}], "entry[0].resource.compose: expected an object, found a list"),
    ([{"resource": {}}], "entry[0].resource.resourceType: is required"),
    ([], "entry: the Bundle holds no Questionnaire"),
])
def test_a_malformed_bundle(entry, problem):
    with pytest.raises(FhirError) as caught:
        unbundle({"resourceType": "Bundle", "entry": entry})
    assert problem in caught.value.problems


def test_a_missing_link_id_or_type_and_a_duplicate_link_id():
    data = questionnaire()
    del data["item"][1]["item"][0]["linkId"]
    del data["item"][1]["item"][1]["type"]
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(data)
    assert {"item[1].item[0].linkId: is required", "item[1].item[1].type: is required"} <= set(caught.value.problems)
    data = questionnaire()
    data["item"][1]["item"][1]["linkId"] = "q1"
    with pytest.raises(FhirError) as caught:
        questionnaire_to_definition(data)
    assert caught.value.problems == ["item[1].item[1].linkId: 'q1' is also the linkId of item[1].item[0]"]


def test_scoring_rules_of_the_wrong_type():
    with pytest.raises(FhirError, match=r"scoring: expected an object of scoring rules, found a list"):
        questionnaire_to_definition(questionnaire(), scoring=[])


# -- the same through the upload page ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "kind"), FIELDS, ids=lambda v: path_text(v) if isinstance(v, tuple) else v)
def test_the_upload_page_names_every_wrong_type(world, client_for, path, kind):
    client = client_for(world.city_admin)
    for sample in SAMPLES:
        if sample in RIGHT[kind]:
            continue
        found, value = SAMPLES[sample]
        response = client.post("/screening/instruments/upload/", {"text": json.dumps(with_value(path, value))})
        body = response.content.decode()
        assert response.status_code == 400, (sample, response.status_code)
        assert "The FHIR Questionnaire could not be imported." in body
        if not (isinstance(value, list) and kind == "list"):
            assert f"{path_text(path)}: expected {EXPECTED[kind]}, found {found}" in body, sample
    assert not InstrumentVersion.objects.filter(source="fhir").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2]", "(root): expected an object, found a list"),
    ('"Questionnaire"', "(root): expected an object, found a string"),
    ("null", "(root): expected an object, found null"),
    ("3", "(root): expected an object, found a number"),
    ('{"resourceType": "Patient"}', "resourceType: expected &#x27;Questionnaire&#x27; or &#x27;Bundle&#x27;"),
    ('{"resourceType": 7}', "resourceType: expected &#x27;Questionnaire&#x27; or &#x27;Bundle&#x27;, found a number"),
    ('{"resourceType": "Bundle", "entry": 5}', "entry: expected a list, found a number"),
    ('{"resourceType": "Bundle", "entry": [{"resource": "x"}]}', "entry[0].resource: expected an object, found a string"),
    ('{"resourceType": "Questionnaire", "item": [}', "not valid JSON"),
])
def test_the_upload_page_on_a_file_that_is_no_questionnaire(world, client_for, text, message):
    response = client_for(world.city_admin).post("/screening/instruments/upload/", {"text": text})
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_the_upload_page_on_scoring_rules_of_the_wrong_type(world, client_for):
    response = client_for(world.city_admin).post("/screening/instruments/upload/", {
        "text": json.dumps(questionnaire()), "scoring": "[1]"})
    assert response.status_code == 400
    assert "scoring: expected an object of scoring rules, found a list" in response.content.decode()
