"""Small-count suppression at city scale: one month of a 1.5 M-student city's figures.

    .venv/bin/python bench/suppression.py [--districts 12] [--schools 125] [--grades 4] [--classes 6] [--seed 1]

No database: it builds the figures the refresh stores for one month — every unit (city → districts → schools →
grades → classes; 43,513 units with the defaults) × 40 measures (1.7 M figures), class figures drawn at random (many 1–4, as a
class's monthly counts are) and summed up the tree — and the lines the refresh passes (each measure's unit
tree, and per unit the breakdowns of new warnings, current warnings and screening results by level). It times
analytics.core.suppression.suppress(), without and with owner= (protection from the staff of one unit), and the
attack over the second result (core/disclosure.py), and prints the figures. CPU time is printed beside wall time:
the machine is shared.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runxin.analytics.core.disclosure import attack  # noqa: E402
from runxin.analytics.core.suppression import SMALL, suppress  # noqa: E402

LEVELS = ("red", "orange", "yellow")
BANDS = ("none", "moderate", "high", "unbanded")
BREAKDOWNS = {
    "warnings.new": [f"warnings.new.{level}" for level in LEVELS],
    "warnings.current": [f"warnings.current.{level}" for level in LEVELS],
    "screening.results": [f"screening.results.{band}" for band in BANDS],
}
PARTS = {part for parts in BREAKDOWNS.values() for part in parts}
OTHER = ["screening.results.critical", "screening.results.invalid", "warnings.cleared", "warnings.escalated",
         "warnings.overdue", "followups.due", "followups.done", "followups.overdue", "referrals.new",
         "referrals.first_visit", "referrals.days_to_first_visit", "visits.home", "visits.covered",
         "visits.key_students", "visits.key_covered", "incidents.new"]
EXTRA = [f"more.{n}" for n in range(9)]  # stands for measures yet to come: 40 in all, as the issue reckons
NEVER = ["students", "screening.covered"]  # not about risk: stored, never hidden, in no line
MEASURES = NEVER + list(BREAKDOWNS) + sorted(PARTS) + OTHER + EXTRA
# Mean of a class's monthly count per measure: most are small, a few are not.
MEAN = {"warnings.new.red": 0.05, "warnings.new.orange": 0.3, "warnings.new.yellow": 1.2,
        "warnings.current.red": 0.1, "warnings.current.orange": 0.8, "warnings.current.yellow": 3,
        "screening.results.none": 30, "screening.results.moderate": 6, "screening.results.high": 1.5,
        "screening.results.unbanded": 0.2, "referrals.days_to_first_visit": 4}


def city(args):
    """(parent of each unit, units from the top), with unit ids as ints; the city is 0."""
    parent: dict[int, int | None] = {0: None}
    order = [0]
    next_id = 1
    level = [0]
    for fan in (args.districts, args.schools, args.grades, args.classes):
        below = []
        for unit in level:
            for _ in range(fan):
                parent[next_id] = unit
                below.append(next_id)
                next_id += 1
        order += below
        level = below
    return parent, order, level


def figures(rng, parent, order, classes):
    values: dict[tuple[int, str], int] = {}
    for unit in classes:
        for measure in MEASURES:
            if measure in BREAKDOWNS:
                continue
            mean = 40 if measure == "students" else MEAN.get(measure, 0.5)
            values[unit, measure] = int(rng.expovariate(1 / mean)) if mean else 0
        for total, parts in BREAKDOWNS.items():
            values[unit, total] = sum(values[unit, part] for part in parts)
    for unit in reversed(order):  # children before parents
        if parent[unit] is not None:
            for measure in MEASURES:
                key = (parent[unit], measure)
                values[key] = values.get(key, 0) + values[unit, measure]
    return values


def lines_of(parent, order):
    children: dict[int, list[int]] = {}
    for unit in order:
        if parent[unit] is not None:
            children.setdefault(parent[unit], []).append(unit)
    lines = []
    for measure in MEASURES:
        if measure in NEVER:
            continue
        for unit, below in children.items():
            lines.append([(unit, measure)] + [(child, measure) for child in below])
    for unit in order:
        for total, parts in BREAKDOWNS.items():
            lines.append([(unit, total)] + [(unit, part) for part in parts])
    return lines


def unit_of(key: tuple[int, str]) -> int:
    return key[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=12)
    parser.add_argument("--schools", type=int, default=125, help="per district")
    parser.add_argument("--grades", type=int, default=4, help="per school")
    parser.add_argument("--classes", type=int, default=6, help="per grade")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    parent, order, classes = city(args)
    values = figures(rng, parent, order, classes)
    lines = lines_of(parent, order)
    candidates = {key for key in values if key[1] not in NEVER}
    memberships = sum(len(line) for line in lines)
    primary = sum(1 for key, value in values.items() if 0 < value < SMALL and key in candidates)
    print(f"units {len(order):,}  measures {len(MEASURES)}  figures {len(values):,}  lines {len(lines):,}  "
          f"memberships {memberships:,}")
    for label, owner in (("suppress", None), ("suppress, owner=unit", unit_of)):
        started, cpu = time.perf_counter(), time.process_time()
        hidden = suppress(values, lines, candidates=candidates, owner=owner)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{label}: {took:.2f} s ({cpu:.2f} s CPU) — primary {primary:,}, complementary "
              f"{len(hidden) - primary:,}, hidden {len(hidden) / len(candidates):.1%} of the figures that may be hidden")
    started, cpu = time.perf_counter(), time.process_time()
    found = attack(values, lines, hidden)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"attack: {took:.2f} s ({cpu:.2f} s CPU) — recovered {len(found.recovered)}, lines with a small hidden sum "
          f"{len(found.small_sums)}")


if __name__ == "__main__":
    main()
