"""Reads behind the report pages: the overviews (provincial figures by level and unit), the provincial export
rows, and which daily reports a user receives. Every function takes the acting user or a unit the caller has
checked through the scoping layer."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from runxin.access import roles, scope
from runxin.org.models import OrgUnit

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

    NAMES = ("current", "cleared", "revisited", "referred", "total")

    @classmethod
    def of(cls, row: dict) -> "Figures":
        return cls(*(row[name] for name in cls.NAMES))


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


SMALL_COUNT = 5


def suppresses_small_counts(user, unit: OrgUnit) -> bool:
    """Counts under 5 are hidden from people who see aggregates outside need-to-know (a city admin, a
    supervisor): a "1" in a class can name a student. Whoever may see the warnings themselves sees them."""
    return not scope.unit_permission(user, unit, roles.STUDENT_RISK_LEVEL)


def overview_unit_or_404(user, unit_id: int) -> OrgUnit:
    unit = scope.unit_or_404(user, unit_id, roles.ALERT_OVERVIEW)
    if unit.kind not in _UNIT_FILTER:
        raise Http404("No overview for this unit")
    return unit


def overview(unit: OrgUnit) -> dict:
    """The provincial platform's figures (现有预警人数, 预警解除人数, 已回访人数, 转介人数 and the cumulative
    累计上报人数) for the students under `unit`, overall, by level and by the unit's children. Students, not
    warnings, are counted (distinct student_id), so each figure is counted on its own grouping: a student
    with warnings at two levels counts once in the totals and once at each level. Dismissed warnings are left
    out. Counts only: callers have checked ALERT_OVERVIEW at the unit (overview_unit_or_404)."""
    base = Warning.objects.filter(**{_UNIT_FILTER[unit.kind]: unit.pk}).exclude(state=states.DISMISSED)
    counts = _student_counts()
    child = _CHILD.get(unit.kind)
    totals = Figures.of(base.aggregate(**counts))
    levels = list(WarningLevel.objects.order_by("-severity"))
    by_level = {lv.pk: Figures() for lv in levels}
    for row in base.values("level_id").annotate(**counts).order_by():
        by_level[row["level_id"]] = Figures.of(row)
    children = []
    if child:
        column = child[1]
        child_totals = {row[column]: Figures.of(row) for row in base.values(column).annotate(**counts).order_by()}
        current_by_level: dict[int | None, dict[int, int]] = {}
        for row in base.filter(state__in=states.CURRENT).values(column, "level_id").annotate(
                n=Count("student_id", distinct=True)).order_by():
            current_by_level.setdefault(row[column], {})[row["level_id"]] = row["n"]
        units = OrgUnit.objects.filter(parent_id=unit.pk, kind=child[0]) if child[0] != "class" else \
            OrgUnit.objects.filter(school_id=unit.pk, kind="class")
        names = dict(units.values_list("id", "name"))
        ids = set(names) | {k for k in child_totals if k is not None} | ({None} if None in child_totals else set())
        for uid in sorted(ids, key=lambda i: names.get(i, "") if i is not None else "\uffff"):
            per_level = current_by_level.get(uid, {})
            children.append({"id": uid, "name": names.get(uid, "—"), "kind": child[0],
                             "total": child_totals.get(uid, Figures()),
                             "current_by_level": [per_level.get(lv.pk, 0) for lv in levels]})
    return {"unit": unit, "levels": [(lv, by_level.get(lv.pk, Figures())) for lv in levels], "totals": totals,
            "children": children, "child_kind": child[0] if child else None}


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
