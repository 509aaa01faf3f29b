"""The read API of the figures (issue 13's contract): what the dashboards and reports call. Pure reads, each a
handful of indexed queries over UnitFigure and the region tree.

Figures come back as `Figure`, an int that also says whether it is suppressed (hidden from viewers outside
need-to-know: `hidden` is "primary" for a figure of 1–4, "complementary" for one hidden to protect another,
"" when shown). Every measure of the catalogue is present; a measure without a stored row is 0, shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

from runxin.access import roles, scope
from runxin.org.models import OrgUnit, SchoolYear, ServiceGroup

from . import facts
from .core.suppression import SMALL
from .models import RefreshState, UnitFigure


class Figure(int):
    """A stored figure: its value, and whether it is suppressed."""

    suppressed: bool

    def __new__(cls, value: int = 0, suppressed: bool = False) -> Figure:
        figure = super().__new__(cls, value)
        figure.suppressed = suppressed
        return figure

    @property
    def hidden(self) -> str:
        """How a viewer outside need-to-know sees it: "primary" ("<5"), "complementary" ("◦") or "" (shown)."""
        if not self.suppressed:
            return ""
        return "primary" if 0 < int(self) < SMALL else "complementary"

    def __repr__(self) -> str:
        return f"Figure({int(self)}{', suppressed' if self.suppressed else ''})"


def as_of() -> datetime | None:
    """The figures include every change made before this moment (the start of the last finished pass)."""
    return RefreshState.objects.filter(name="unit_figures").values_list("started_at", flat=True).first()


def _codes(measures: Iterable[str] | None) -> list[str]:
    return list(measures) if measures is not None else [m.code for m in facts.measures()]


def units_months(units: Iterable[OrgUnit], first: date, last: date,
                 measures: list[str] | None = None) -> dict[int, dict[date, dict[str, Figure]]]:
    """unit id → month → measure → figure, for every month from `first` to `last` (first days)."""
    ids = [unit.pk for unit in units]
    months = facts.months_between(first, last)
    codes = _codes(measures)
    found = {uid: {month: {code: Figure() for code in codes} for month in months} for uid in ids}
    if not ids or not months:
        return found
    rows = UnitFigure.objects.filter(unit_id__in=ids, month__gte=months[0], month__lte=months[-1])
    if measures is not None:
        rows = rows.filter(measure__in=codes)
    for uid, month, measure, value, suppressed in rows.values_list("unit_id", "month", "measure", "value",
                                                                   "suppressed"):
        if measure in found[uid][month]:
            found[uid][month][measure] = Figure(value, suppressed)
    return found


def unit_months(unit: OrgUnit, first: date, last: date) -> dict[date, dict[str, Figure]]:
    """month → measure → figure for one unit, every month from `first` to `last`."""
    return units_months([unit], first, last)[unit.pk]


def units_month(units: Iterable[OrgUnit], month: date,
                measures: list[str] | None = None) -> dict[int, dict[str, Figure]]:
    """unit id → measure → figure for one month."""
    month = facts.month_of(month)
    return {uid: months[month] for uid, months in units_months(units, month, month, measures).items()}


def school_year_months(today: date | None = None) -> list[date]:
    """The months of the running school year so far: September (its first month) … the running month."""
    today = today or timezone.localdate()
    return facts.months_between(facts.school_year_start(today), today)


_CHILD_KIND = {OrgUnit.Kind.CITY: OrgUnit.Kind.DISTRICT, OrgUnit.Kind.DISTRICT: OrgUnit.Kind.SCHOOL,
               OrgUnit.Kind.SCHOOL: OrgUnit.Kind.GRADE, OrgUnit.Kind.GRADE: OrgUnit.Kind.CLASS}


def children(unit: OrgUnit) -> list[OrgUnit]:
    """The units one level down, active ones by name: city → districts → schools → grades (of the current
    school year) → classes."""
    kind = _CHILD_KIND.get(unit.kind)
    if kind is None:
        return []
    qs = OrgUnit.objects.filter(parent_id=unit.pk, kind=kind, is_active=True)
    if kind == OrgUnit.Kind.GRADE:
        year = SchoolYear.objects.filter(is_current=True).values_list("id", flat=True).first()
        qs = qs.filter(school_year_id=year) if year is not None else qs
        return list(qs.order_by("grade_level", "id"))
    if kind == OrgUnit.Kind.CLASS:
        return list(qs.order_by("class_number", "id"))
    return list(qs.order_by("code", "name", "id"))


def service_groups(district: OrgUnit) -> list[ServiceGroup]:
    """The district's active service groups (片区)."""
    return list(ServiceGroup.objects.filter(district_id=district.pk, is_active=True).order_by("code", "name"))


def group_units(group: ServiceGroup) -> list[OrgUnit]:
    """The schools of a service group; its figures are their sum (sum_figures)."""
    return list(OrgUnit.objects.filter(service_group_membership__group=group, kind=OrgUnit.Kind.SCHOOL)
                .order_by("code", "name", "id"))


def sum_figures(figures: Iterable[dict[str, int]]) -> dict[str, int]:
    """The measure-wise sum of several units' figures (a service group's from its schools): plain ints, whose
    suppression the page decides (issue 13's contract)."""
    total: dict[str, int] = {}
    for one in figures:
        for measure, value in one.items():
            total[measure] = total.get(measure, 0) + int(value)
    return total


def needs_to_know(user, unit: OrgUnit) -> bool:
    """Whether the user sees the unit's exact figures: whoever may see its students' risk levels."""
    return scope.unit_permission(user, unit, roles.STUDENT_RISK_LEVEL)
