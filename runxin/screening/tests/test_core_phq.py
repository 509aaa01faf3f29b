"""PHQ-9, GAD-7 and PHQ-A scored as Kroenke/Spitzer/Johnson publish them (answers use the LOINC answer codes)."""

import json

import pytest

from runxin.screening.core import AnswerError, load_definition, parse_definition, risk_signal, score
from runxin.screening.core.loader import SHIPPED_DIR

NOT_AT_ALL, SEVERAL_DAYS, MORE_THAN_HALF, NEARLY_EVERY_DAY = "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"
CODE_FOR_SCORE = {0: NOT_AT_ALL, 1: SEVERAL_DAYS, 2: MORE_THAN_HALF, 3: NEARLY_EVERY_DAY}
VERY_DIFFICULT = "LA6575-0"


def answers_totalling(total: int, n_items: int, spare: tuple[str, ...] = ()) -> dict[str, str]:
    """Item scores adding up to `total`, filling items in order with 3s, leaving items in `spare` at 0."""
    answers = {}
    remaining = total
    for n in range(1, n_items + 1):
        item = f"q{n}"
        value = 0 if item in spare else min(3, remaining)
        remaining -= value
        answers[item] = CODE_FOR_SCORE[value]
    assert remaining == 0
    return answers


@pytest.fixture(scope="module")
def phq9():
    return load_definition("phq9")


@pytest.fixture(scope="module")
def gad7():
    return load_definition("gad7")


@pytest.fixture(scope="module")
def phqa():
    return load_definition("phqa")


# -- PHQ-9 ---------------------------------------------------------------------------------------------


def test_phq9_all_minimum(phq9):
    result = score(phq9, answers_totalling(0, 9), elapsed_seconds=60)
    assert (result.total.value, result.total.band.code) == (0, "minimal")
    assert result.validity == "valid"
    assert result.flags == ()
    assert risk_signal(result).level == "none"


def test_phq9_all_maximum_is_severe_and_critical(phq9):
    result = score(phq9, {f"q{n}": NEARLY_EVERY_DAY for n in range(1, 10)}, elapsed_seconds=60)
    assert (result.total.value, result.total.band.code, result.total.band.level) == (27, "severe", "high")
    assert [(f.item, f.score, f.level) for f in result.critical_flags] == [("q9", 3, "critical")]
    assert risk_signal(result).level == "critical"


@pytest.mark.parametrize(("total", "band"), [
    (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (24, "severe"),
])
def test_phq9_band_boundaries(phq9, total, band):
    result = score(phq9, answers_totalling(total, 9, spare=("q9",)))
    assert result.total.raw == total
    assert result.total.band.code == band
    assert result.critical_flags == ()


@pytest.mark.parametrize(("total", "level"), [(9, "none"), (10, "moderate"), (15, "high")])
def test_phq9_band_levels_drive_the_risk_signal(phq9, total, level):
    assert risk_signal(score(phq9, answers_totalling(total, 9, spare=("q9",)))).level == level


def test_phq9_item_9_alone_is_minimal_but_critical(phq9):
    answers = answers_totalling(0, 9) | {"q9": SEVERAL_DAYS}
    result = score(phq9, answers)
    assert (result.total.value, result.total.band.code) == (1, "minimal")
    [flag] = result.critical_flags
    assert (flag.item, flag.answer, flag.score, flag.level) == ("q9", SEVERAL_DAYS, 1, "critical")
    assert "Several days" in flag.message.en and "好几天" in flag.message.zh_hans
    signal = risk_signal(result)
    assert signal.level == "critical"
    assert signal.reasons[0] == flag.message


def test_phq9_difficulty_item_is_not_scored(phq9):
    answers = answers_totalling(6, 9) | {"q10": VERY_DIFFICULT}
    assert score(phq9, answers).total.value == 6
    assert score(phq9, answers_totalling(6, 9)).missing_items == ()  # q10 left blank is not "missing"


def test_phq9_one_missing_item_is_prorated_half_up(phq9):
    # 8 answered items scoring 4 -> 4 × 9/8 = 4.5 -> 5 ("mild"); banker's rounding would give 4 ("minimal").
    answers = answers_totalling(4, 9, spare=("q9",))
    answers["q8"] = None
    result = score(phq9, answers)
    assert result.missing_items == ("q8",)
    assert (result.total.raw, result.total.prorated, result.total.band.code) == (5, True, "mild")
    assert result.validity == "valid"


def test_phq9_two_missing_items_are_prorated(phq9):
    answers = answers_totalling(14, 9, spare=("q9",))
    del answers["q1"], answers["q2"]  # the two 3s: 8 left over 7 items -> 8 × 9/7 = 10.29 -> 10
    result = score(phq9, answers)
    assert (result.total.raw, result.total.missing, result.total.band.code) == (10, 2, "moderate")


def test_phq9_three_missing_items_make_it_invalid_and_unscored(phq9):
    answers = {f"q{n}": NOT_AT_ALL for n in range(4, 10)}
    result = score(phq9, answers)
    assert result.validity == "invalid"
    assert (result.total.value, result.total.band) == (None, None)
    assert [f.kind for f in result.flags] == ["too_many_missing"]
    signal = risk_signal(result)
    assert signal.level == "review"
    assert "3 scored items unanswered" in signal.reasons[0].en


def test_phq9_critical_item_left_blank_needs_review(phq9):
    answers = answers_totalling(0, 9)
    del answers["q9"]
    result = score(phq9, answers)
    # Item 9 is never filled in: no prorated total, no band, so never "minimal" / no risk.
    assert (result.total.prorated, result.total.value, result.total.band) == (False, None, None)
    assert result.missing_items == ("q9",)
    assert result.validity == "needs_review"
    assert [f.kind for f in result.flags] == ["critical_unanswered"]
    assert risk_signal(result).level == "review"


@pytest.mark.parametrize("method", ["prorate", "zero"])
@pytest.mark.parametrize("code", ["phq9", "phqa"])
def test_item_9_is_never_imputed_whatever_the_missing_rule(code, method):
    data = load_definition(code).to_dict()
    data["missing"] = {"method": method, "max_missing": 2}
    definition = parse_definition(data)
    answers = {f"q{n}": NOT_AT_ALL for n in range(1, 9)}  # item 9 skipped, everything else "not at all"
    result = score(definition, answers, elapsed_seconds=300)
    assert result.total.value is None and result.total.band is None
    assert result.validity == "needs_review"
    assert ("critical_unanswered", "q9") in [(f.kind, f.item) for f in result.flags]
    assert risk_signal(result).level == "review"
    # Another item skipped instead is still filled in as the rule says.
    other = score(definition, answers | {"q9": NOT_AT_ALL, "q8": None}, elapsed_seconds=300)
    assert (other.total.value, other.total.missing) == (0, 1)
    assert "q9" not in [f.item for f in other.flags]


def test_a_self_harm_coded_item_is_never_imputed_even_without_a_critical_rule():
    # An imported PHQ-9 whose scoring forgot the critical item: the LOINC code of item 9 still protects it.
    data = load_definition("phq9").to_dict()
    data["critical_items"] = []
    definition = parse_definition(data)
    result = score(definition, {f"q{n}": NOT_AT_ALL for n in range(1, 9)}, elapsed_seconds=300)
    assert (result.total.value, result.total.band) == (None, None)
    assert [(f.kind, f.item, f.validity) for f in result.flags] == [("critical_unanswered", "q9", "needs_review")]
    assert risk_signal(result).level == "review"


def test_phq9_too_fast_needs_review_and_is_never_no_risk(phq9):
    answers = answers_totalling(0, 9)
    result = score(phq9, answers, elapsed_seconds=4)
    assert result.validity == "needs_review"
    assert [f.kind for f in result.flags] == ["too_fast"]
    assert risk_signal(result).level == "review"
    assert score(phq9, answers, elapsed_seconds=9).validity == "valid"
    assert score(phq9, answers).validity == "valid"  # no timing known, nothing to say


def test_scores_come_from_the_option_score_never_its_position():
    data = json.loads((SHIPPED_DIR / "phq9.json").read_text(encoding="utf-8"))
    data["option_sets"]["frequency"].reverse()
    shuffled = parse_definition(data)
    answers = answers_totalling(0, 9) | {"q1": NEARLY_EVERY_DAY, "q2": SEVERAL_DAYS}
    assert score(shuffled, answers).total.value == 4
    assert score(load_definition("phq9"), answers).total.value == 4


def test_answers_that_do_not_fit_are_refused(phq9):
    with pytest.raises(AnswerError) as caught:
        score(phq9, {"q1": "3", "q99": NOT_AT_ALL, "q2": 3})
    assert caught.value.problems == [
        "'q1': '3' is not an option (LA6568-5, LA6569-3, LA6570-1, LA6571-9)",
        "'q99': no such item in phq9 1.2.0",
        "'q2': answer must be a string option value, not 3",
    ]
    for bad_time in (-1, "60", float("nan"), True):
        with pytest.raises(AnswerError, match="elapsed_seconds"):
            score(phq9, {}, elapsed_seconds=bad_time)


def test_scoring_is_deterministic_and_json_serialisable(phq9):
    answers = answers_totalling(12, 9) | {"q9": SEVERAL_DAYS}
    first, second = score(phq9, answers, elapsed_seconds=120), score(phq9, answers, elapsed_seconds=120)
    assert first == second
    data = json.loads(json.dumps(first.to_dict(), ensure_ascii=False))
    assert data["instrument"] == {"code": "phq9", "version": "1.2.0"}
    assert data["total"]["value"] == 13
    assert data["validity"] == {"status": "valid", "reasons": []}
    assert data["flags"][0]["item"] == "q9"


# -- GAD-7 ---------------------------------------------------------------------------------------------


def test_gad7_minimum_and_maximum(gad7):
    low = score(gad7, answers_totalling(0, 7))
    high = score(gad7, answers_totalling(21, 7))
    assert (low.total.value, low.total.band.code) == (0, "minimal")
    assert (high.total.value, high.total.band.code) == (21, "severe")
    assert high.critical_flags == ()  # GAD-7 has no critical item
    assert risk_signal(high).level == "high"


@pytest.mark.parametrize(("total", "band"), [
    (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"), (15, "severe"),
])
def test_gad7_band_boundaries(gad7, total, band):
    assert score(gad7, answers_totalling(total, 7)).total.band.code == band


def test_gad7_missing_items(gad7):
    answers = answers_totalling(12, 7)
    answers["q7"] = ""  # 12 over 6 answered items -> 14
    assert (score(gad7, answers).total.raw, score(gad7, answers).total.prorated) == (14, True)
    del answers["q6"], answers["q5"]
    assert score(gad7, answers).validity == "invalid"


def test_gad7_difficulty_item_is_not_scored(gad7):
    assert score(gad7, answers_totalling(3, 7) | {"q8": VERY_DIFFICULT}).total.value == 3


# -- PHQ-A ---------------------------------------------------------------------------------------------


def phqa_answers(total: int = 0, **extra: str) -> dict[str, str]:
    base = {"past_year": "no", "past_month_thoughts": "no", "lifetime_attempt": "no"}
    return answers_totalling(total, 9, spare=("q9",)) | base | extra


def test_phqa_swaps_the_first_two_items_of_the_phq9(phqa):
    assert "irritable" in phqa.item("q1").text["en"]
    assert phqa.item("q2").text["en"].startswith("Little interest or pleasure")
    assert load_definition("phq9").item("q1").text["en"].startswith("Little interest or pleasure")


@pytest.mark.parametrize(("total", "band"), [(0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately_severe"), (20, "severe")])
def test_phqa_uses_the_phq9_bands(phqa, total, band):
    result = score(phqa, phqa_answers(total))
    assert (result.total.value, result.total.band.code, result.validity) == (total, band, "valid")


def test_phqa_extra_questions_are_not_in_the_total(phqa):
    result = score(phqa, phqa_answers(0, past_year="yes", difficulty=VERY_DIFFICULT))
    assert result.total.value == 0
    assert result.flags == ()
    assert risk_signal(result).level == "none"


@pytest.mark.parametrize("item", ["past_month_thoughts", "lifetime_attempt"])
def test_phqa_suicide_questions_answered_yes_are_critical_whatever_the_total(phqa, item):
    result = score(phqa, phqa_answers(0, **{item: "yes"}))
    assert result.total.band.code == "minimal"
    assert [(f.item, f.answer, f.level) for f in result.critical_flags] == [(item, "yes", "critical")]
    assert risk_signal(result).level == "critical"


def test_phqa_item_9_is_critical(phqa):
    result = score(phqa, phqa_answers(0, q9=SEVERAL_DAYS))
    assert [f.item for f in result.critical_flags] == ["q9"]


def test_phqa_suicide_questions_left_blank_need_review(phqa):
    answers = phqa_answers(0)
    del answers["past_month_thoughts"], answers["lifetime_attempt"]
    result = score(phqa, answers)
    assert [(f.kind, f.item) for f in result.flags] == [
        ("critical_unanswered", "past_month_thoughts"), ("critical_unanswered", "lifetime_attempt")]
    assert result.validity == "needs_review"
    assert risk_signal(result).level == "review"
