"""The subtraction attack: what someone learns who sees every visible figure, on every page, and knows every
line (a total and the parts it is the sum of). Used by the tests to check what suppression.py decides and
what the pages show.

The attacker solves every line with exactly one unknown (the total is the sum of the parts; a part is the total
minus the others), takes what they learned into the other lines, and repeats until nothing new comes out.
Counts are never negative, so a line whose known total leaves 0 for its unknown parts tells that all of them
are 0. What remains: lines whose total is known and whose unknown parts add up to less than SMALL — the
attacker knows each of those parts is small, which is what hiding was for.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from runxin.analytics.core.suppression import SMALL

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Attack(Generic[K]):
    recovered: dict[K, int]  # hidden key → the value the attacker works out
    small_sums: list[tuple[tuple[K, ...], int]]  # (line, what its unknown parts add up to) when that is < SMALL


def attack(values: Mapping[K, int], lines: Iterable[Sequence[K]], hidden: Iterable[K]) -> Attack[K]:
    """Run the subtraction attack to the end. `values` are the true figures (a key missing counts 0); the
    attacker knows those not in `hidden` and works out the rest only from them and the lines."""
    rows = [tuple(line) for line in lines]
    rows = [line for line in rows if len(line) > 1]
    unknown = set(hidden)
    index: dict[K, list[int]] = {}
    for i, line in enumerate(rows):
        for key in line:
            if key in unknown:
                index.setdefault(key, []).append(i)
    get = values.get
    learned: dict[K, int] = {}

    def value(key: K) -> int:
        return learned[key] if key in learned else get(key, 0)

    def learn(key: K, found: int) -> None:
        learned[key] = found
        unknown.discard(key)
        for j in index[key]:
            if not queued[j]:
                queued[j] = 1
                queue.append(j)

    touched = sorted({i for key in index for i in index[key]})
    queued = bytearray(len(rows))
    for i in touched:
        queued[i] = 1
    queue = deque(touched)
    while queue:
        i = queue.popleft()
        queued[i] = 0
        line = rows[i]
        total, parts = line[0], line[1:]
        open_parts = [p for p in parts if p in unknown]
        if total in unknown:
            if not open_parts:
                learn(total, sum(value(p) for p in parts))
            continue
        if not open_parts:
            continue
        rest = value(total) - sum(value(p) for p in parts if p not in unknown)
        if len(open_parts) == 1:
            learn(open_parts[0], rest)
        elif rest == 0:
            for p in open_parts:
                learn(p, 0)

    small = []
    for line in rows:
        total, parts = line[0], line[1:]
        if total in unknown or not any(p in unknown for p in parts):
            continue
        rest = value(total) - sum(value(p) for p in parts if p not in unknown)
        if rest < SMALL:
            small.append((line, rest))
    return Attack(recovered=learned, small_sums=small)


def recoverable(values: Mapping[K, int], lines: Iterable[Sequence[K]], hidden: Iterable[K]) -> dict[K, int]:
    """What the attacker works out exactly: hidden key → value. Empty when the hiding holds."""
    return attack(values, lines, hidden).recovered


def small_hidden_sums(values: Mapping[K, int], lines: Iterable[Sequence[K]],
                      hidden: Iterable[K]) -> list[tuple[tuple[K, ...], int]]:
    """Lines whose total the attacker knows and whose unknown parts add up to less than SMALL (each of them is
    then known to be small): (line, that sum)."""
    return attack(values, lines, hidden).small_sums
