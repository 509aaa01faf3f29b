"""Walking a questionnaire one item at a time: which items are asked, which is next, how far along.

Pure (no Django models): works on the core's `InstrumentDefinition` and a partial answer mapping, so the
same rules decide what the student sees and what the scorer treats as asked. An item with an `ask_if`
is asked only once the earlier answers make its condition hold (ASQ question 5 after a "yes" …), and an
item that holds a saved answer stays asked (`as_answered`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from runxin.screening.core import scoring
from runxin.screening.core.definition import InstrumentDefinition, Item

__all__ = ["Position", "as_answered", "asked_items", "neighbours", "position"]


def as_answered(definition: InstrumentDefinition, answers: Mapping[str, object]) -> InstrumentDefinition:
    """The definition as this student met it: a conditional item that holds a saved answer stays asked,
    even after a change to an earlier answer would no longer ask it.

    Why (the safer of the two choices): a student who answered "yes" to ASQ question 5 ("thoughts of killing
    yourself right now") and then changed questions 1-4 back to "no" must not lose that answer silently. The
    question stays on their questionnaire with their answer (they see it again and may change it), and it is
    scored as they last answered it, so an acute positive is never dropped. Only clearing the answer removes
    it. Questionnaire pages and `services.submission_accept` both walk this definition.
    """
    while True:
        shown = {i.id for i in scoring.asked_items(definition, answers)}
        kept = {i.id for i in definition.items
                if i.ask_if is not None and i.id not in shown and answers.get(i.id) not in (None, "")}
        if not kept:
            return definition
        # Repeat: a kept item may in turn ask its own follow-up (ASQ 5a after 5).
        definition = replace(definition, items=tuple(
            replace(i, ask_if=None) if i.id in kept else i for i in definition.items))


def asked_items(definition: InstrumentDefinition, answers: Mapping[str, object]) -> tuple[Item, ...]:
    """The items shown to the student given the answers so far: the scorer's walk over `as_answered`, so
    what the student is shown is exactly what is scored as asked."""
    return scoring.asked_items(as_answered(definition, answers), answers)


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
