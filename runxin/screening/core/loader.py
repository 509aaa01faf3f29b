"""Find and load instrument definitions, and score an answers file for the command line.

Shipped definitions live in `runxin/screening/instruments/<code>.json`; anything else is loaded by path.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from runxin.screening.core.definition import InstrumentDefinition
from runxin.screening.core.risk import risk_signal
from runxin.screening.core.scoring import AnswerError, score
from runxin.screening.core.validation import DefinitionError, parse_definition

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "instruments"


class UnknownInstrument(LookupError):
    """Neither a shipped instrument code nor a readable definition file."""


@cache
def list_shipped() -> tuple[str, ...]:
    """The codes of the shipped instruments, sorted (read once: they ship with the code)."""
    return tuple(sorted(p.stem for p in SHIPPED_DIR.glob("*.json")))


def load_definition(code_or_path: str | Path) -> InstrumentDefinition:
    """A validated definition, by shipped code ("phq9") or by path to a JSON file.

    Raises UnknownInstrument when there is no such code or file, DefinitionError when the JSON is not a
    valid definition (the message names the file and every bad JSON path).
    """
    if isinstance(code_or_path, str) and code_or_path in list_shipped():
        return _load_shipped(code_or_path)
    path = Path(code_or_path)
    if not path.is_file():
        raise UnknownInstrument(f"{code_or_path!s}: not a shipped instrument ({', '.join(list_shipped())}) "
                                "nor a definition file")
    return _load_file(path)


@cache
def _load_shipped(code: str) -> InstrumentDefinition:
    # Definitions are frozen, so one parsed copy per process can be shared.
    return _load_file(SHIPPED_DIR / f"{code}.json")


def _load_file(path: Path) -> InstrumentDefinition:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DefinitionError([f"{path}: not valid JSON ({exc})"]) from exc
    try:
        return parse_definition(data)
    except DefinitionError as exc:
        raise DefinitionError([f"{path}: {p}" for p in exc.problems]) from exc


def read_answers(data: Any) -> tuple[dict[str, Any], float | None]:
    """Answers and elapsed seconds from `{"answers": {...}, "elapsed_seconds": n}` or a plain mapping."""
    if not isinstance(data, dict):
        raise AnswerError(["answers file: must be a JSON object"])
    if isinstance(data.get("answers"), dict):
        # An item called "answers" would hold a string, so a nested object marks the wrapper form.
        unknown = set(data) - {"answers", "elapsed_seconds"}
        if unknown:
            raise AnswerError([f"answers file: unknown keys {', '.join(sorted(unknown))}"])
        return data["answers"], data.get("elapsed_seconds")
    return data, None


def score_cli(instrument_path_or_code: str | Path, answers_path: str | Path) -> dict:
    """Score an answers JSON file: the result's `to_dict()` plus its `risk_signal` under "risk_signal".

    This is what `runxin score INSTRUMENT ANSWERS.json` prints; errors are DefinitionError,
    UnknownInstrument or AnswerError with messages fit to show as they are.
    """
    definition = load_definition(instrument_path_or_code)
    try:
        data = json.loads(Path(answers_path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AnswerError([f"{answers_path}: not valid JSON ({exc})"]) from exc
    return score_payload(definition, data)


def score_payload(definition: InstrumentDefinition, data: Any) -> dict:
    """Score parsed answers JSON (either form `read_answers` accepts): the result's `to_dict()` plus
    its `risk_signal` under "risk_signal". Raises AnswerError when the answers do not fit."""
    answers, elapsed = read_answers(data)
    result = score(definition, answers, elapsed_seconds=elapsed)
    return result.to_dict() | {"risk_signal": risk_signal(result).to_dict()}
