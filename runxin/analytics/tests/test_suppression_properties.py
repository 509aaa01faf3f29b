"""Over thousands of random unit trees, breakdowns, tables and pages that add stored figures up: after
suppress(), no 1–4 is visible and the subtraction attack learns nothing (fixed seeds: the same cases every run)."""

import random

import pytest

from runxin.analytics.core.disclosure import attack, marks_of
from runxin.analytics.core.suppression import SMALL, is_small, suppress


def count(rng: random.Random) -> int:
    """A unit's monthly count: mostly 0 and small, sometimes more."""
    roll = rng.random()
    if roll < 0.35:
        return 0
    if roll < 0.75:
        return rng.randint(1, 4)
    return rng.randint(5, 40)


def random_tree(rng: random.Random) -> dict[str, list[str]]:
    """unit → its children, from "u0" down, 1–4 levels deep, 1–4 children each."""
    children: dict[str, list[str]] = {}
    level = ["u0"]
    serial = 1
    for _ in range(rng.randint(1, 4)):
        below = []
        for unit in level:
            kids = [f"u{serial + n}" for n in range(rng.randint(1, 4))]
            serial += len(kids)
            children[unit] = kids
            below += kids
        level = below
    return children


def figures_of(rng, children, parts_of):
    """Leaf figures at random, summed up the tree and into each breakdown's total, as the refresh stores them;
    the lines: each measure's tree and each unit's breakdowns (total first)."""
    units = ["u0"] + [kid for kids in children.values() for kid in kids]
    leaves = [u for u in units if u not in children]
    values: dict[tuple[str, str], int] = {}
    for unit in leaves:
        for total, parts in parts_of.items():
            for part in parts:
                values[unit, part] = count(rng)
            values[unit, total] = sum(values[unit, part] for part in parts)
    measures = [m for total, parts in parts_of.items() for m in (total, *parts)]
    for unit in reversed(units):
        if unit in children:
            for m in measures:
                values[unit, m] = sum(values[kid, m] for kid in children[unit])
    lines = [[(unit, m)] + [(kid, m) for kid in kids] for unit, kids in children.items() for m in measures]
    lines += [[(unit, total)] + [(unit, part) for part in parts] for unit in units
              for total, parts in parts_of.items()]
    return values, lines


def breakdowns(rng):
    """One or two measures with 1–4 parts each (a breakdown of one part is a remainder measure's)."""
    out = {}
    for n in range(rng.randint(1, 2)):
        out[f"m{n}"] = [f"m{n}.{p}" for p in range(rng.randint(1, 4))]
    return out


def check(values, lines, hidden, *, given=(), candidates=None):
    found = attack(values, lines, hidden)
    assert found.recovered == {}
    assert found.small_sums == []
    may = (lambda k: True) if candidates is None else candidates.__contains__
    assert not [k for k, v in values.items() if is_small(v) and may(k) and k not in hidden]
    assert set(given) <= hidden
    assert all(k in set(given) or may(k) for k in hidden)
    for line in lines:
        members = [k for k in line if k in hidden]
        assert len(members) != 1
        if line[0] not in hidden and members:
            assert sum(values[k] for k in members) >= SMALL


@pytest.mark.parametrize("seed", range(4))
def test_random_unit_trees_with_breakdowns(seed):
    rng = random.Random(1000 + seed)
    for _ in range(600):
        children = random_tree(rng)
        values, lines = figures_of(rng, children, breakdowns(rng))
        # Figures outside every line, never suppressed (enrolled students), as the refresh passes them.
        for unit in ["u0", *children]:
            values[unit, "students"] = rng.randint(0, 9)
        candidates = {k for k in values if k[1] != "students"}
        hidden = suppress(values, lines, candidates=candidates)
        check(values, lines, hidden, candidates=candidates)
        assert suppress(values, lines, candidates=candidates) == hidden
        assert not any(k[1] == "students" for k in hidden)


@pytest.mark.parametrize("seed", range(2))
def test_random_unit_trees_protected_from_the_staff_of_one_unit(seed):
    # With owner = the unit, a line across units (a parent and its children) holds even for someone who knows
    # one child's figures: with those taken out, no single unknown and no small sum beside a visible total.
    rng = random.Random(4000 + seed)
    for _ in range(500):
        children = random_tree(rng)
        values, lines = figures_of(rng, children, breakdowns(rng))
        hidden = suppress(values, lines, owner=lambda key: key[0])
        check(values, lines, hidden)
        for total, *parts in lines:
            if total in hidden:
                continue
            for unit in {p[0] for p in parts if p in hidden} - {total[0]}:
                rest = [p for p in parts if p in hidden and p[0] != unit]
                assert len(rest) != 1, (total, parts, unit)
                assert not rest or sum(values[p] for p in rest) >= SMALL


@pytest.mark.parametrize("seed", range(3))
def test_random_tables_with_margins(seed):
    rng = random.Random(2000 + seed)
    for _ in range(500):
        rows, cols = range(rng.randint(1, 5)), range(rng.randint(1, 5))
        values = {(r, c): count(rng) for r in rows for c in cols}
        for r in rows:
            values[r, -1] = sum(values[r, c] for c in cols)
        for c in [*cols, -1]:
            values[-1, c] = sum(values[r, c] for r in rows)
        lines = [[(r, -1)] + [(r, c) for c in cols] for r in [*rows, -1]]
        lines += [[(-1, c)] + [(r, c) for r in rows] for c in [*cols, -1]]
        given = {k for k in values if rng.random() < 0.05}
        hidden = suppress(values, lines, given=given)
        check(values, lines, hidden, given=given)


@pytest.mark.parametrize("seed", range(3))
def test_random_pages_adding_up_stored_figures(seed):
    # A district's schools stored and suppressed over the tree (district → schools) and each school's
    # breakdown; a page adds some of the schools up into a service group and suppresses the group's own
    # figures with the schools' flags given. Together they must hold.
    rng = random.Random(3000 + seed)
    for _ in range(400):
        schools = [f"u{n}" for n in range(1, rng.randint(3, 8))]
        parts_of = breakdowns(rng)
        values, lines = figures_of(rng, {"u0": schools}, parts_of)
        stored = suppress(values, lines)
        group = rng.sample(schools, rng.randint(1, len(schools)))
        measures = [m for total, parts in parts_of.items() for m in (total, *parts)]
        for m in measures:
            values["g", m] = sum(values[s, m] for s in group)
        group_lines = [[("g", m)] + [(s, m) for s in group] for m in measures]
        group_lines += [[("g", total)] + [("g", part) for part in parts] for total, parts in parts_of.items()]
        candidates = {("g", m) for m in measures}
        hidden = suppress(values, group_lines, given=stored, candidates=candidates)
        check(values, lines + group_lines, hidden, given=stored, candidates=candidates | set(values))


@pytest.mark.parametrize("seed", range(2))
def test_the_attack_never_claims_what_is_not_so(seed):
    # Whatever the attacker narrows a hidden figure to holds its true value, with the pages' marks or without.
    rng = random.Random(5000 + seed)
    for _ in range(300):
        children = random_tree(rng)
        values, lines = figures_of(rng, children, breakdowns(rng))
        hidden = suppress(values, lines)
        for marks in (None, marks_of(values, hidden)):
            found = attack(values, lines, hidden, marks=marks)
            assert all(lo <= values[k] and (hi is None or values[k] <= hi) for k, (lo, hi) in found.ranges.items())
            assert all(values[k] == v for k, v in found.recovered.items())
