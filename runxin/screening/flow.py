"""Walking a questionnaire one item at a time: which items are asked, which is next, how far along.

Pure (no Django models): works on the core's `InstrumentDefinition` and a partial answer mapping, so the
same rules decide what the student sees and what the scorer treats as asked. An item with an `ask_if`
is asked only once the earlier answers make its condition hold (ASQ question 5 after a "yes" …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runxin.screening.core.definition import InstrumentDefinition, Item

# The walk scoring uses: what the student is shown is exactly what the scorer treats as asked.
from runxin.screening.core.scoring import asked_items

__all__ = ["Position", "asked_items", "neighbours", "position"]


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
