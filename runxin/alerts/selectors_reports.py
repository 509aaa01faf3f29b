"""Reads behind the report pages: the overviews (provincial figures by level and unit), the provincial export
rows, and which daily reports a user receives. Every function takes the acting user or a unit the caller has
checked through the scoping layer."""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from runxin.access import city_decisions, roles, scope
from runxin.analytics.core import suppression
from runxin.org.models import OrgUnit, SchoolYear

from . import states
from .models import Warning, WarningLevel

# -------------------------------------------------------------------------------------------- overviews

@dataclass
class Figures:
    """The provincial platform's figures for one group of students. Each counts students (人数), not warnings:
    a student with two warnings counts once. Dismissed warnings (not a warning after assessment) count
    nowhere."""

    current: int = 0  # 现有预警人数: students with a warning being handled now
    cleared: int = 0  # 预警解除人数: students with a cleared (or closed) warning
    revisited: int = 0  # 已回访人数: students with at least one follow-up visit, whatever the warning's state
    referred: int = 0  # 转介人数: students referred
    total: int = 0  # 累计上报人数: students with any warning ever reported (the cumulative figure)

    node: tuple[int, str] = (0, "")  # where in the overview tree (Tree) these figures sit

    NAMES = ("current", "cleared", "revisited", "referred", "total")


def _student_counts() -> dict:
    def students(condition: Q | None = None) -> Count:
        return Count("student_id", distinct=True, filter=condition)

    return {
        "current": students(Q(state__in=states.CURRENT)),
        "cleared": students(Q(state__in=states.CLEARED_STATES)),
        "revisited": students(Q(revisited_at__isnull=False)),
        "referred": students(Q(referred_at__isnull=False)),
        "total": students(),
    }


_CHILD = {"city": ("district", "student__district_id"), "district": ("school", "student__school_id"),
          "school": ("class", "student__school_class_id")}
_UNIT_FILTER = {"city": "student__city_id", "district": "student__district_id", "school": "student__school_id",
                "grade": "student__grade_id", "class": "student__school_class_id"}


def overview_units(user) -> list[OrgUnit]:
    """The topmost units whose overview the user may open."""
    return [u for u in scope.root_units(user, roles.ALERT_OVERVIEW) if u.kind in _UNIT_FILTER]


def suppresses_small_counts(user, unit: OrgUnit) -> bool:
    """Counts under 5 are hidden from people who see aggregates outside need-to-know (a city admin, a
    supervisor): a "1" in a class can name a student. Whoever may see the warnings themselves sees them."""
    return not scope.unit_permission(user, unit, roles.STUDENT_RISK_LEVEL)


def overview_unit_or_404(user, unit_id: int) -> OrgUnit:
    unit = scope.unit_or_404(user, unit_id, roles.ALERT_OVERVIEW)
    if unit.kind not in _UNIT_FILTER:
        raise Http404("No overview for this unit")
    return unit


# Small counts outside need-to-know. The figures of every class, grade, school and district of a city are
# counted in one pass and the hidden ones decided over that whole tree with the analytics' suppression core
# (pure Python), so the city page and a district page hide the same figures and no total minus the visible
# parts gives a hidden one back.
ALL_LEVELS = 0  # the level of a figure over every level ("all" in the page keys)
# A node of the tree: (unit id, "") for a unit, (unit id, child kind) for its students placed in no such child
# (the "—" row of a page). A figure's key: node + (figure, level id or ALL_LEVELS).
Key = tuple[int, str, str, int]
_PLACEMENT = ("student__district_id", "student__school_id", "student__grade_id", "student__school_class_id")
_SHOWN_REMAINDERS = {("city", "district"), ("district", "school"), ("school", "class")}  # the pages' "—" rows


@dataclass
class Tree:
    """The overview figures of every unit under a root: values by key, and the lines (a total first, then the
    parts it is the exact sum of). `unshown` are keys no page shows (counted only to keep lines exact)."""

    root: OrgUnit
    levels: list[WarningLevel]
    units: dict[int, dict]  # id -> {"kind", "name", "parent_id", "school_id"}
    values: dict[Key, int]
    remainders: set[tuple[int, str]]
    lines: list[tuple[Key, ...]]
    unshown: set[Key]


def page_key(key: Key) -> str:
    """A figure's name in the page markup: ov:<unit id>:<figure>:<level id or all> ("<unit id>~<kind>" for the
    students of the unit placed in no such child)."""
    unit_id, rest, figure, level = key
    return f"ov:{unit_id}{'~' + rest if rest else ''}:{figure}:{level or 'all'}"


def overview_tree(root: OrgUnit) -> Tree:
    """Two GROUP BY queries over the root's warnings, by the students' placement (district, school, grade,
    class) and by placement and level, rolled up in Python. A student sits in one placement, so distinct
    students per placement add up exactly to every unit above it — per figure and per (figure, level). Over
    levels only where it holds: a student with warnings at two levels counts at both, but in the current figure
    once (one open warning per student), so current = Σ levels always; the other figures only when the counts
    say so."""
    levels = list(WarningLevel.objects.order_by("-severity"))
    base = Warning.objects.filter(**{_UNIT_FILTER[root.kind]: root.pk}).exclude(state=states.DISMISSED)
    counts = _student_counts()
    units = {root.pk: {"kind": root.kind, "name": root.name, "parent_id": root.parent_id,
                       "school_id": root.school_id}}
    # The units a page lists: active districts and schools, and the grades and classes of the current school year
    # (last years' classes hold nobody now; a student still placed in one comes in through the counts).
    year = SchoolYear.objects.filter(is_current=True).values_list("id", flat=True).first()
    this_year = Q(school_year_id=year) if year is not None else Q()
    listed = OrgUnit.objects.filter(path__startswith=root.path, is_active=True).filter(
        Q(kind__in=("district", "school")) | (Q(kind__in=("grade", "class")) & this_year))
    for row in listed.exclude(pk=root.pk).values("id", "kind", "name", "parent_id", "school_id"):
        units[row.pop("id")] = row
    values: dict[Key, int] = {}
    edges: dict[tuple[int, str], set[int | None]] = {}

    def add(row: dict, level: int) -> None:
        for node in _nodes(root, [row[c] for c in _PLACEMENT], edges):
            for name in Figures.NAMES:
                key = (*node, name, level)
                values[key] = values.get(key, 0) + row[name]

    for row in base.values(*_PLACEMENT).annotate(**counts).order_by():
        add(row, ALL_LEVELS)
    for row in base.values(*_PLACEMENT, "level_id").annotate(**counts).order_by():
        add(row, row["level_id"])
    remainders = {edge for edge, kids in edges.items() if None in kids}
    lines, unshown = _lines(root, units, levels, values, edges, remainders)
    return Tree(root, levels, units, values, remainders, lines, unshown)


def _nodes(root: OrgUnit, placement: list[int | None], edges: dict) -> set[tuple[int, str]]:
    """The nodes a placement (district, school, grade, class) counts in, following the lines: city → districts
    → schools, a school → its grades and → its classes, a grade → its classes. A missing placement counts in its
    parent's remainder node for that kind. `edges` gathers (parent, kind) → children seen (None: a remainder)."""
    district, school, grade, school_class = placement
    nodes = {(root.pk, "")}

    def under(parent: int, kind: str, child: int | None) -> bool:
        edges.setdefault((parent, kind), set()).add(child)
        nodes.add((parent, kind) if child is None else (child, ""))
        return child is not None

    if root.kind == "city" and not under(root.pk, "district", district):
        return nodes
    if root.kind in ("city", "district") and not under(root.pk if root.kind == "district" else district, "school",
                                                       school):
        return nodes
    if root.kind in ("city", "district", "school"):
        at = root.pk if root.kind == "school" else school
        under(at, "class", school_class)
        if under(at, "grade", grade):
            under(grade, "class", school_class)
    elif root.kind == "grade":
        under(root.pk, "class", school_class)
    return nodes


def _lines(root, units, levels, values, edges, remainders) -> tuple[list[tuple[Key, ...]], set[Key]]:
    # (parent, child kind) -> children: the units under the root (a child without warnings is a 0 in the line)
    # and the placements seen
    children = {edge: {k for k in kids if k is not None} for edge, kids in edges.items()}
    for uid, u in units.items():
        if uid == root.pk:
            continue
        if u["kind"] == "class":
            children.setdefault((u["school_id"], "class"), set()).add(uid)
            if units.get(u["parent_id"], {}).get("kind") == "grade":
                children.setdefault((u["parent_id"], "class"), set()).add(uid)
        else:
            children.setdefault((u["parent_id"], u["kind"]), set()).add(uid)
    level_ids = [ALL_LEVELS] + [lv.pk for lv in levels]
    lines: list[tuple[Key, ...]] = []
    unshown: set[Key] = set()
    for (parent, kind), kids in children.items():
        if parent not in units:
            continue  # a grade's classes seen from the school's line (the root is the grade)
        parts = [(k, "") for k in sorted(kids)]
        if (parent, kind) in remainders:
            parts.append((parent, kind))
        for name in Figures.NAMES:
            for level in level_ids:
                lines.append(((parent, "", name, level), *((*p, name, level) for p in parts)))
    for parent, kind in remainders:
        shown = (units[parent]["kind"], kind) in _SHOWN_REMAINDERS if parent in units else False
        for name in Figures.NAMES:
            for level in level_ids:
                # A page's "—" row shows its five totals and its currently warned by level; nothing else.
                if not (shown and (level == ALL_LEVELS or name == "current")):
                    unshown.add((parent, kind, name, level))
    nodes = {(uid, "") for uid in units} | remainders
    for node in sorted(nodes):
        for name in Figures.NAMES:
            parts = [(*node, name, lv.pk) for lv in levels]
            if values.get((*node, name, ALL_LEVELS), 0) == sum(values.get(p, 0) for p in parts):
                lines.append(((*node, name, ALL_LEVELS), *parts))
    return lines, unshown


def overview_hidden(tree: Tree) -> frozenset[str]:
    """The page keys hidden from viewers without need-to-know: every 1–4 and what would give one away."""
    return frozenset(page_key(k) for k in suppression.suppress(tree.values, tree.lines, given=tree.unshown))


def overview_published(city: OrgUnit, *, fresh: bool = False) -> tuple[Tree, frozenset[str], datetime]:
    """The city's tree and the figures hidden from viewers without need-to-know, with when they were counted:
    reused for REPORT_DECISION_SECONDS from the cache (at 1.5 M students counting and deciding take seconds), so
    every page and every viewer of that minute hide the same figures. The lines are left out of what is kept
    (only the decision needs them). `fresh`: count anew and keep it until the next scheduled count is done (the
    beat entry "alerts-overview-count" does this every minute, so no viewer waits for it)."""

    def count() -> tuple[Tree, frozenset[str], datetime]:
        tree = overview_tree(city)
        return replace(tree, lines=[], unshown=set()), overview_hidden(tree), timezone.now()

    return city_decisions.kept(f"alerts:overview:{city.pk}", count, fresh=fresh)


def overview_count_all() -> dict:
    """Count and decide the overview of every active city ahead of its viewers (nothing when decisions are not
    reused, REPORT_DECISION_SECONDS = 0)."""
    return city_decisions.decide_every_city(overview_published)


def overview(unit: OrgUnit, tree: Tree | None = None) -> dict:
    """The provincial platform's figures (现有预警人数, 预警解除人数, 已回访人数, 转介人数 and the cumulative
    累计上报人数) for the students under `unit`, overall, by level and by the unit's children (a city's
    districts, a district's schools, a school's classes). Students, not warnings, are counted (distinct
    student_id), so each figure is counted on its own grouping: a student with warnings at two levels counts
    once in the totals and once at each level. Dismissed warnings are left out. Read from `tree` (the unit's
    own when None). Counts only: callers have checked ALERT_OVERVIEW at the unit (overview_unit_or_404)."""
    tree = tree or overview_tree(unit)
    levels = tree.levels

    def figures(node: tuple[int, str], level: int = ALL_LEVELS) -> Figures:
        return Figures(*(tree.values.get((*node, name, level), 0) for name in Figures.NAMES),
                       node=node)

    child = _CHILD.get(unit.kind)
    children = []
    if child:
        kind = child[0]
        ids = [uid for uid, u in tree.units.items() if u["kind"] == kind and
               (u["school_id"] if kind == "class" else u["parent_id"]) == unit.pk]
        for uid in sorted(ids, key=lambda i: tree.units[i]["name"]):
            children.append(_child_row(tree, uid, (uid, ""), tree.units[uid]["name"], kind, figures))
        if (unit.pk, kind) in tree.remainders:  # students placed in no such child
            children.append(_child_row(tree, None, (unit.pk, kind), "—", kind, figures))
    return {"unit": unit, "levels": [(lv, figures((unit.pk, ""), lv.pk)) for lv in levels],
            "totals": figures((unit.pk, "")), "children": children, "child_kind": child[0] if child else None}


def _child_row(tree: Tree, uid: int | None, node: tuple[int, str], name: str, kind: str, figures) -> dict:
    return {"id": uid, "name": name, "kind": kind, "node": node,
            "total": figures(node),
            "current_by_level": [(lv.pk, tree.values.get((*node, "current", lv.pk), 0)) for lv in tree.levels]}


# ------------------------------------------------------------------------------------------------ export

def export_rows(user, *, since: datetime | None = None, until: datetime | None = None) -> QuerySet[Warning]:
    """Warnings for the provincial crisis platform: every warning about a student the user reaches with
    STUDENT_RISK_LEVEL through a role that may export (centre staff), changed in the window."""
    if not scope.has_permission(user, roles.ALERT_EXPORT):
        return Warning.objects.none()
    qs = Warning.objects.filter(student__in=scope.students(user, roles.ALERT_EXPORT)).filter(
        student__in=scope.students(user, roles.STUDENT_RISK_LEVEL))
    if since:
        qs = qs.filter(last_event_at__gte=since)
    if until:
        qs = qs.filter(last_event_at__lt=until)
    return qs.select_related("level", "student__school", "student__district").order_by("id")


# --------------------------------------------------------------------------------------- daily reports

def daily_units(user) -> list[OrgUnit]:
    """The schools, districts and cities whose daily report the user receives: their own school or district;
    at a city (the city centre; the supervisor, 督导) the city's own report and every district's (each lists
    only what that unit's centre sees)."""
    ids: set[int] = set()
    city_ids: set[int] = set()
    for grant in scope.grants(user):
        if roles.ALERT_DAILY_REPORT not in grant.permissions or grant.unit_id is None:
            continue
        if grant.unit_kind in ("school", "district"):
            ids.add(grant.unit_id)
        elif grant.unit_kind == "city":
            ids.add(grant.unit_id)
            city_ids.add(grant.unit_id)
    if not ids:
        return []
    qs = OrgUnit.objects.filter(Q(pk__in=ids) | Q(kind=OrgUnit.Kind.DISTRICT, parent_id__in=city_ids))
    order = {"city": 0, "district": 1, "school": 2}
    return sorted(qs.filter(is_active=True), key=lambda u: (order.get(u.kind, 3), u.name))


def daily_unit_or_404(user, unit_id: int) -> OrgUnit:
    for unit in daily_units(user):
        if unit.pk == unit_id:
            return unit
    raise Http404("No such report")


def daily_shows_names(user, unit: OrgUnit) -> bool:
    """Whether the user's copy of a unit's daily report names the students: only for someone who may see
    their risk level at the unit. A supervisor (督导) receives it with warning numbers only, and no read of a
    student is recorded for them because none is shown."""
    return scope.unit_permission(user, unit, roles.STUDENT_RISK_LEVEL)
