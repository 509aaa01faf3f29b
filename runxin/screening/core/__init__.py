"""The pure screening core: instrument definitions as data, scoring, risk signals (no Django here).

- `definition` / `conditions`: the format's dataclasses; `validation.parse_definition` builds them from JSON.
- `scoring.score`: one response -> `result.ScoreResult`; `risk.risk_signal`: result -> suggested level.
- `loader`: shipped instruments (`instruments/*.json`) and the CLI entry `score_cli`.
- `fhir`: FHIR R4 Questionnaire / QuestionnaireResponse import and export.
"""

from runxin.screening.core.definition import InstrumentDefinition
from runxin.screening.core.loader import (
    UnknownInstrument,
    list_shipped,
    load_definition,
    score_cli,
    score_payload,
)
from runxin.screening.core.result import Flag, Message, ScaleScore, ScoreResult
from runxin.screening.core.risk import RiskSignal, risk_signal
from runxin.screening.core.scoring import AnswerError, asked_items, score
from runxin.screening.core.validation import DefinitionError, parse_definition

__all__ = [
    "AnswerError",
    "DefinitionError",
    "Flag",
    "InstrumentDefinition",
    "Message",
    "RiskSignal",
    "ScaleScore",
    "ScoreResult",
    "UnknownInstrument",
    "asked_items",
    "list_shipped",
    "load_definition",
    "parse_definition",
    "risk_signal",
    "score",
    "score_cli",
    "score_payload",
]
