"""`runxin score INSTRUMENT ANSWERS.json`: the definition check a psychologist runs before using one."""

import json

import pytest
from django.core.management import CommandError, call_command


def run(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("score", *args, stdout=out)
    return json.loads(out.getvalue())


def test_scores_a_shipped_instrument(tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({f"q{n}": "LA6570-1" for n in range(1, 8)}))
    result = run("gad7", str(answers))
    assert result["total"]["value"] == 14 and result["total"]["band"]["code"] == "moderate"
    assert result["validity"]["status"] == "valid" and result["risk_signal"]["level"] == "moderate"


def test_a_positive_critical_item_is_critical_whatever_the_total(tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"answers": {f"q{n}": "LA6568-5" for n in range(1, 9)} | {"q9": "LA6569-3"},
                                   "elapsed_seconds": 90}))
    result = run("phqa", str(answers))
    assert result["total"]["value"] == 1 and result["risk_signal"]["level"] == "critical"


def test_a_definition_file_can_be_checked(tmp_path):
    from runxin.screening.core.loader import SHIPPED_DIR

    definition = json.loads((SHIPPED_DIR / "who5.json").read_text())
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(definition))
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({f"q{n}": definition["option_sets"][next(iter(definition["option_sets"]))][0]["value"]
                                   for n in range(1, 6)}) if definition.get("option_sets") else "{}")
    result = run(str(path), str(answers))
    assert result["instrument"]["code"] == "who5"


@pytest.mark.parametrize(("instrument", "answers", "message"), [
    ("nosuch", '{"q1": "x"}', "not a shipped instrument"),
    ("gad7", '{"q1": "often"}', "not an option"),
    ("gad7", "{broken", "not valid JSON"),
])
def test_invalid_input_exits_non_zero_with_a_clear_message(tmp_path, instrument, answers, message):
    path = tmp_path / "a.json"
    path.write_text(answers)
    with pytest.raises(CommandError) as exc:
        call_command("score", instrument, str(path))
    assert message in str(exc.value)


def test_the_runxin_command_exits_1(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "a.json"
    path.write_text('{"q1": "often"}')
    done = subprocess.run([sys.executable, "-m", "runxin.cli", "score", "gad7", str(path)], capture_output=True,  # noqa: S603
                          text=True, timeout=60)
    assert done.returncode == 1 and "not an option" in done.stderr
