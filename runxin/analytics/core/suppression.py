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
from collections.abc import Callable, Container, Hashable, Iterable, Mapping, Sequence
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
             candidates: Container[K] | None = None, owner: Callable[[K], Hashable] | None = None) -> frozenset[K]:
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

    `owner` (optional) names whose need-to-know a figure falls under, e.g. its unit (`lambda key: key[0]`).
    Someone with need-to-know of one child unit sees its figures exactly; in a line whose parts belong to
    different owners (a district and its schools) that person is an insider: with their parts taken out, the
    line must still have no single unknown and, beside a visible total, hidden parts adding up to at least
    SMALL — else the district centre of one district subtracts its own figure from the city's and reads the
    neighbour's small one. Lines whose parts share the total's owner (a unit's breakdowns) are left as they are.

    Cost: one pass over the line memberships to index lines by key, then work only on the lines that hold a
    hidden key (bench/suppression.py: a city of 40 k units × 40 measures in a few seconds)."""
    collecting = gc.isenabled()
    gc.disable()  # millions of small lists and no cycles: the collector would walk them again and again
    try:
        return _suppress(values, lines, given, candidates, owner)
    finally:
        if collecting:
            gc.enable()


def _suppress(values, lines, given, candidates, owner):
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
    chooser = _Chooser(values, rows, index, hidden, candidates, owner)
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

    def __init__(self, values, rows, index, hidden, candidates, owner) -> None:
        self.get = values.get
        self.owner = owner
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
        elif not n_hidden:
            return None
        elif n_hidden > 1 and hidden_sum >= SMALL:
            insider = self._insider(line, n_hidden, hidden_sum) if self.owner is not None else None
            if insider is None:
                return None
            # Someone who knows `insider`'s parts would be left with one unknown or a small sum: another part
            # of someone else's (or the total).
            known, rest_sum = insider
            options = [o for o in self._parts(line, zero_will_do=rest_sum >= SMALL) if self.owner(o[2]) != known]
            if self._may_hide(total):
                options.append((_TOTAL, 0, total))
            if not options:
                return None  # safe from outsiders; nothing left to hide against this insider
        else:
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

    def _insider(self, line: Sequence, n_hidden: int, hidden_sum: int):
        """(owner, what the others' hidden parts add up to) for the first owner of hidden parts in this line,
        other than the total's, who would find one unknown left or a sum under SMALL; None when there is none."""
        hidden, get, owner = self.hidden, self.get, self.owner
        own = owner(line[0])
        counts: dict = {}
        for part in line[1:]:
            if part in hidden:
                who = owner(part)
                if who != own:
                    n, s = counts.get(who, (0, 0))
                    counts[who] = (n + 1, s + get(part, 0))
        for who, (n, s) in counts.items():
            rest_n, rest_sum = n_hidden - n, hidden_sum - s
            if rest_n == 1 or (rest_n > 1 and rest_sum < SMALL):
                return who, rest_sum
        return None

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
