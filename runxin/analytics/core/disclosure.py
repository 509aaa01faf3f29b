"""The subtraction attack: what someone learns who sees every visible figure, on every page, and knows every
line (a total and the parts it is the sum of). Used by the tests to check what suppression.py decides and
what the pages show.

The attacker keeps, for every hidden figure, the range it can lie in, and narrows it line by line: a part is at
least the total's least minus the others' most, at most the total's most minus the others' least; a total lies
between its parts' sums. Counts are never negative. What one line narrows goes into the others, until nothing
changes. This is the subtraction attack and more: a line with one unknown pins it (the classic "city total
minus one district"), a known total leaving 0 for its unknown parts pins them all to 0, and ranges carried
across lines pin what no single line does.

Pages mark a hidden figure "<5" (primary: 1–4) or "◦" (complementary: hidden to protect another, so 0 or at
least 5). With `marks` the attacker knows that too, which narrows further: a total of 6 over a "<5" and a "◦"
leaves the "◦" between 2 and 5, so it is 5 and the "<5" is 1.

recovered: every hidden figure the attacker pins to one value. small_sums: lines whose total the attacker
knows and whose unknown parts add up to less than SMALL — each part is then known to be small or 0, which is
what hiding was for (with marks, only when a "◦" is among them: a "<5" says it is small anyway).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from runxin.analytics.core.suppression import SMALL, is_small

K = TypeVar("K", bound=Hashable)

PRIMARY, COMPLEMENTARY = "primary", "complementary"  # as the pages' data-hidden says
_UNBOUNDED = None


@dataclass(frozen=True)
class Attack(Generic[K]):
    recovered: dict[K, int]  # hidden key → the value the attacker pins it to
    small_sums: list[tuple[tuple[K, ...], int]]  # (line, what its unknown parts add up to) when that is < SMALL
    ranges: dict[K, tuple[int, int | None]]  # every hidden key's range as the attacker ends (None: no upper end)


def marks_of(values: Mapping[K, int], hidden: Iterable[K]) -> dict[K, str]:
    """The marks the pages show for hidden figures: primary for 1–4, complementary otherwise."""
    return {k: PRIMARY if is_small(values.get(k, 0)) else COMPLEMENTARY for k in hidden}


def attack(values: Mapping[K, int], lines: Iterable[Sequence[K]], hidden: Iterable[K], *,
           marks: Mapping[K, str] | None = None) -> Attack[K]:
    """Run the attack to the end. The attacker knows the figures of `values` not in `hidden` (a key missing
    counts 0), every line, and, with `marks`, each hidden figure's mark (key → "primary" | "complementary")."""
    rows = [tuple(line) for line in lines]
    rows = [line for line in rows if len(line) > 1]
    unknown = set(hidden)
    marks = marks or {}
    index: dict[K, list[int]] = {}
    for i, line in enumerate(rows):
        for key in line:
            if key in unknown:
                index.setdefault(key, []).append(i)
    get = values.get
    low: dict[K, int] = {}
    high: dict[K, int | None] = {}
    for key in index:
        if marks.get(key) == PRIMARY:
            low[key], high[key] = 1, SMALL - 1
        else:
            low[key], high[key] = 0, _UNBOUNDED

    def bounds(key: K) -> tuple[int, int | None]:
        if key in low:
            return low[key], high[key]
        value = get(key, 0)
        return value, value

    def narrow(key: K, lo: int, hi: int | None) -> bool:
        """Take a new range for `key` (with its mark's gap); whether anything changed."""
        old_lo, old_hi = low[key], high[key]
        lo = max(lo, old_lo)
        hi = old_hi if hi is None else (hi if old_hi is None else min(hi, old_hi))
        if marks.get(key) == COMPLEMENTARY:  # 0 or at least SMALL
            if lo > 0:
                lo = max(lo, SMALL)
            if hi is not None and hi < SMALL:
                hi = 0
        if hi is not None and hi < lo:  # contradicts the marks or the lines: the data, not the attack, is wrong
            raise ValueError(f"no value fits {key!r}: between {lo} and {hi}")
        if (lo, hi) == (old_lo, old_hi):
            return False
        low[key], high[key] = lo, hi
        return True

    queued = bytearray(len(rows))
    queue = deque(sorted({i for at in index.values() for i in at}))
    for i in queue:
        queued[i] = 1
    while queue:
        i = queue.popleft()
        queued[i] = 0
        line = rows[i]
        total, parts = line[0], line[1:]
        ranges = [bounds(p) for p in parts]
        lo_sum = sum(lo for lo, _hi in ranges)
        open_ends = sum(1 for _lo, hi in ranges if hi is None)
        hi_sum = sum(hi for _lo, hi in ranges if hi is not None)
        changed: list[K] = []
        if total in low and narrow(total, lo_sum, None if open_ends else hi_sum):
            changed.append(total)
        t_lo, t_hi = bounds(total)
        for part, (lo, hi) in zip(parts, ranges, strict=True):
            if part not in low:
                continue
            others_open = open_ends - (hi is None)
            others_hi = hi_sum - (hi or 0)
            new_lo = t_lo - others_hi if not others_open else 0
            new_hi = None if t_hi is None else t_hi - (lo_sum - lo)
            if narrow(part, new_lo, new_hi):
                changed.append(part)
        for key in changed:
            for j in index[key]:
                if not queued[j]:
                    queued[j] = 1
                    queue.append(j)

    recovered = {k: low[k] for k in low if high[k] == low[k]}
    small = []
    for line in rows:
        total, parts = line[0], line[1:]
        if total in low and total not in recovered:
            continue
        open_parts = [p for p in parts if p in low and p not in recovered]
        if not open_parts or (marks and all(marks.get(p) == PRIMARY for p in open_parts)):
            continue
        rest = bounds(total)[0] - sum(bounds(p)[0] for p in parts if p not in open_parts)
        if rest < SMALL:
            small.append((line, rest))
    return Attack(recovered=recovered, small_sums=small, ranges={k: (low[k], high[k]) for k in low})


def recoverable(values: Mapping[K, int], lines: Iterable[Sequence[K]], hidden: Iterable[K], *,
                marks: Mapping[K, str] | None = None) -> dict[K, int]:
    """What the attacker pins exactly: hidden key → value. Empty when the hiding holds."""
    return attack(values, lines, hidden, marks=marks).recovered


def small_hidden_sums(values: Mapping[K, int], lines: Iterable[Sequence[K]], hidden: Iterable[K], *,
                      marks: Mapping[K, str] | None = None) -> list[tuple[tuple[K, ...], int]]:
    """Lines whose total the attacker knows and whose unknown parts add up to less than SMALL (each of them is
    then known to be small or 0): (line, that sum)."""
    return attack(values, lines, hidden, marks=marks).small_sums
