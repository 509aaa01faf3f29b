"""Instrument definitions: the shipped ones are valid and complete, bad ones are refused with JSON paths."""

import ast
import copy
import json
from pathlib import Path

import pytest

from runxin.screening.core import DefinitionError, list_shipped, load_definition, parse_definition
from runxin.screening.core.loader import SHIPPED_DIR

CORE_DIR = Path(__file__).resolve().parent.parent / "core"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def phq9_json() -> dict:
    return json.loads((SHIPPED_DIR / "phq9.json").read_text(encoding="utf-8"))


def problems_of(data: dict) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    return caught.value.problems


def test_the_shipped_instruments_are_the_public_domain_ones():
    assert list_shipped() == ("asq", "cesdc", "gad7", "phq9", "phqa", "psc17", "who5")


@pytest.mark.parametrize("code", list_shipped())
def test_shipped_instrument_is_valid_bilingual_cited_and_licensed(code):
    definition = load_definition(code)
    assert definition.code == code
    assert definition.version
    assert {"zh-Hans", "en"} <= set(definition.languages)  # validation then guarantees every text has both
    assert definition.source.citation and definition.source.licence
    assert all(info.status in ("original", "established", "translated") for info in definition.languages.values())


@pytest.mark.parametrize("path", sorted((FIXTURES).glob("*.json")) + sorted(SHIPPED_DIR.glob("*.json")),
                         ids=lambda p: p.stem)
def test_definition_json_round_trips_through_the_dataclasses(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    definition = parse_definition(data)
    assert definition.to_dict() == data
    assert parse_definition(definition.to_dict()) == definition


def test_copyrighted_test_definitions_carry_no_item_text():
    for name in ("mht", "scl90", "sds", "sas", "mssmhs"):
        definition = load_definition(FIXTURES / f"{name}.json")
        assert all("placeholder" in item.text["en"] for item in definition.items), name


def test_a_score_that_is_not_a_number_is_reported_with_its_path():
    data = phq9_json()
    del data["items"][3]["option_set"]
    data["items"][3]["options"] = copy.deepcopy(data["option_sets"]["frequency"])
    data["items"][3]["options"][1]["score"] = "1"
    assert problems_of(data) == ["items[3].options[1].score: must be a number"]


def test_every_problem_is_reported_at_once():
    data = phq9_json()
    data["items"][0]["optoins"] = []
    data["grades"] = [0, 13]
    data["title"] = {"zh-Hans": "患者健康问卷"}
    problems = problems_of(data)
    assert "items[0].optoins: unknown key" in problems
    assert "grades: must be a non-empty list of school grades 1-12" in problems
    assert "title.en: is missing (every text needs each declared language)" in problems


def test_bands_with_a_gap_are_refused():
    data = phq9_json()
    data["scales"][0]["bands"][2]["min"] = 11
    assert problems_of(data) == ["scales[0].bands[2].min: leaves a gap after bands[1]: 10 is in no band"]


def test_overlapping_bands_are_refused():
    data = phq9_json()
    data["scales"][0]["bands"][1]["min"] = 4
    assert problems_of(data) == ["scales[0].bands[1].min: overlaps bands[0], which ends at 4"]


def test_bands_must_reach_both_ends_of_the_range():
    data = phq9_json()
    data["scales"][0]["bands"][0]["min"] = 1
    data["scales"][0]["bands"][-1]["max"] = 26
    assert problems_of(data) == [
        "scales[0].bands[0].min: must be 0, the bottom of the range",
        "scales[0].bands[4].max: must be 27, the top of the range",
    ]


def test_mean_bands_are_checked_on_the_two_decimal_grid():
    data = json.loads((FIXTURES / "mssmhs.json").read_text(encoding="utf-8"))
    data["scales"][0]["bands"][0]["max"] = 1.98
    assert problems_of(data) == ["scales[0].bands[1].min: leaves a gap after bands[0]: 1.99 is in no band"]
    data["scales"][0]["bands"][0]["max"] = 1.995
    assert "scales[0].bands[0].max: 1.995 has more than 2 decimals" in problems_of(data)


def test_a_declared_range_must_match_the_items():
    data = phq9_json()
    data["scales"][0]["range"] = [0, 26]
    data["scales"][0]["bands"][-1]["max"] = 26
    assert problems_of(data) == ["scales[0].range: must be [0, 27] (computed from the items), not [0, 26]"]


def test_scale_items_must_exist_be_scored_and_be_unconditional():
    data = phq9_json()
    data["scales"][0]["items"] += ["q10", "q99"]
    problems = problems_of(data)
    assert "scales[0].items[9]: item 'q10' has no scores" in problems
    assert "scales[0].items[10]: names no item ('q99')" in problems

    asq = json.loads((SHIPPED_DIR / "asq.json").read_text(encoding="utf-8"))
    asq["scales"] = [{"id": "yes", "label": {"zh-Hans": "是", "en": "Yes"}, "kind": "count", "threshold": 1,
                      "items": ["q1", "q5"], "range": [0, 2]}]
    assert problems_of(asq) == ["scales[0].items[1]: item 'q5' is conditional (ask_if) and cannot be in a scale"]


def test_conditions_name_real_options_and_earlier_items():
    data = phq9_json()
    data["critical_items"][0]["when"] = {"answer": "maybe"}
    data["items"][0]["ask_if"] = {"item": "q2", "answer": "LA6568-5"}
    problems = problems_of(data)
    assert any(p.startswith("critical_items[0].when.answer: 'maybe' is not an option of item 'q9'") for p in problems)
    assert "items[0].ask_if.item: names no earlier item ('q2')" in problems


def test_identical_answer_check_needs_a_scale_with_reverse_items():
    data = phq9_json()
    data["validity_checks"].append({"kind": "identical_answers", "scale": "total", "status": "needs_review"})
    assert problems_of(data) == [
        "validity_checks[1].scale: scale 'total' must mix reverse-scored and plain items; "
        "identical answers are only implausible then"
    ]


def test_only_half_up_rounding_is_accepted_for_standard_scores():
    data = json.loads((FIXTURES / "sds.json").read_text(encoding="utf-8"))
    data["scales"][0]["transform"]["rounding"] = "half_even"
    assert problems_of(data) == ["scales[0].transform.rounding: must be half_up (manuals round 52.5 to 53)"]


def test_reverse_scoring_needs_a_scored_choice_item():
    asq = json.loads((SHIPPED_DIR / "asq.json").read_text(encoding="utf-8"))
    asq["items"][0]["reverse"] = True
    assert problems_of(asq) == ["items[0].reverse: only a scored choice item can be reverse-scored"]


def test_mixed_scored_and_unscored_options_are_refused():
    data = phq9_json()
    del data["option_sets"]["frequency"][2]["score"]
    assert problems_of(data) == ["option_sets.frequency[2].score: is missing while other options are scored"]


def test_missing_rule_none_allows_no_missing_item():
    data = phq9_json()
    data["missing"] = {"method": "none", "max_missing": 2}
    assert problems_of(data) == ["missing.max_missing: must be 0 when the method is none"]


def test_wrong_schema_is_refused():
    data = phq9_json()
    data["schema"] = "something/2"
    assert problems_of(data) == ["schema: must be 'runxin.instrument/1'"]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_core_never_imports_django_and_only_fhir_py_imports_fhir_resources():
    for path in CORE_DIR.glob("*.py"):
        imports = _imports(path)
        assert not any(name == "django" or name.startswith("django.") for name in imports), path.name
        if path.name != "fhir.py":
            assert not any(name.startswith("fhir") for name in imports), path.name


def test_a_text_is_found_by_its_language_tag_in_any_case():
    # Django names the language "zh-hans", the definitions "zh-Hans": the case file showed the English titles.
    from runxin.screening.core.definition import text_in

    text = {"zh-Hans": "患者健康问卷", "en": "Patient Health Questionnaire"}
    assert [text_in(text, tag) for tag in ("zh-Hans", "zh-hans", "ZH-HANS", "en", "fr", "")] == [
        "患者健康问卷", "患者健康问卷", "患者健康问卷", "Patient Health Questionnaire",
        "Patient Health Questionnaire", "Patient Health Questionnaire"]
    assert text_in({"zh-Hans": "", "en": "E"}, "zh-hans") == "E"
    assert text_in({}, "zh-hans") == ""
