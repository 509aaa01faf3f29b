"""What scoring produces: `ScoreResult` and its parts, plain frozen dataclasses with JSON `to_dict()`s.

Numbers here are JSON numbers (int when integral, else float) so that a result can be stored,
compared and sent as it is. The validity status is derived from the flags, never stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runxin.screening.core.definition import LocalizedText, RiskLevel, ValidityStatus

Number = int | float

FlagKind = Literal[
    "critical_item",  # a critical item's condition held (PHQ-9 item 9 >= 1)
    "critical_unanswered",  # a critical item was asked and left blank: risk cannot be ruled out
    "too_many_missing",  # more unanswered scale items than the missing-answer rule allows
    "empty_scale",  # every item of a scale is unanswered although the total count was allowed
    "validity_check",  # a definition's condition check held (MHT lie scale >= 8)
    "identical_answers",  # the same option everywhere on a scale with reverse items
    "too_fast",  # completed faster than the minimum seconds per item
    "ignored_answer",  # an answer to an item that was not asked; it was not scored
]


@dataclass(frozen=True)
class Message:
    """A human-readable sentence in English and Simplified Chinese."""

    en: str
    zh_hans: str

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh-Hans": self.zh_hans}


@dataclass(frozen=True)
class Flag:
    """Something about a response that a person must know: which item, what answer, and why."""

    kind: FlagKind
    message: Message
    level: Literal["critical", "high"] | None = None  # risk this flag raises by itself
    validity: Literal["invalid", "needs_review"] | None = None  # what it does to the result's validity
    item: str | None = None
    answer: str | None = None
    score: Number | None = None
    scale: str | None = None

    def to_dict(self) -> dict:
        data: dict = {"kind": self.kind, "message": self.message.to_dict()}
        for key in ("level", "validity", "item", "answer", "score", "scale"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class Classification:
    """Where a result landed: a scale's severity band, or the instrument's outcome (ASQ acute positive)."""

    code: str
    label: LocalizedText
    level: RiskLevel

    def to_dict(self) -> dict:
        return {"code": self.code, "label": dict(self.label), "level": self.level}


@dataclass(frozen=True)
class ScaleScore:
    """One scale's result. `value` is what bands apply to: the standard score if the scale has one, else raw.

    All three numbers are None when the scale could not be scored (too many missing answers).
    """

    id: str
    label: LocalizedText
    kind: str
    raw: Number | None
    standard: Number | None
    value: Number | None
    band: Classification | None
    answered: int
    missing: int
    prorated: bool

    def to_dict(self) -> dict:
        return {
            "id": self.id, "label": dict(self.label), "kind": self.kind, "raw": self.raw,
            "standard": self.standard, "value": self.value,
            "band": self.band.to_dict() if self.band else None,
            "answered": self.answered, "missing": self.missing, "prorated": self.prorated,
        }


@dataclass(frozen=True)
class ScoreResult:
    """The scored response, stamped with the definition code and version that scored it."""

    instrument: str
    version: str
    scales: tuple[ScaleScore, ...]
    total_scale: str | None
    outcome: Classification | None
    flags: tuple[Flag, ...]
    answered_items: int
    missing_items: tuple[str, ...]
    elapsed_seconds: Number | None = None

    @property
    def validity(self) -> ValidityStatus:
        """invalid if any flag invalidates, else needs_review if any asks for review, else valid."""
        effects = {f.validity for f in self.flags}
        if "invalid" in effects:
            return "invalid"
        return "needs_review" if "needs_review" in effects else "valid"

    @property
    def validity_reasons(self) -> tuple[Message, ...]:
        return tuple(f.message for f in self.flags if f.validity is not None)

    @property
    def total(self) -> ScaleScore | None:
        return self.scale(self.total_scale) if self.total_scale else None

    def scale(self, scale_id: str) -> ScaleScore:
        return next(s for s in self.scales if s.id == scale_id)

    @property
    def critical_flags(self) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.kind == "critical_item")

    def to_dict(self) -> dict:
        return {
            "instrument": {"code": self.instrument, "version": self.version},
            "total": self.total.to_dict() if self.total else None,
            "scales": [s.to_dict() for s in self.scales],
            "outcome": self.outcome.to_dict() if self.outcome else None,
            "flags": [f.to_dict() for f in self.flags],
            "validity": {"status": self.validity, "reasons": [m.to_dict() for m in self.validity_reasons]},
            "answered_items": self.answered_items,
            "missing_items": list(self.missing_items),
            "elapsed_seconds": self.elapsed_seconds,
        }
