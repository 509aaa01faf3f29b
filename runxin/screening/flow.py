"""Walking a questionnaire one item at a time: which items are asked, which is next, how far along.

Pure (no Django models): works on the core's `InstrumentDefinition` and a partial answer mapping, so the
same rules decide what the student sees and what the scorer treats as asked. An item with an `ask_if`
is asked only once the earlier answers make its condition hold (ASQ question 5 after a "yes" …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from runxin.screening.core.definition import InstrumentDefinition, Item


class _Partial:
    """The core's AnswerContext over answers given so far (scales are not known until the end)."""

    def __init__(self, definition: InstrumentDefinition) -> None:
        self.definition = definition
        self.answers: dict[str, str] = {}
        self.asked: dict[str, bool] = {}

    def answer(self, item_id: str) -> str | None:
        return self.answers.get(item_id)

    def item_score(self, item_id: str) -> Decimal | None:
        value = self.answers.get(item_id)
        return None if value is None else self.definition.item(item_id).score_for(value)

    def is_asked(self, item_id: str) -> bool:
        return self.asked.get(item_id, False)

    def scale_value(self, scale_id: str) -> Decimal | None:
        return None


def asked_items(definition: InstrumentDefinition, answers: Mapping[str, str]) -> list[Item]:
    """The items shown to the respondent given these answers, in questionnaire order."""
    ctx = _Partial(definition)
    shown = []
    for item in definition.items:
        asked = item.ask_if is None or bool(item.ask_if.evaluate(ctx))
        ctx.asked[item.id] = asked
        if asked:
            shown.append(item)
            value = answers.get(item.id)
            if value not in (None, ""):
                ctx.answers[item.id] = value
    return shown


@dataclass(frozen=True)
class Position:
    item: Item | None  # the first asked item without an answer; None when every asked item is answered
    answered: int
    asked: int


def position(definition: InstrumentDefinition, answers: Mapping[str, str]) -> Position:
    shown = asked_items(definition, answers)
    open_items = [i for i in shown if answers.get(i.id) in (None, "")]
    return Position(open_items[0] if open_items else None, len(shown) - len(open_items), len(shown))


def neighbours(definition: InstrumentDefinition, answers: Mapping[str, str], item_id: str) -> tuple[Item | None, Item | None]:
    """The asked items before and after `item_id` (None at either end)."""
    shown = asked_items(definition, answers)
    ids = [i.id for i in shown]
    if item_id not in ids:
        return None, None
    n = ids.index(item_id)
    return (shown[n - 1] if n > 0 else None), (shown[n + 1] if n + 1 < len(shown) else None)
