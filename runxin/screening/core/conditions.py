"""Conditions used by instrument definitions: when an item is asked, when an item is critical,
which outcome a screen has, and when a validity check fires.

A condition is a small tree of frozen dataclasses evaluated against an `AnswerContext`. The JSON
forms (see `instruments/FORMAT.md`) are produced by `to_dict()`; parsing lives in `validation.py`
because it has to report errors with their JSON paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from runxin.screening.core.decimals import number


class AnswerContext(Protocol):
    """What a condition may look at while a response is scored."""

    def answer(self, item_id: str) -> str | None:
        """The option value (or text) given for an asked item, None when unanswered or not asked."""

    def item_score(self, item_id: str) -> Decimal | None:
        """The item's score after reverse scoring, None when unanswered, not asked or unscored."""

    def is_asked(self, item_id: str) -> bool:
        """Whether the item was shown to the respondent (its ask_if held)."""

    def scale_value(self, scale_id: str) -> Decimal | None:
        """The scale's reported value, None when it could not be computed."""


@dataclass(frozen=True)
class AnswerIs:
    """The item was answered with one of `values` (option value codes; "yes"/"no" for yes/no items)."""

    item: str
    values: tuple[str, ...]

    def evaluate(self, ctx: AnswerContext) -> bool:
        return ctx.answer(self.item) in self.values

    def to_dict(self, *, with_item: bool = True) -> dict:
        test = {"answer": self.values[0]} if len(self.values) == 1 else {"answer_in": list(self.values)}
        return ({"item": self.item} if with_item else {}) | test

    def describe(self) -> str:
        return f"answer {' or '.join(repr(v) for v in self.values)}"


@dataclass(frozen=True)
class ScoreAtLeast:
    """The item's (reverse-adjusted) score is >= `value`."""

    item: str
    value: Decimal

    def evaluate(self, ctx: AnswerContext) -> bool:
        score = ctx.item_score(self.item)
        return score is not None and score >= self.value

    def to_dict(self, *, with_item: bool = True) -> dict:
        return ({"item": self.item} if with_item else {}) | {"score_gte": number(self.value)}

    def describe(self) -> str:
        return f"score >= {number(self.value)}"


@dataclass(frozen=True)
class ScoreAtMost:
    """The item's (reverse-adjusted) score is <= `value`."""

    item: str
    value: Decimal

    def evaluate(self, ctx: AnswerContext) -> bool:
        score = ctx.item_score(self.item)
        return score is not None and score <= self.value

    def to_dict(self, *, with_item: bool = True) -> dict:
        return ({"item": self.item} if with_item else {}) | {"score_lte": number(self.value)}

    def describe(self) -> str:
        return f"score <= {number(self.value)}"


@dataclass(frozen=True)
class Unanswered:
    """The item was asked but left blank (a refusal, for instruments such as the ASQ that count it)."""

    item: str

    def evaluate(self, ctx: AnswerContext) -> bool:
        return ctx.is_asked(self.item) and ctx.answer(self.item) is None

    def to_dict(self, *, with_item: bool = True) -> dict:
        return ({"item": self.item} if with_item else {}) | {"unanswered": True}

    def describe(self) -> str:
        return "left unanswered"


@dataclass(frozen=True)
class ScaleAtLeast:
    """A scale's reported value is >= `value` (false when the scale has no value)."""

    scale: str
    value: Decimal

    def evaluate(self, ctx: AnswerContext) -> bool:
        got = ctx.scale_value(self.scale)
        return got is not None and got >= self.value

    def to_dict(self) -> dict:
        return {"scale": self.scale, "gte": number(self.value)}


@dataclass(frozen=True)
class ScaleAtMost:
    """A scale's reported value is <= `value` (false when the scale has no value)."""

    scale: str
    value: Decimal

    def evaluate(self, ctx: AnswerContext) -> bool:
        got = ctx.scale_value(self.scale)
        return got is not None and got <= self.value

    def to_dict(self) -> dict:
        return {"scale": self.scale, "lte": number(self.value)}


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]

    def evaluate(self, ctx: AnswerContext) -> bool:
        return any(c.evaluate(ctx) for c in self.conditions)

    def to_dict(self) -> dict:
        return {"any": [c.to_dict() for c in self.conditions]}


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]

    def evaluate(self, ctx: AnswerContext) -> bool:
        return all(c.evaluate(ctx) for c in self.conditions)

    def to_dict(self) -> dict:
        return {"all": [c.to_dict() for c in self.conditions]}


@dataclass(frozen=True)
class Not:
    condition: Condition

    def evaluate(self, ctx: AnswerContext) -> bool:
        return not self.condition.evaluate(ctx)

    def to_dict(self) -> dict:
        return {"not": self.condition.to_dict()}


ItemCondition = AnswerIs | ScoreAtLeast | ScoreAtMost | Unanswered
Condition = ItemCondition | ScaleAtLeast | ScaleAtMost | AnyOf | AllOf | Not


def walk(condition: Condition) -> Iterator[Condition]:
    """Every node of a condition tree, the root first."""
    yield condition
    if isinstance(condition, AnyOf | AllOf):
        for child in condition.conditions:
            yield from walk(child)
    elif isinstance(condition, Not):
        yield from walk(condition.condition)
