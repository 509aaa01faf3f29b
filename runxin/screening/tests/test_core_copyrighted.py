"""The format expresses the scoring of the copyrighted instruments Chinese schools use (MHT, SCL-90, SDS, SAS,
MSSMHS): test definitions with placeholder texts, scored as their manuals say."""

from pathlib import Path

import pytest

from runxin.screening.core import InstrumentDefinition, load_definition, risk_signal, score

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> InstrumentDefinition:
    return load_definition(FIXTURES / f"{name}.json")


def answers_for(definition: InstrumentDefinition, scores: dict[str, int], default: int) -> dict[str, str]:
    """Answers whose item scores (after reverse scoring) are `scores`, every other item `default`."""
    answers = {}
    for item in definition.items:
        wanted = scores.get(item.id, default)
        answers[item.id] = next(o.value for o in item.options if item.score_for(o.value) == wanted)
    return answers


def items(numbers) -> list[str]:
    return [f"q{n}" for n in numbers]


# -- MHT 心理健康诊断测验 --------------------------------------------------------------------------------

LIE = items(range(82, 101, 2))


@pytest.fixture(scope="module")
def mht():
    return fixture("mht")


def test_mht_all_no_is_valid_and_zero(mht):
    result = score(mht, answers_for(mht, {}, 0))
    assert result.validity == "valid"
    assert all(s.value == 0 for s in result.scales)


def test_mht_lie_scale_of_8_makes_it_invalid_7_does_not(mht):
    seven = score(mht, answers_for(mht, dict.fromkeys(LIE[:7], 1), 0))
    assert (seven.scale("lie").value, seven.validity) == (7, "valid")
    eight = score(mht, answers_for(mht, dict.fromkeys(LIE[:8], 1), 0))
    assert (eight.scale("lie").value, eight.validity) == (8, "invalid")
    assert "Lie scale >= 8" in eight.validity_reasons[0].en
    assert eight.total.value == 0  # the lie items are not content items
    assert risk_signal(eight).level == "review"


def test_mht_content_scale_cutoff_is_8(mht):
    seven = score(mht, answers_for(mht, dict.fromkeys(items(range(1, 8)), 1), 0)).scale("learning_anxiety")
    eight = score(mht, answers_for(mht, dict.fromkeys(items(range(1, 9)), 1), 0)).scale("learning_anxiety")
    assert (seven.value, seven.band.code) == (7, "normal")
    assert (eight.value, eight.band.code) == (8, "elevated")


def test_mht_impulsivity_uses_the_odd_items_81_to_99(mht):
    assert mht.scale("impulsivity").items == tuple(items(range(81, 100, 2)))
    assert mht.scale("lie").items == tuple(LIE)


def test_mht_total_cutoff_is_65(mht):
    content = [i for s in mht.scales if s.id not in ("total", "lie") for i in s.items]
    below = score(mht, answers_for(mht, dict.fromkeys(content[:64], 1), 0))
    at = score(mht, answers_for(mht, dict.fromkeys(content[:65], 1), 0))
    assert (below.total.value, below.total.band.code) == (64, "below_cutoff")
    assert (at.total.value, at.total.band.code, at.total.band.level) == (65, "high_anxiety", "high")
    assert risk_signal(at).level == "high"


def test_mht_all_yes_is_invalid_but_its_high_scores_still_show(mht):
    result = score(mht, answers_for(mht, {}, 1))
    assert (result.total.value, result.scale("lie").value, result.validity) == (90, 10, "invalid")
    assert risk_signal(result).level == "high"  # an invalid sheet never hides a high score


def test_mht_needs_every_answer(mht):
    answers = answers_for(mht, {}, 0)
    del answers["q50"]
    assert score(mht, answers).validity == "invalid"


# -- SCL-90 症状自评量表 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scl90():
    return fixture("scl90")


def test_scl90_minimum(scl90):
    result = score(scl90, answers_for(scl90, {}, 1))
    assert (result.total.value, result.scale("gsi").value, result.scale("positive_items").value) == (90, 1, 0)
    assert all(s.band.code == "normal" for s in result.scales if s.band)
    assert risk_signal(result).level == "none"


def test_scl90_maximum(scl90):
    result = score(scl90, answers_for(scl90, {}, 5))
    assert (result.total.value, result.scale("gsi").value, result.scale("positive_items").value) == (450, 5, 90)
    assert [f.item for f in result.critical_flags] == ["q15"]
    assert risk_signal(result).level == "critical"


def test_scl90_factor_scores_are_means_with_2_as_the_cutoff(scl90):
    depression = scl90.scale("depression").items  # 13 items
    assert len(depression) == 13 and "q15" in depression
    below = score(scl90, answers_for(scl90, dict.fromkeys(depression[:12], 2), 1)).scale("depression")
    assert (below.value, below.band.code) == (1.92, "normal")  # 25 / 13 = 1.923
    at = score(scl90, answers_for(scl90, dict.fromkeys(depression, 2), 1)).scale("depression")
    assert (at.value, at.band.code) == (2, "positive")


def test_scl90_positive_items_count_scores_of_2_or_more(scl90):
    result = score(scl90, answers_for(scl90, {"q1": 2, "q2": 3, "q3": 5, "q4": 1}, 1))
    assert result.scale("positive_items").value == 3
    assert result.total.value == 90 + 1 + 2 + 4


def test_scl90_total_cutoff_is_above_160(scl90):
    seventy = dict.fromkeys(items(range(16, 86)), 2)  # 70 items one point above the floor
    at_160 = score(scl90, answers_for(scl90, seventy, 1))
    assert (at_160.total.value, at_160.total.band.code) == (160, "normal")
    assert at_160.scale("positive_items").band.code == "positive"  # 70 > 43
    at_161 = score(scl90, answers_for(scl90, seventy | {"q86": 2}, 1))
    assert (at_161.total.value, at_161.total.band.code) == (161, "positive")


def test_scl90_missing_answers_fill_means_half_up(scl90):
    obsessive = scl90.scale("obsessive_compulsive").items  # 10 items
    answers = answers_for(scl90, {obsessive[0]: 2}, 1)
    del answers[obsessive[8]], answers[obsessive[9]]
    result = score(scl90, answers)
    # 9 points over 8 answered items = 1.125 -> 1.13 (banker's rounding would say 1.12)
    assert (result.scale("obsessive_compulsive").value, result.scale("obsessive_compulsive").prorated) == (1.13, True)
    assert result.total.value == 91  # 89 × 90/88 = 91.02
    for item in items(range(1, 4)):
        del answers[item]
    assert score(scl90, answers).validity == "invalid"


# -- SDS / SAS (Zung) ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sds():
    return fixture("sds")


@pytest.fixture(scope="module")
def sas():
    return fixture("sas")


def raw_total(definition: InstrumentDefinition, raw: int) -> dict[str, str]:
    """Answers with item scores (after reversal) adding up to `raw`, from a floor of 1 per item."""
    scores, extra = {}, raw - 20
    for item in definition.items:
        scores[item.id] = 1 + min(3, extra)
        extra -= min(3, extra)
    return answers_for(definition, scores, 1)


@pytest.mark.parametrize(("raw", "standard", "band"), [
    (20, 25, "normal"), (41, 51, "normal"),  # 51.25 -> 51
    (42, 53, "mild"),  # 52.5 -> 53, where Python's round() would give 52 ("normal")
    (49, 61, "mild"), (50, 63, "moderate"),  # 62.5 -> 63
    (57, 71, "moderate"), (58, 73, "severe"),  # 72.5 -> 73
    (80, 100, "severe"),
])
def test_sds_standard_score_is_raw_times_1_25_rounded_half_up(sds, raw, standard, band):
    result = score(sds, raw_total(sds, raw))
    assert (result.total.raw, result.total.standard, result.total.band.code) == (raw, standard, band)


@pytest.mark.parametrize(("raw", "standard", "band"), [
    (39, 49, "normal"), (40, 50, "mild"), (47, 59, "mild"), (48, 60, "moderate"),
    (55, 69, "moderate"), (56, 70, "severe"),
])
def test_sas_bands(sas, raw, standard, band):
    result = score(sas, raw_total(sas, raw))
    assert (result.total.standard, result.total.band.code) == (standard, band)


def test_sds_and_sas_reverse_their_positively_worded_items(sds, sas):
    assert {i.id for i in sds.items if i.reverse} == set(items([2, 5, 6, 11, 12, 14, 16, 17, 18, 20]))
    assert {i.id for i in sas.items if i.reverse} == set(items([5, 9, 13, 17, 19]))


def test_sds_identical_answers_need_review(sds):
    result = score(sds, {i.id: "rarely" for i in sds.items})
    # 10 plain items score 1, 10 reversed items score 4: raw 50, standard 62.5 -> 63
    assert (result.total.raw, result.total.standard) == (50, 63)
    assert result.validity == "needs_review"
    assert [f.kind for f in result.flags] == ["identical_answers"]


def test_sds_prorates_before_the_standard_score(sds):
    answers = raw_total(sds, 42)
    del answers["q20"]  # q20 scored 1: 41 over 19 items -> 43.16 -> 43 -> 53.75 -> 54
    result = score(sds, answers)
    assert (result.total.raw, result.total.standard, result.total.prorated) == (43, 54, True)
    del answers["q19"]
    assert score(sds, answers).validity == "invalid"


# -- MSSMHS 中国中学生心理健康量表 (王极盛) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def mssmhs():
    return fixture("mssmhs")


def test_mssmhs_has_ten_factors_of_six_items(mssmhs):
    factors = [s for s in mssmhs.scales if s.id != "total_mean"]
    assert len(factors) == 10 and all(len(s.items) == 6 for s in factors)
    assert sorted(i for s in factors for i in s.items) == sorted(items(range(1, 61)))


@pytest.mark.parametrize(("factor_points", "mean", "band"), [
    (6, 1, "healthy"), (11, 1.83, "healthy"), (12, 2, "mild"), (17, 2.83, "mild"), (18, 3, "moderate"),
    (23, 3.83, "moderate"), (24, 4, "fairly_severe"), (29, 4.83, "fairly_severe"), (30, 5, "severe"),
])
def test_mssmhs_factor_means_and_bands(mssmhs, factor_points, mean, band):
    depression = mssmhs.scale("depression").items
    scores, extra = {}, factor_points - 6
    for item in depression:
        scores[item] = 1 + min(4, extra)
        extra -= min(4, extra)
    result = score(mssmhs, answers_for(mssmhs, scores, 1))
    assert (result.scale("depression").value, result.scale("depression").band.code) == (mean, band)


def test_mssmhs_total_mean(mssmhs):
    below = score(mssmhs, answers_for(mssmhs, dict.fromkeys(items(range(1, 60)), 2), 1))
    assert (below.total.value, below.total.band.code) == (1.98, "healthy")  # 119 / 60
    at = score(mssmhs, answers_for(mssmhs, {}, 2))
    assert (at.total.value, at.total.band.code) == (2, "mild")
    assert risk_signal(at).level == "moderate"
    worst = score(mssmhs, answers_for(mssmhs, {}, 4))
    assert (worst.total.band.code, risk_signal(worst).level) == ("fairly_severe", "high")
