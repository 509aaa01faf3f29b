"""ASQ, PSC-17, CES-DC and WHO-5 scored as their authors publish them."""

import pytest

from runxin.screening.core import asked_items, load_definition, risk_signal, score


def no_to_all() -> dict[str, str]:
    return {f"q{n}": "no" for n in range(1, 5)}


@pytest.fixture(scope="module")
def asq():
    return load_definition("asq")


@pytest.fixture(scope="module")
def psc17():
    return load_definition("psc17")


@pytest.fixture(scope="module")
def cesdc():
    return load_definition("cesdc")


@pytest.fixture(scope="module")
def who5():
    return load_definition("who5")


# -- ASQ -----------------------------------------------------------------------------------------------


def test_asq_no_to_questions_1_to_4_is_a_negative_screen(asq):
    result = score(asq, no_to_all(), elapsed_seconds=30)
    assert result.outcome.code == "negative"
    assert result.validity == "valid"
    assert risk_signal(result).level == "none"


@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4"])
def test_asq_any_yes_with_no_to_question_5_is_non_acute_positive(asq, question):
    result = score(asq, no_to_all() | {question: "yes", "q5": "no"})
    assert (result.outcome.code, result.outcome.level) == ("non_acute_positive", "high")
    assert result.critical_flags == ()
    assert risk_signal(result).level == "high"


def test_asq_yes_to_question_5_is_acute_positive_and_critical(asq):
    result = score(asq, no_to_all() | {"q2": "yes", "q5": "yes", "q5_describe": "想从楼上跳下去"})
    assert (result.outcome.code, result.outcome.level) == ("acute_positive", "critical")
    assert [(f.item, f.answer) for f in result.critical_flags] == [("q5", "yes")]
    signal = risk_signal(result)
    assert signal.level == "critical"
    assert "imminent risk" in " ".join(r.en for r in signal.reasons)


def test_asq_question_5_left_blank_after_a_yes_is_treated_as_acute(asq):
    result = score(asq, no_to_all() | {"q3": "yes"})
    assert result.outcome.code == "acute_positive"
    assert [f.kind for f in result.flags] == ["critical_unanswered"]
    assert result.validity == "needs_review"
    assert risk_signal(result).level == "critical"


def test_asq_question_5_is_only_asked_after_a_yes(asq):
    result = score(asq, no_to_all() | {"q5": "yes"})
    assert result.outcome.code == "negative"
    assert [(f.kind, f.item) for f in result.flags] == [("ignored_answer", "q5")]
    assert result.critical_flags == ()


def test_asq_follow_ups_are_asked_only_when_their_condition_holds(asq):
    def shown(answers):
        return [i.id for i in asked_items(asq, answers)]

    assert shown({}) == ["q1", "q2", "q3", "q4"]
    assert shown(no_to_all() | {"q4": "yes"}) == ["q1", "q2", "q3", "q4", "q4_how", "q5"]
    assert shown(no_to_all() | {"q1": "yes", "q5": "yes"}) == ["q1", "q2", "q3", "q4", "q5", "q5_describe"]
    assert shown(no_to_all() | {"q5": "yes"}) == ["q1", "q2", "q3", "q4"]  # a stray answer asks nothing


def test_asq_a_refused_question_counts_as_positive(asq):
    answers = no_to_all()
    del answers["q4"]
    result = score(asq, answers)
    assert (result.outcome.code, result.outcome.level) == ("positive_unanswered", "high")
    assert risk_signal(result).level == "high"


def test_asq_free_text_follow_up_is_kept_but_never_scored(asq):
    result = score(asq, no_to_all() | {"q4": "yes", "q4_how": "去年吃过药", "q5": "no"})
    assert result.outcome.code == "non_acute_positive"
    assert result.answered_items == 6


# -- PSC-17 --------------------------------------------------------------------------------------------

INTERNALIZING = ("q2", "q6", "q9", "q11", "q15")
ATTENTION = ("q1", "q3", "q7", "q13", "q17")
EXTERNALIZING = ("q4", "q5", "q8", "q10", "q12", "q14", "q16")


def psc_answers(points: dict[str, int]) -> dict[str, str]:
    code = {0: "never", 1: "sometimes", 2: "often"}
    return {f"q{n}": code[points.get(f"q{n}", 0)] for n in range(1, 18)}


def spread(items: tuple[str, ...], total: int) -> dict[str, int]:
    points = {}
    for item in items:
        points[item] = min(2, total)
        total -= points[item]
    assert total == 0
    return points


def test_psc17_subscales_hold_the_published_items(psc17):
    assert psc17.scale("internalizing").items == INTERNALIZING
    assert psc17.scale("attention").items == ATTENTION
    assert psc17.scale("externalizing").items == EXTERNALIZING
    assert psc17.respondent == "parent"


def test_psc17_minimum_and_maximum(psc17):
    low = score(psc17, psc_answers({}))
    assert [s.value for s in low.scales] == [0, 0, 0, 0]
    assert risk_signal(low).level == "none"
    high = score(psc17, psc_answers({f"q{n}": 2 for n in range(1, 18)}))
    assert [(s.value, s.band.code) for s in high.scales] == [
        (10, "positive"), (10, "positive"), (14, "positive"), (34, "positive")]


@pytest.mark.parametrize(("scale", "items", "cutoff"), [
    ("internalizing", INTERNALIZING, 5), ("attention", ATTENTION, 7), ("externalizing", EXTERNALIZING, 7),
])
def test_psc17_subscale_cutoffs(psc17, scale, items, cutoff):
    below = score(psc17, psc_answers(spread(items, cutoff - 1))).scale(scale)
    at = score(psc17, psc_answers(spread(items, cutoff))).scale(scale)
    assert (below.value, below.band.code) == (cutoff - 1, "below_cutoff")
    assert (at.value, at.band.code, at.band.level) == (cutoff, "positive", "moderate")


def test_psc17_total_cutoff_is_15(psc17):
    points = spread(INTERNALIZING, 4) | spread(ATTENTION, 6) | spread(EXTERNALIZING, 4)
    result = score(psc17, psc_answers(points))
    assert (result.total.value, result.total.band.code) == (14, "below_cutoff")
    points["q16"] = 1
    result = score(psc17, psc_answers(points))
    assert (result.total.value, result.total.band.code) == (15, "positive")
    assert risk_signal(result).level == "moderate"


def test_psc17_three_blanks_count_as_zero(psc17):
    answers = psc_answers({f"q{n}": 2 for n in range(1, 18)})
    for item in ("q1", "q2", "q4"):
        answers[item] = None
    result = score(psc17, answers)
    assert result.validity == "valid"
    assert (result.total.value, result.total.prorated, result.total.missing) == (28, False, 3)


def test_psc17_four_blanks_make_it_invalid(psc17):
    answers = psc_answers({f"q{n}": 2 for n in range(1, 18)})
    for item in ("q1", "q2", "q4", "q5"):
        del answers[item]
    result = score(psc17, answers)
    assert result.validity == "invalid"
    assert all(s.value is None for s in result.scales)
    assert risk_signal(result).level == "review"


# -- CES-DC --------------------------------------------------------------------------------------------

REVERSED = {"q4", "q8", "q12", "q16"}


def ces_answers(**overrides: str) -> dict[str, str]:
    """The healthiest answers: "not at all" to symptoms, "a lot" to the four positive items."""
    return {f"q{n}": "a_lot" if f"q{n}" in REVERSED else "not_at_all" for n in range(1, 21)} | overrides


def test_cesdc_reverses_items_4_8_12_16(cesdc):
    assert {i.id for i in cesdc.items if i.reverse} == REVERSED
    assert score(cesdc, ces_answers()).total.value == 0
    assert score(cesdc, ces_answers(q4="not_at_all")).total.value == 3
    assert score(cesdc, ces_answers(q4="some")).total.value == 1
    assert score(cesdc, ces_answers(q1="some")).total.value == 2


def test_cesdc_maximum(cesdc):
    worst = {f"q{n}": "not_at_all" if f"q{n}" in REVERSED else "a_lot" for n in range(1, 21)}
    result = score(cesdc, worst)
    assert (result.total.value, result.total.band.code, result.validity) == (60, "possible_depression", "valid")


def test_cesdc_cutoff_is_above_15(cesdc):
    fifteen = ces_answers(q1="a_lot", q2="a_lot", q3="a_lot", q5="a_lot", q6="a_lot")
    assert (score(cesdc, fifteen).total.value, score(cesdc, fifteen).total.band.code) == (15, "below_cutoff")
    sixteen = fifteen | {"q7": "a_little"}
    result = score(cesdc, sixteen)
    assert (result.total.value, result.total.band.code) == (16, "possible_depression")
    assert risk_signal(result).level == "moderate"
    assert "Weissman" in cesdc.scale("total").note["en"]


def test_cesdc_identical_answers_despite_reverse_items_need_review(cesdc):
    result = score(cesdc, {f"q{n}": "not_at_all" for n in range(1, 21)})
    assert result.total.value == 12  # the four reversed items score 3 each
    assert result.total.band.code == "below_cutoff"
    assert [f.kind for f in result.flags] == ["identical_answers"]
    assert result.validity == "needs_review"
    assert risk_signal(result).level == "review"  # never a silent "no risk"


def test_cesdc_prorates_up_to_four_missing(cesdc):
    answers = ces_answers(q1="a_lot", q2="a_lot")  # 6 points
    for item in ("q17", "q18", "q19", "q20"):
        del answers[item]
    result = score(cesdc, answers)
    assert (result.total.raw, result.total.prorated) == (8, True)  # 6 × 20/16 = 7.5 -> 8
    del answers["q3"]
    assert score(cesdc, answers).validity == "invalid"


# -- WHO-5 ---------------------------------------------------------------------------------------------

WHO_CODES = {5: "all_of_the_time", 4: "most_of_the_time", 3: "more_than_half", 2: "less_than_half",
             1: "some_of_the_time", 0: "at_no_time"}


def who_answers(raw: int) -> dict[str, str]:
    answers = {}
    for n in range(1, 6):
        answers[f"q{n}"] = WHO_CODES[min(5, raw)]
        raw -= min(5, raw)
    return answers


@pytest.mark.parametrize(("raw", "percent", "band"), [
    (0, 0, "likely_depression"), (7, 28, "likely_depression"), (8, 32, "poor_wellbeing"),
    (12, 48, "poor_wellbeing"), (13, 52, "adequate"), (25, 100, "adequate"),
])
def test_who5_percentage_score_and_bands(who5, raw, percent, band):
    result = score(who5, who_answers(raw))
    assert (result.total.raw, result.total.standard, result.total.value, result.total.band.code) == (raw, percent, percent, band)


def test_who5_low_wellbeing_is_a_moderate_signal(who5):
    assert risk_signal(score(who5, who_answers(7))).level == "moderate"
    assert risk_signal(score(who5, who_answers(20))).level == "none"


def test_who5_needs_every_item(who5):
    answers = who_answers(20)
    del answers["q3"]
    assert score(who5, answers).validity == "invalid"
