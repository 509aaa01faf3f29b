"""Small counts stay hidden: which figures to suppress so that no figure from fewer than 5 students can be seen
or worked out by someone without need-to-know of those students.

The figures form *lines*: a total and the parts it is the sum of (a district's new warnings and its schools',
a unit's new warnings and those per warning level). Hiding the small figures alone is not enough: when a line
has exactly one hidden member, the total minus the visible parts gives it back ("the city total minus one
district's gives the other district's 1, and drilling down names the class"). So more figures are hidden
(complementary suppression) until

* no line has exactly one hidden member, and
* in a line whose total is visible, the hidden parts add up to at least SMALL — otherwise the total minus the
  visible parts shows, say, 3, and the attacker knows every hidden part of the line is small (or 0).

With both, the subtraction attack (disclosure.py) cannot solve a single line, so it learns nothing at all.

The decision is made once over everything a page could show, so every page and every viewer hides the same
figures. Pure Python, no Django: it runs inside the figures' refresh and on pages that add figures up.
"""

from __future__ import annotations

import gc
from collections import defaultdict, deque
from collections.abc import Container, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

SMALL = 5  # a figure from 1–4 students is hidden; 0 is shown (nobody is identified by it)


class Unprotectable(ValueError):
    """A line would give a hidden figure away and none of its members may be hidden (all of them hidden
    already or not candidates): the caller passed lines or candidates that cannot protect the figures."""


def is_small(value: int) -> bool:
    """A figure that is hidden on its own: from 1 to SMALL − 1 students."""
    return 0 < value < SMALL


def suppress(values: Mapping[K, int], lines: Iterable[Sequence[K]], *, given: Iterable[K] = (),
             candidates: Container[K] | None = None) -> frozenset[K]:
    """The keys to hide: `given`, every candidate whose value is 1–4 (primary), and complementary ones, so that
    no line has exactly one hidden member and every line whose total is visible has hidden parts adding up
    to at least SMALL (or none).

    `lines` are sequences of keys whose first key is the total of the others (total = sum of parts); a key
    may sit in any number of lines; a key missing from `values` counts 0. Only keys in `candidates` (all when
    None) are newly hidden. Complementary choice, deterministic: a non-zero visible part, else the total, a
    zero only when nothing else is left (a hidden 0 is pinned as soon as the others' ranges leave it no room,
    so it protects little); among those, the one that leaves the fewest other lines with a single hidden
    member (tables close into rectangles), then the smallest value, then key order. With `candidates`, a
    member whose hiding would leave another line nothing to protect it with is passed over while another will
    do. Hiding a member puts its other lines under the same rule, to a fixed point. Keys must be mutually
    orderable (tuples of ints and strings). Raises Unprotectable when a line cannot be protected.

    Cost: one pass over the line memberships to index lines by key, then work only on the lines that hold a
    hidden key (bench/suppression.py: a city of 40 k units × 40 measures in a few seconds)."""
    collecting = gc.isenabled()
    gc.disable()  # millions of small lists and no cycles: the collector would walk them again and again
    try:
        return _suppress(values, lines, given, candidates)
    finally:
        if collecting:
            gc.enable()


def _suppress(values, lines, given, candidates):
    rows = []
    index: defaultdict[K, list[int]] = defaultdict(list)
    for line in lines:
        if len(line) < 2:
            continue  # a total without parts says nothing about anything
        i = len(rows)
        rows.append(line)
        for key in line:
            index[key].append(i)

    hidden: set[K] = set(given)
    if candidates is None:
        hidden.update(key for key, value in values.items() if 0 < value < SMALL)
    else:
        hidden.update(key for key, value in values.items() if 0 < value < SMALL and key in candidates)

    touched = sorted({i for key in hidden for i in index.get(key, ())})
    queued = bytearray(len(rows))
    for i in touched:
        queued[i] = 1
    queue = deque(touched)
    chooser = _Chooser(values, rows, index, hidden, candidates)
    while queue:
        i = queue.popleft()
        queued[i] = 0
        key = chooser.next_to_hide(rows[i], i)
        if key is None:
            continue
        hidden.add(key)
        for j in index[key]:  # the line itself comes back too, until it is settled
            if not queued[j]:
                queued[j] = 1
                queue.append(j)
    return frozenset(hidden)


_PART, _TOTAL, _ZERO = 0, 1, 2  # the order in which complementary figures are chosen


class _Chooser:
    """Which member of a line to hide next (None when the line is settled)."""

    def __init__(self, values, rows, index, hidden, candidates) -> None:
        self.get = values.get
        self.rows = rows
        self.index = index
        self.hidden = hidden
        self.candidates = candidates

    def next_to_hide(self, line: Sequence, at: int):
        hidden, get = self.hidden, self.get
        total = line[0]
        n_hidden = 0
        hidden_sum = 0
        for part in line[1:]:
            if part in hidden:
                n_hidden += 1
                hidden_sum += get(part, 0)
        if total in hidden:
            if n_hidden:
                return None  # two unknowns or more, and the total is unknown: nothing to subtract from
            options = self._parts(line, zero_will_do=True)
        else:
            if not n_hidden or (n_hidden > 1 and hidden_sum >= SMALL):
                return None
            # One hidden part, or hidden parts adding up to less than SMALL: another part or the total (a zero
            # only helps when the hidden sum is already large enough).
            options = self._parts(line, zero_will_do=hidden_sum >= SMALL)
            if self._may_hide(total):
                options.append((_TOTAL, 0, total))
        if not options:
            raise Unprotectable(f"no member of the line {line!r} may be hidden to protect it")
        # A dead end last; then a non-zero part, the total, a zero; the one opening the fewest other lines;
        # the smallest; the first key.
        return min((dead_end, group, opened, value, key) for group, value, key in options
                   for dead_end, opened in (self._cost(key, at),))[-1]

    def _may_hide(self, key) -> bool:
        return self.candidates is None or key in self.candidates

    def _parts(self, line: Sequence, *, zero_will_do: bool) -> list:
        """The visible parts that may be hidden as (group, value, key): non-zero ones, and zeros when they
        help. Every visible non-zero candidate is ≥ SMALL (smaller ones are primary), so any of them lifts
        the hidden sum to SMALL."""
        hidden, get, may_hide = self.hidden, self.get, self._may_hide
        options = []
        for p in line[1:]:
            if p not in hidden and may_hide(p):
                value = get(p, 0)
                if value > 0:
                    options.append((_PART, value, p))
                elif zero_will_do:
                    options.append((_ZERO, 0, p))
        return options

    def _cost(self, key, at: int) -> tuple[bool, int]:
        """What hiding `key` costs elsewhere: (whether it leaves one of its other lines with it as the only
        hidden member and no other member that may be hidden — a dead end, avoided while another choice will
        do; the number of its other lines where it would be the only hidden member, each needing one more
        figure hidden). Preferring the cheapest closes tables into rectangles instead of spreading."""
        hidden, may_hide = self.hidden, self._may_hide
        dead_end = False
        opened = 0
        for j in self.index[key]:
            if j == at:
                continue
            others = [m for m in self.rows[j] if m != key]
            if any(m in hidden for m in others):
                continue
            opened += 1
            if self.candidates is not None and not any(may_hide(m) for m in others):
                dead_end = True
        return dead_end, opened
