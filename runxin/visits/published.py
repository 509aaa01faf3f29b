"""Home-visit coverage as shown outside the care team: one decision over the whole city, so that no figure from
fewer than five students can be read or worked out on any page, whatever totals and drill-downs one puts side by
side (issue: "the city total minus one district's gives the other district's 1, and drilling down names the class").

Every coverage page a person without the names may open (city, district, school, grade, a class from above) shows
figures of the same tree: the city, its districts, their schools, the grades and classes, and the students of a
unit not placed below it ("—" rows). The figures of every node are counted in one grouped query (the classes) and
added up, so each parent is exactly the sum of its children; the analytics' suppression core then hides every
count from 1 to 4 (met, applies-to, missing) and as many others as it takes that no line (a parent and its
children; a requirement's applies-to = met + missing) can be solved for a hidden figure, nor by the care team of
one unit subtracting its own figure (owner = the node). Enrolled students are figures like the others: a class of
three shown as 3 would tell that its visited and not visited are small.

The decision is kept for REPORT_DECISION_SECONDS (a setting, default 60) in the cache, keyed by the city, the day
and a version every recorded contact moves (so a new visit shows at once): everyone sees the same figures hidden
meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.utils import timezone
from django.utils.html import format_html

from runxin.access import city_decisions
from runxin.analytics.core.suppression import suppress
from runxin.org.models import OrgUnit

from . import selectors

_VERSION_KEY = "visits:coverage:version"

# A requirement's three figures: met, applies to, missing (= applies to − met).
REQUIREMENT_FIELDS = {
    selectors.HOME_YEAR: ("home", "students", "home_missing"),
    selectors.KEY_HOME_YEAR: ("key_home", "key", "key_home_missing"),
    selectors.FAMILY_SEMESTER: ("family", "students", "family_missing"),
    selectors.DORM_MONTH: ("dorm", "boarders", "dorm_missing"),
}

Node = tuple[str, int]  # ("unit", id) or ("rest", parent id): a unit's students not placed in any of its children


@dataclass(frozen=True)
class Published:
    """The city's coverage figures, each node's values by field, and the (node, field) pairs hidden."""

    values: dict[Node, dict[str, int]]
    children: dict[Node, dict[str, list[Node]]]  # node → child kind ("district", "school", "class") → nodes
    hidden: frozenset[tuple[Node, str]]

    def figures(self, node: Node) -> dict[str, int]:
        return self.values.get(node, {})


def changed() -> None:
    """A contact was recorded: the next page decides anew (called by the visits services)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:  # not set yet
        cache.set(_VERSION_KEY, 1, None)


def published(city: OrgUnit, *, today: date | None = None, fresh: bool = False) -> Published:
    """The city's coverage with its suppression decided (from the cache when decided in the last minute).
    `fresh`: decide anew and keep it until the next scheduled decision is done (beat "visits-coverage-decide")."""
    today = today or timezone.localdate()
    key = f"visits:coverage:{city.pk}:{today.isoformat()}:{cache.get(_VERSION_KEY, 0)}"
    return city_decisions.kept(key, lambda: decide(city, today=today), fresh=fresh)


def decide_all() -> dict:
    """Decide every active city's coverage ahead of its viewers (nothing when decisions are not reused)."""
    return city_decisions.decide_every_city(published)


def _with_missing(row: dict) -> dict[str, int]:
    figures = {name: row.get(name) or 0 for name in selectors.COUNT_FIELDS}
    for met, of, missing in REQUIREMENT_FIELDS.values():
        figures[missing] = figures[of] - figures[met]
    return figures


def decide(city: OrgUnit, *, today: date) -> Published:
    leaves = selectors.coverage_leaves(city, today=today)
    values: dict[Node, dict[str, int]] = {}
    children: dict[Node, dict[str, dict[Node, None]]] = defaultdict(lambda: defaultdict(dict))  # ordered sets

    def add(node: Node, figures: dict[str, int]) -> None:
        into = values.setdefault(node, dict.fromkeys(figures, 0))
        for name, value in figures.items():
            into[name] += value

    def below(parent: Node, kind: str, unit_id: int | None) -> Node:
        node: Node = ("unit", unit_id) if unit_id is not None else ("rest", parent[1])
        children[parent][kind][node] = None
        return node

    top: Node = ("unit", city.pk)
    for (district, school, grade, school_class), row in leaves.items():
        figures = _with_missing(row)
        path = [top]
        d = below(top, "district", district)
        path.append(d)
        if district is not None:
            s = below(d, "school", school)
            path.append(s)
            if school is not None:
                path.append(below(s, "class", school_class))
                if grade is not None and school_class is not None:  # a grade's page: its classes
                    path += [("unit", grade), below(("unit", grade), "class", school_class)]
        for node in dict.fromkeys(path):
            add(node, figures)
    names = _field_names()
    lines: list[list[tuple[Node, str]]] = []
    for parent, kinds in children.items():
        for nodes in kinds.values():
            for name in names:
                lines.append([(parent, name), *((node, name) for node in nodes)])
    for node in values:
        for met, of, missing in REQUIREMENT_FIELDS.values():
            lines.append([(node, of), (node, met), (node, missing)])
    flat = {(node, name): value for node, figures in values.items() for name, value in figures.items()}
    hidden = suppress(flat, lines, owner=lambda key: key[0])
    return Published(values=values, hidden=hidden,
                     children={k: {kind: list(nodes) for kind, nodes in v.items()} for k, v in children.items()})


def _field_names() -> list[str]:
    return [*selectors.COUNT_FIELDS, *(missing for _met, _of, missing in REQUIREMENT_FIELDS.values())]


# ------------------------------------------------------------------------------------------------ as shown

def node_key(node: Node) -> str:
    """A node as the pages' markup names it: data-fig="visits:<node>:<field>"."""
    return f"{node[0]}-{node[1]}"


def _fig(node: Node, name: str, value: int, hidden: bool) -> str:
    key = f"visits:{node_key(node)}:{name}"
    if hidden:
        return format_html('<span data-fig="{}" data-hidden="1">*</span>', key)
    return format_html('<span data-fig="{}" data-value="{}">{}</span>', key, value, value)


def cells(node: Node, figures: dict[str, int], hidden: frozenset | set = frozenset()) -> list[dict]:
    """Each requirement's figures as shown: met of applies-to, missing (each "*" when hidden, one mark for every
    hidden figure) and the rate, shown only when both its figures are."""
    shown = []
    for requirement, (met_name, of_name, missing_name) in REQUIREMENT_FIELDS.items():
        met, of = figures.get(met_name, 0), figures.get(of_name, 0)
        concealed = {name for name in (met_name, of_name, missing_name) if (node, name) in hidden}
        rate = round(100 * met / of) if of and not concealed & {met_name, of_name} else None
        shown.append({
            "requirement": requirement, "label": selectors.REQUIREMENT_LABELS[requirement],
            "met": _fig(node, met_name, met, met_name in concealed),
            "of": _fig(node, of_name, of, of_name in concealed),
            "missing": _fig(node, missing_name, of - met, missing_name in concealed),
            "rate": rate, "low": rate is not None and rate < 100, "hidden": bool(concealed),
        })
    return shown


def exact(figures: selectors.Figures) -> dict[str, int]:
    """A Figures (counted for someone with the names) as the fields cells() reads."""
    return _with_missing({name: getattr(figures, name) for name in selectors.COUNT_FIELDS})


def page(unit: OrgUnit, *, today: date | None = None) -> tuple[selectors.Periods, str | None, list[dict], list[dict]]:
    """A coverage page for someone without the names: its periods, the kind of its rows, the unit's cells and
    each row's (unit id or None for the unplaced, name, cells), from the city's published figures."""
    periods = selectors.periods(today)
    city = published(city_decisions.city_of(unit), today=periods.today)
    me: Node = ("unit", unit.pk)
    kind = selectors.child_kind(unit)
    nodes = city.children.get(me, {}).get(kind or "", [])
    names = selectors.unit_names([n[1] for n in nodes if n[0] == "unit"])
    rows = [{"unit_id": n[1] if n[0] == "unit" else None, "name": names.get(n[1], "—") if n[0] == "unit" else "—",
             "names": False, "cells": cells(n, city.figures(n), city.hidden)}
            for n in sorted(nodes, key=lambda n: (n[0] != "unit", names.get(n[1], ""), n[1]))]
    return periods, kind, cells(me, city.figures(me), city.hidden), rows


def exact_page(unit: OrgUnit, *, today: date | None = None) -> tuple[selectors.Periods, str | None, list[dict],
                                                                      list[dict]]:
    """The same page for someone with the names of the unit's students: exact figures, classes linked by name."""
    data = selectors.coverage(unit, today=today)
    rows = [{"unit_id": row.unit_id, "name": row.name, "names": row.kind == "class",
             "cells": cells(("unit", row.unit_id) if row.unit_id else ("rest", unit.pk), exact(row.figures))}
            for row in data.children]
    return data.periods, data.child_kind, cells(("unit", unit.pk), exact(data.totals)), rows
