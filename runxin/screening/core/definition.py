"""The instrument definition (量表定义): frozen dataclasses for one version of one instrument.

Definitions are data, stored as JSON (`instruments/FORMAT.md` describes the format) and turned into
these classes by `validation.parse_definition`, which is the only way to build a checked one.
Numbers are `Decimal` so that scoring and band boundaries are exact; `to_dict()` gives the JSON form
back, and `parse_definition(d.to_dict()) == d` holds for every valid definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Literal

from runxin.screening.core.conditions import Condition, ItemCondition
from runxin.screening.core.decimals import number, round_half_up

SCHEMA = "runxin.instrument/1"

LocalizedText = dict[str, str]  # language tag (zh-Hans, en, ...) -> text
ItemType = Literal["choice", "yes_no", "text"]
ScaleKind = Literal["sum", "mean", "count"]
RiskLevel = Literal["none", "moderate", "high", "critical"]
ValidityStatus = Literal["valid", "needs_review", "invalid"]

ITEM_TYPES = ("choice", "yes_no", "text")
SCALE_KINDS = ("sum", "mean", "count")
BAND_LEVELS = ("none", "moderate", "high")
OUTCOME_LEVELS = ("none", "moderate", "high", "critical")
CRITICAL_LEVELS = ("critical", "high")
CHECK_STATUSES = ("invalid", "needs_review")
MISSING_METHODS = ("prorate", "zero", "none")
RESPONDENTS = ("student", "parent", "teacher")
LANGUAGE_STATUSES = ("original", "established", "translated", "imported")
LAYOUTS = ("one_per_page", "grid", "list")
ORIENTATIONS = ("horizontal", "vertical")


def text_in(text: LocalizedText, language: str) -> str:
    """The text in `language`, else in English, else in whichever language it has. Tags match in any case
    (BCP 47 tags are case-insensitive): Django's "zh-hans" finds a definition's "zh-Hans" (the case file showed
    Chinese readers the English titles and bands)."""
    found = text.get(language)
    if not found and language:
        wanted = language.lower()
        found = next((value for key, value in text.items() if key.lower() == wanted and value), None)
    return found or text.get("en") or next(iter(text.values()), "")


@dataclass(frozen=True)
class Coding:
    """A code in an external terminology (LOINC for PHQ-9 items and answers, for example)."""

    system: str
    code: str
    display: str | None = None

    def to_dict(self) -> dict:
        return {"system": self.system, "code": self.code} | ({"display": self.display} if self.display else {})


@dataclass(frozen=True)
class Option:
    """One answer option: the value code stored in answers, its label, and its score (None if unscored)."""

    value: str
    label: LocalizedText
    score: Decimal | None = None
    system: str | None = None  # code system of `value` when it is an external code (e.g. LOINC LA codes)

    def to_dict(self) -> dict:
        data: dict = {"value": self.value, "label": dict(self.label)}
        if self.score is not None:
            data["score"] = number(self.score)
        if self.system:
            data["system"] = self.system
        return data


YES_NO_OPTIONS = (
    Option("yes", {"zh-Hans": "是", "en": "Yes"}, Decimal(1)),
    Option("no", {"zh-Hans": "否", "en": "No"}, Decimal(0)),
)


@dataclass(frozen=True)
class Item:
    """One question. Choice items carry options; yes/no items the fixed yes=1/no=0 options; text items none."""

    id: str
    text: LocalizedText
    type: ItemType
    options: tuple[Option, ...] = ()
    option_set: str | None = None  # name of the shared option set the options came from
    number: str | None = None  # the label printed before the text ("9", "4a")
    reverse: bool = False
    required: bool = True
    ask_if: Condition | None = None
    coding: Coding | None = None
    # The FHIR linkId the item was imported from when it is not a usable id ("/44250-9", "H1/T1/Q1"):
    # `id` is then a safe rendering of it, and FHIR exports write the linkId back.
    link_id: str | None = None

    @property
    def fhir_link_id(self) -> str:
        return self.link_id or self.id

    @property
    def scored(self) -> bool:
        return any(o.score is not None for o in self.options)

    @property
    def label(self) -> str:
        return self.number or self.id

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def score_range(self) -> tuple[Decimal, Decimal]:
        scores = [o.score for o in self.options if o.score is not None]
        return min(scores), max(scores)

    def score_for(self, value: str) -> Decimal | None:
        """The score an answer contributes: the option's score, mirrored within the item's range if reversed."""
        option = self.option(value)
        if option is None or option.score is None:
            return None
        if not self.reverse:
            return option.score
        low, high = self.score_range
        return low + high - option.score

    def to_dict(self) -> dict:
        data: dict = {"id": self.id}
        if self.number is not None:
            data["number"] = self.number
        data |= {"text": dict(self.text), "type": self.type}
        if self.option_set:
            data["option_set"] = self.option_set
        elif self.type == "choice":
            data["options"] = [o.to_dict() for o in self.options]
        if self.reverse:
            data["reverse"] = True
        if not self.required:
            data["required"] = False
        if self.ask_if is not None:
            data["ask_if"] = self.ask_if.to_dict()
        if self.coding is not None:
            data["coding"] = self.coding.to_dict()
        if self.link_id is not None:
            data["link_id"] = self.link_id
        return data


@dataclass(frozen=True)
class Transform:
    """A standard score: raw × multiply + add, rounded half-up to `digits` decimals (SDS/SAS: × 1.25, 0)."""

    multiply: Decimal
    add: Decimal = Decimal(0)
    digits: int = 0
    label: LocalizedText | None = None

    def apply(self, raw: Decimal) -> Decimal:
        return round_half_up(raw * self.multiply + self.add, self.digits)

    def to_dict(self) -> dict:
        data = {"multiply": number(self.multiply), "add": number(self.add), "digits": self.digits, "rounding": "half_up"}
        return data | ({"label": dict(self.label)} if self.label else {})


@dataclass(frozen=True)
class Band:
    """A severity band over the scale's reported value; both bounds are inclusive."""

    min: Decimal
    max: Decimal
    code: str
    label: LocalizedText
    level: RiskLevel = "none"

    def contains(self, value: Decimal) -> bool:
        return self.min <= value <= self.max

    def to_dict(self) -> dict:
        return {"min": number(self.min), "max": number(self.max), "code": self.code, "label": dict(self.label), "level": self.level}


@dataclass(frozen=True)
class Scale:
    """A total, subscale or factor: the sum or mean of item scores, or the count of items scoring >= threshold.

    The raw value is rounded half-up to `digits`; with a transform, the reported value is the standard score.
    Bands and `range` are over the reported value.
    """

    id: str
    label: LocalizedText
    kind: ScaleKind
    items: tuple[str, ...]
    range: tuple[Decimal, Decimal]
    digits: int = 0
    threshold: Decimal | None = None
    transform: Transform | None = None
    bands: tuple[Band, ...] = ()
    note: LocalizedText | None = None

    @property
    def value_digits(self) -> int:
        return self.transform.digits if self.transform else self.digits

    def band_for(self, value: Decimal) -> Band | None:
        return next((b for b in self.bands if b.contains(value)), None)

    def to_dict(self) -> dict:
        data: dict = {"id": self.id, "label": dict(self.label), "kind": self.kind, "items": list(self.items)}
        if self.threshold is not None:
            data["threshold"] = number(self.threshold)
        data["digits"] = self.digits
        if self.transform is not None:
            data["transform"] = self.transform.to_dict()
        data["range"] = [number(self.range[0]), number(self.range[1])]
        if self.bands:
            data["bands"] = [b.to_dict() for b in self.bands]
        if self.note:
            data["note"] = dict(self.note)
        return data


@dataclass(frozen=True)
class CriticalItem:
    """An item whose answer flags risk by itself, whatever the totals (PHQ-9 item 9 score >= 1)."""

    item: str
    when: ItemCondition
    level: Literal["critical", "high"]
    reason: LocalizedText

    def to_dict(self) -> dict:
        return {"item": self.item, "when": self.when.to_dict(with_item=False), "level": self.level, "reason": dict(self.reason)}


@dataclass(frozen=True)
class Outcome:
    """A named screen result decided by rules (ASQ acute / non-acute positive); the first that holds wins."""

    code: str
    when: Condition
    level: RiskLevel
    label: LocalizedText

    def to_dict(self) -> dict:
        return {"code": self.code, "when": self.when.to_dict(), "level": self.level, "label": dict(self.label)}


@dataclass(frozen=True)
class ValidityCheck:
    """A check that makes a result invalid or sends it for review.

    kinds: "condition" (e.g. MHT lie scale >= 8), "identical_answers" (every answer on a scale with
    reverse items is the same option), "min_seconds_per_item" (completion faster than reading allows).
    """

    kind: Literal["condition", "identical_answers", "min_seconds_per_item"]
    status: Literal["invalid", "needs_review"]
    reason: LocalizedText | None = None
    when: Condition | None = None
    scale: str | None = None
    seconds: Decimal | None = None

    def to_dict(self) -> dict:
        data: dict = {"kind": self.kind}
        if self.when is not None:
            data["when"] = self.when.to_dict()
        if self.scale is not None:
            data["scale"] = self.scale
        if self.seconds is not None:
            data["seconds"] = number(self.seconds)
        data["status"] = self.status
        return data | ({"reason": dict(self.reason)} if self.reason else {})


@dataclass(frozen=True)
class MissingPolicy:
    """What to do with unanswered scale items.

    Up to `max_missing` of them are filled in — "prorate" by the mean of the scale's answered items
    (mean substitution), "zero" by 0 — and more make the result invalid. "none" allows no missing item.
    """

    method: Literal["prorate", "zero", "none"] = "none"
    max_missing: int = 0

    def to_dict(self) -> dict:
        return {"method": self.method, "max_missing": self.max_missing}


@dataclass(frozen=True)
class Source:
    citation: str
    licence: str
    url: str | None = None

    def to_dict(self) -> dict:
        return {"citation": self.citation, "licence": self.licence} | ({"url": self.url} if self.url else {})


@dataclass(frozen=True)
class LanguageInfo:
    """Where a language's texts come from: the original, an established published version, or our translation."""

    status: Literal["original", "established", "translated", "imported"]
    note: str | None = None

    def to_dict(self) -> dict:
        return {"status": self.status} | ({"note": self.note} if self.note else {})


@dataclass(frozen=True)
class Display:
    layout: Literal["one_per_page", "grid", "list"] = "one_per_page"
    options_orientation: Literal["horizontal", "vertical"] = "vertical"

    def to_dict(self) -> dict:
        return {"layout": self.layout, "options_orientation": self.options_orientation}


@dataclass(frozen=True)
class InstrumentDefinition:
    """One version of one instrument, validated."""

    code: str
    version: str
    title: LocalizedText
    languages: dict[str, LanguageInfo]
    respondent: Literal["student", "parent", "teacher"]
    grades: tuple[int, ...]
    source: Source
    items: tuple[Item, ...]
    instructions: LocalizedText = field(default_factory=dict)
    scales: tuple[Scale, ...] = ()
    total_scale: str | None = None
    critical_items: tuple[CriticalItem, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    validity_checks: tuple[ValidityCheck, ...] = ()
    missing: MissingPolicy = field(default_factory=MissingPolicy)
    display: Display = field(default_factory=Display)
    option_sets: dict[str, tuple[Option, ...]] = field(default_factory=dict)
    coding: Coding | None = None
    # Optional: the title shown to the person answering (a neutral "心情小调查", never a clinical name).
    respondent_title: LocalizedText = field(default_factory=dict)

    def item(self, item_id: str) -> Item:
        return self._items_by_id[item_id]

    def scale(self, scale_id: str) -> Scale:
        return next(s for s in self.scales if s.id == scale_id)

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @property
    def primary_language(self) -> str:
        return next(iter(self.languages))

    @cached_property
    def scale_item_ids(self) -> tuple[str, ...]:
        """Items that count towards at least one scale, in questionnaire order."""
        used = {i for s in self.scales for i in s.items}
        return tuple(i.id for i in self.items if i.id in used)

    def to_dict(self) -> dict:
        """The JSON form, with defaults left out where the format allows."""
        data: dict = {"schema": SCHEMA, "code": self.code, "version": self.version, "title": dict(self.title)}
        if self.respondent_title:
            data["respondent_title"] = dict(self.respondent_title)
        if self.instructions:
            data["instructions"] = dict(self.instructions)
        data["languages"] = {k: v.to_dict() for k, v in self.languages.items()}
        data |= {"respondent": self.respondent, "grades": list(self.grades), "display": self.display.to_dict()}
        data["source"] = self.source.to_dict()
        if self.coding is not None:
            data["coding"] = self.coding.to_dict()
        if self.option_sets:
            data["option_sets"] = {k: [o.to_dict() for o in v] for k, v in self.option_sets.items()}
        data["items"] = [i.to_dict() for i in self.items]
        data["scales"] = [s.to_dict() for s in self.scales]
        if self.total_scale:
            data["total_scale"] = self.total_scale
        if self.critical_items:
            data["critical_items"] = [c.to_dict() for c in self.critical_items]
        if self.outcomes:
            data["outcomes"] = [o.to_dict() for o in self.outcomes]
        if self.validity_checks:
            data["validity_checks"] = [v.to_dict() for v in self.validity_checks]
        data["missing"] = self.missing.to_dict()
        return data
