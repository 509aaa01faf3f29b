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
    current: int = 0
    cleared: int = 0
    revisited: int = 0
    referred: int = 0
    total: int = 0

    def add(self, other: "Figures") -> None:
        for name in ("current", "cleared", "revisited", "referred", "total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


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
    """The provincial platform's figures (现有预警 currently warned, 预警解除 cleared, 已回访 revisited,
    转介 referred) for every warning under `unit`, by level and by the unit's children. Counts only: callers
    have checked ALERT_OVERVIEW at the unit (overview_unit_or_404)."""
    base = Warning.objects.filter(**{_UNIT_FILTER[unit.kind]: unit.pk})
    child = _CHILD.get(unit.kind)
    group = ["level_id"] + ([child[1]] if child else [])
    rows = base.values(*group).annotate(
        current=Count("id", filter=Q(state__in=states.CURRENT)),
        cleared=Count("id", filter=Q(state__in=states.CLEARED_STATES)),
        revisited=Count("id", filter=Q(revisited_at__isnull=False)),
        referred=Count("id", filter=Q(referred_at__isnull=False)),
        total=Count("id"),
    ).order_by()
    levels = list(WarningLevel.objects.order_by("-severity"))
    by_level = {lv.pk: Figures() for lv in levels}
    by_child: dict[int | None, dict[int, Figures]] = {}
    totals = Figures()
    for row in rows:
        figures = Figures(row["current"], row["cleared"], row["revisited"], row["referred"], row["total"])
        by_level.setdefault(row["level_id"], Figures()).add(figures)
        totals.add(figures)
        if child:
            by_child.setdefault(row[child[1]], {}).setdefault(row["level_id"], Figures()).add(figures)
    children = []
    if child:
        units = OrgUnit.objects.filter(parent_id=unit.pk, kind=child[0]) if child[0] != "class" else \
            OrgUnit.objects.filter(school_id=unit.pk, kind="class")
        names = dict(units.values_list("id", "name"))
        ids = set(names) | {k for k in by_child if k is not None}
        for uid in sorted(ids, key=lambda i: names.get(i, "")):
            per_level = by_child.get(uid, {})
            total = Figures()
            for f in per_level.values():
                total.add(f)
            children.append({"id": uid, "name": names.get(uid, "—"), "kind": child[0], "total": total,
                             "levels": [per_level.get(lv.pk, Figures()) for lv in levels]})
    return {"unit": unit, "levels": [(lv, by_level[lv.pk]) for lv in levels], "totals": totals,
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
