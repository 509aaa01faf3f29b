"""Loading definitions by code or path, scoring an answers file for `runxin score`, and risk signals."""

import json

import pytest

from runxin.screening.core import (
    AnswerError,
    DefinitionError,
    UnknownInstrument,
    list_shipped,
    load_definition,
    risk_signal,
    score,
    score_cli,
    score_payload,
)
from runxin.screening.core.loader import SHIPPED_DIR
from runxin.screening.core.result import Flag, Message, ScoreResult

NOT_AT_ALL, SEVERAL_DAYS = "LA6568-5", "LA6569-3"


def test_load_by_code_and_by_path_give_the_same_definition():
    assert load_definition("gad7") == load_definition(SHIPPED_DIR / "gad7.json")
    assert load_definition("gad7") is load_definition("gad7")  # shipped definitions are parsed once


def test_unknown_instrument_names_the_shipped_ones():
    with pytest.raises(UnknownInstrument, match="asq, cesdc, gad7, phq9, phqa, psc17, who5"):
        load_definition("bdi2")


def test_a_bad_file_is_reported_with_its_name(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"schema": "runxin.instrument/1"', encoding="utf-8")
    with pytest.raises(DefinitionError, match="broken.json: not valid JSON"):
        load_definition(path)
    data = json.loads((SHIPPED_DIR / "phq9.json").read_text(encoding="utf-8"))
    data["scales"][0]["range"] = [0, 30]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(str(path))
    assert caught.value.problems[0].startswith(f"{path}: scales[0].range: must be [0, 27]")


def test_score_cli_reads_the_wrapped_form_with_elapsed_seconds(tmp_path):
    answers = {f"q{n}": NOT_AT_ALL for n in range(1, 9)} | {"q9": SEVERAL_DAYS}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": answers, "elapsed_seconds": 5}), encoding="utf-8")
    output = score_cli("phq9", path)
    json.dumps(output)  # printable as it is
    assert output["total"]["value"] == 1
    assert output["validity"]["status"] == "needs_review"  # 5 s for 9 items
    assert output["risk_signal"]["level"] == "critical"
    assert output["risk_signal"]["reasons"][0]["zh-Hans"].startswith("报告有死亡或自伤的念头")


def test_score_cli_reads_a_plain_mapping_and_a_definition_path(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({f"q{n}": "often" for n in range(1, 18)}), encoding="utf-8")
    output = score_cli(str(SHIPPED_DIR / "psc17.json"), str(path))
    assert (output["instrument"]["code"], output["total"]["value"], output["elapsed_seconds"]) == ("psc17", 34, None)
    assert output["risk_signal"]["level"] == "moderate"


def test_score_payload_scores_parsed_json_like_the_cli():
    definition = load_definition("gad7")
    wrapped = score_payload(definition, {"answers": {f"q{n}": "LA6570-1" for n in range(1, 8)}, "elapsed_seconds": 60})
    plain = score_payload(definition, {f"q{n}": "LA6570-1" for n in range(1, 8)})
    assert wrapped["total"]["value"] == plain["total"]["value"] == 14
    assert (wrapped["elapsed_seconds"], plain["elapsed_seconds"]) == (60, None)
    assert wrapped["risk_signal"]["level"] == "moderate"


def test_score_cli_reports_bad_answers(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": {"q1": "sometimes"}, "elapsed": 3}), encoding="utf-8")
    with pytest.raises(AnswerError, match="unknown keys elapsed"):
        score_cli("psc17", path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(AnswerError, match="must be a JSON object"):
        score_cli("psc17", path)


@pytest.mark.parametrize("code", list_shipped())
def test_every_shipped_instrument_scores_an_empty_response_as_something_to_review(code):
    # A blank submission must never come out as "no risk".
    result = score(load_definition(code), {})
    assert risk_signal(result).level != "none", code


def _result(*flags: Flag) -> ScoreResult:
    return ScoreResult("x", "1", (), None, None, flags, 0, ())


def test_risk_signal_orders_levels_and_keeps_every_reason():
    review = Flag("too_fast", Message("fast", "快"), validity="needs_review")
    critical = Flag("critical_item", Message("item 9", "第9题"), level="critical", item="q9")
    high = Flag("critical_item", Message("item 5", "第5题"), level="high", item="q5")
    signal = risk_signal(_result(review, high, critical))
    assert signal.level == "critical"
    assert [r.en for r in signal.reasons] == ["item 9", "item 5", "fast"]
    assert signal.to_dict()["reasons"][0] == {"en": "item 9", "zh-Hans": "第9题"}


def test_risk_signal_none_still_says_why():
    signal = risk_signal(_result())
    assert signal.level == "none"
    assert signal.reasons[0].zh_hans == "本次结果未发现风险指标。"
