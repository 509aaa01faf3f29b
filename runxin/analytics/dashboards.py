"""The dashboards' pages as data: for one unit (city, district, school, grade, class) or one service group of a
district, what that level acts on — the running month's stocks and flows with rates per 1,000 students, the
warning-level and screening-band distributions, the child units with their key figures (the drill-down), the
trends of the last 24 months with the school calendar's time nodes, and the few things to act on now with
the pages where one acts.

Only stored figures are shown (UnitFigure, kept by facts.py), each as it is stored or, for a viewer without
need-to-know of the unit's students, hidden when the refresh marked it suppressed, as "*" (one mark for 1–4 and for a
figure hidden to protect another. A service group's figures are the sums of its schools' figures; which of
those sums to hide is decided here, over the whole district at once (every group of the district and its
schools), with the same deterministic algorithm, so the district page and each group's page hide the same sums.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from runxin.access import roles, scope
from runxin.alerts.models import WarningLevel
from runxin.org.models import OrgUnit, ServiceGroup, ServiceGroupStaff

from . import facts, seasons, selectors
from .core.suppression import Unprotectable, suppress
from .models import CampaignFigure, UnitFigure

TREND_MONTHS = 24
DASHBOARD_KINDS = ("city", "district", "school", "grade", "class")
BAND_LEVELS = ("none", "moderate", "high")
BAND_LABELS = {"none": pgettext_lazy("screening band", "No concern"),
               "moderate": pgettext_lazy("screening band", "Moderate concern"),
               "high": pgettext_lazy("screening band", "High concern")}
# Every hidden figure looks the same: marking a 1–4 apart from a figure hidden to protect it would tell an
# attacker which is which and narrow both (docs/analytics.md, "Marks give figures away").
HIDDEN_MARK = "*"


# ------------------------------------------------------------------------------------------------ figures

@dataclass(frozen=True)
class Figure:
    """One figure as this viewer sees it: the stored value, or hidden ("primary": 1–4, "complementary": hidden so
    that another cannot be worked out). `key` names it in the page's markup (data-fig)."""

    key: str
    value: int | None
    hidden: str = ""

    @property
    def shown(self) -> bool:
        return not self.hidden

    def attrs(self) -> str:
        if self.hidden:
            return format_html('data-fig="{}" data-hidden="1"', self.key)
        return format_html('data-fig="{}" data-value="{}"', self.key, self.value)

    def __str__(self) -> str:
        return HIDDEN_MARK if self.hidden else f"{self.value:,}"

    @property
    def td(self) -> str:
        """The figure as a table cell (the trends' tables: hundreds of cells, written here in one go)."""
        return format_html('<td class="num" {}>{}</td>', self.attrs(), str(self))


@dataclass(frozen=True)
class Rate:
    """A rate of a figure: per 1,000 students, or a percentage of a base (coverage). None when the figure is
    hidden (a rate would give it back) or the base is 0."""

    of: str
    value: Decimal | None
    percent: bool = False

    def attrs(self) -> str:
        return format_html('data-rate-of="{}"', self.of)

    def __str__(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value}%" if self.percent else f"{self.value}"


def per_thousand(figure: Figure, students: Figure) -> Rate:
    if not figure.shown or not students.shown or not students.value:
        return Rate(figure.key, None)
    return Rate(figure.key, (Decimal(figure.value * 1000) / students.value).quantize(Decimal("0.1"), ROUND_HALF_UP))


def percent(figure: Figure, base: Figure) -> Rate:
    if not figure.shown or not base.shown or not base.value:
        return Rate(figure.key, None, percent=True)
    return Rate(figure.key, (Decimal(figure.value * 100) / base.value).quantize(Decimal("0.1"), ROUND_HALF_UP),
                percent=True)


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def running_month(today: date | None = None) -> date:
    return facts.month_of(today or timezone.localdate())


def months_back(last: date, count: int = TREND_MONTHS) -> list[date]:
    """`count` first-of-month dates ending with `last`, oldest first."""
    index = last.year * 12 + last.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


class Figures:
    """Figures of some units (or groups) over some months as one viewer sees them; get() never returns a value
    the viewer may not see."""

    def __init__(self, prefix: str, stored: dict, exact: bool, hidden: frozenset = frozenset()):
        # stored: {(id, month, measure): selectors.Figure (an int that knows whether it is suppressed)};
        # hidden: (id, month, measure) hidden on top (a service group's sums, decided on the page)
        self.prefix, self.stored, self.exact, self.hidden = prefix, stored, exact, hidden

    def get(self, ident: int, month: date, measure: str) -> Figure:
        stored = self.stored.get((ident, month, measure)) or selectors.Figure()
        if (ident, month, measure) in self.hidden:
            stored = selectors.Figure(int(stored), suppressed=True)
        key = f"{self.prefix}:{ident}:{measure}:{month_key(month)}"
        if stored.suppressed and not self.exact:
            return Figure(key, None, stored.hidden)
        return Figure(key, int(stored))


def stored_figures(units: Iterable[OrgUnit], first: date, last: date,
                   measures: Iterable[str] | None = None) -> dict:
    """{(unit id, month, measure): selectors.Figure} from the read API."""
    found = selectors.units_months(list(units), first, last, list(measures) if measures is not None else None)
    return {(uid, month, measure): figure for uid, months in found.items() for month, figures in months.items()
            for measure, figure in figures.items()}


# ------------------------------------------------------------------------------------------------- levels

@dataclass(frozen=True)
class Level:
    code: str
    name: str
    colour: str


def warning_levels(language: str) -> list[Level]:
    """The warning levels, most severe first (a small reference list: no student data)."""
    return [Level(lv.code, lv.label(language), lv.colour)
            for lv in WarningLevel.objects.filter(is_active=True).order_by("-severity")]


def breakdown_lines() -> list[tuple[str, list[str]]]:
    """The totals whose parts are stored beside them, as facts.py keeps them exact (every level, active or not)."""
    codes = WarningLevel.objects.order_by("-severity").values_list("code", flat=True)
    return list(facts.breakdowns(codes).items())


# ------------------------------------------------------------------------------------------- who sees what

def roots(user) -> list[OrgUnit]:
    """The top units whose dashboard the user may open (a city administrator: the city; a head teacher: a class)."""
    return [u for u in scope.root_units(user, roles.DASHBOARD_VIEW) if u.kind in DASHBOARD_KINDS]


def unit_or_404(user, unit_id: int) -> OrgUnit:
    unit = scope.unit_or_404(user, unit_id, roles.DASHBOARD_VIEW)
    if unit.kind not in DASHBOARD_KINDS or not unit.is_active:
        raise Http404("No dashboard for this unit")
    return unit


def group_or_404(user, group_id: int) -> ServiceGroup:
    """A service group of a district whose dashboard the user may open (404 otherwise, as for a unit)."""
    group = ServiceGroup.objects.filter(pk=group_id, is_active=True).select_related("district").first()
    if group is None or not scope.unit_permission(user, group.district, roles.DASHBOARD_VIEW):
        raise Http404("No such service group")
    return group


def home_unit(user) -> OrgUnit | None:
    """The city whose dashboard is this user's home page (city-level users), else None."""
    tops = roots(user)
    return tops[0] if len(tops) == 1 and tops[0].kind == "city" else None


def my_groups(user, district: OrgUnit) -> list[ServiceGroup]:
    """The service groups of the district that this person serves (centre staff named for a group)."""
    return list(ServiceGroup.objects.filter(
        district=district, is_active=True,
        pk__in=ServiceGroupStaff.objects.filter(user_id=user.pk).values("group_id")).order_by("code", "name"))


# ----------------------------------------------------------------------------------------- what is shown

@dataclass(frozen=True)
class Line:
    """One headline figure: a measure of the running month, with a rate per 1,000 students ("per1000"), a
    percentage of a base measure ("percent"), a mean of it over a base ("mean": days per referral) or none."""

    measure: str
    label: object
    rate: str | None = "per1000"
    base: str = "students"


SECTIONS: list[tuple[str, object, list[Line]]] = [
    ("screening", gettext_lazy("Screening"), [
        Line("students", gettext_lazy("Students"), None),
        Line("screening.covered", gettext_lazy("Screened this school year"), "percent"),
        Line("screening.results", gettext_lazy("Results this month")),
        Line("screening.results.critical", gettext_lazy("With a critical item this month")),
        Line("screening.results.invalid", gettext_lazy("Not valid this month"), None),
    ]),
    ("warnings", gettext_lazy("Warnings"), [
        Line("warnings.current", gettext_lazy("Students with a warning now")),
        Line("warnings.new", gettext_lazy("New this month")),
        Line("warnings.cleared", gettext_lazy("Cleared this month")),
        Line("warnings.escalated", gettext_lazy("Escalated this month")),
        Line("warnings.overdue", gettext_lazy("Overdue now")),
        Line("incidents.new", gettext_lazy("Incidents this month")),
    ]),
    ("followups", gettext_lazy("Follow-ups (回访)"), [
        Line("followups.due", gettext_lazy("Due this month"), None),
        Line("followups.done", gettext_lazy("Done this month"), None),
        Line("followups.overdue", gettext_lazy("Overdue now"), None),
    ]),
    ("referrals", gettext_lazy("Referrals (转介)"), [
        Line("referrals.new", gettext_lazy("Referred this month")),
        Line("referrals.first_visit", gettext_lazy("First hospital visit this month"), None),
        Line("referrals.days_to_first_visit", gettext_lazy("Mean days from referral to first visit"), "mean",
             base="referrals.first_visit"),
    ]),
    ("visits", gettext_lazy("Home visits (家访)"), [
        Line("visits.home", gettext_lazy("Home visits this month"), None),
        Line("visits.covered", gettext_lazy("Students visited this school year"), "percent"),
        Line("visits.key_students", gettext_lazy("Key students (重点学生)"), None),
        Line("visits.key_covered", gettext_lazy("Key students visited this school year"), "percent",
             base="visits.key_students"),
    ]),
]


@dataclass(frozen=True)
class Column:
    """A column of the child units' table: the figure, its rate, or both."""

    measure: str
    label: object
    figure: bool = True
    rate: str | None = None


CHILD_COLUMNS = [
    Column("students", gettext_lazy("Students")),
    Column("screening.covered", gettext_lazy("Screened this school year"), figure=False, rate="percent"),
    Column("warnings.current", gettext_lazy("With a warning now"), rate="per1000"),
    Column("warnings.new", gettext_lazy("New warnings this month"), rate="per1000"),
    Column("warnings.overdue", gettext_lazy("Overdue warnings")),
    Column("followups.overdue", gettext_lazy("Overdue follow-ups")),
    Column("referrals.new", gettext_lazy("Referred this month")),
    Column("visits.covered", gettext_lazy("Visited at home this school year"), figure=False, rate="percent"),
]
CHILD_MEASURES = ("students", "screening.covered", "warnings.current", "warnings.new", "warnings.overdue",
                  "followups.overdue", "referrals.new", "visits.covered")


@dataclass(frozen=True)
class Series:
    measure: str
    label: str
    colour: str
    kind: str = ""  # "line" on a bar chart


def trend_catalogue(levels: list[Level]) -> list[dict]:
    """The trend charts: id, title, chart kind, the plotted series and the measures shown in the table only."""
    return [
        {"id": "new-warnings", "title": _("New warnings by level"), "kind": "stacked",
         "series": [Series(f"warnings.new.{lv.code}", lv.name, lv.colour or "grey") for lv in levels],
         "table_only": [Series("warnings.new", _("All levels"), "")]},
        {"id": "current-warnings", "title": _("Students with a warning at the month's end"), "kind": "line",
         "series": [Series("warnings.current", _("All levels"), "teal"),
                    *[Series(f"warnings.current.{lv.code}", lv.name, lv.colour or "grey") for lv in levels]],
         "table_only": []},
        {"id": "screening", "title": _("Screening results by band"), "kind": "stacked",
         "series": [*[Series(f"screening.results.{band}", str(BAND_LABELS[band]), band) for band in BAND_LEVELS],
                    Series("screening.results.critical", _("Critical item"), "critical", "line")],
         "table_only": [Series("screening.results", _("All results"), ""),
                        Series("screening.results.invalid", _("Not valid"), "")]},
        {"id": "follow-ups", "title": _("Follow-ups due and done"), "kind": "bar",
         "series": [Series("followups.due", pgettext("follow-ups", "Due"), "blue"),
                    Series("followups.done", pgettext("follow-ups", "Done"), "green")],
         "table_only": []},
        {"id": "referrals", "title": _("Referrals and first hospital visits"), "kind": "bar",
         "series": [Series("referrals.new", _("Referred"), "brown"),
                    Series("referrals.first_visit", _("First visit"), "teal")],
         "table_only": []},
        {"id": "home-visits", "title": _("Home visits"), "kind": "bar",
         "series": [Series("visits.home", _("Home visits"), "purple")], "table_only": []},
    ]


def shown_measures(levels: list[Level], breakdowns: list[tuple[str, list[str]]]) -> tuple[str, ...]:
    """Every measure a dashboard shows, and every part of the breakdowns (the service groups' sums are computed
    and protected over all of them, so that each page decides the same)."""
    measures = [line.measure for _key, _title, lines in SECTIONS for line in lines]
    measures += [line.base for _key, _title, lines in SECTIONS for line in lines if line.rate]
    measures += list(CHILD_MEASURES)
    for trend in trend_catalogue(levels):
        measures += [s.measure for s in (*trend["series"], *trend["table_only"])]
    for total, parts in breakdowns:
        measures += [total, *parts]
    return tuple(dict.fromkeys(measures))


def trend_measures(levels: list[Level], breakdowns: list[tuple[str, list[str]]]) -> tuple[str, ...]:
    """The measures shown for the months before the running one (the trends, the last month's screening bands),
    with the parts of their breakdowns and the students the rates divide by."""
    measures = ["students"]
    for trend in trend_catalogue(levels):
        measures += [s.measure for s in (*trend["series"], *trend["table_only"])]
    for total, parts in breakdowns:
        if total in measures or any(part in measures for part in parts):
            measures += [total, *parts]
    return tuple(dict.fromkeys(measures))


# ----------------------------------------------------------------------------------------------- the page

@dataclass
class Cell:
    """A headline figure with its rate (or mean), for the cards and tables."""

    label: str
    figure: Figure | None
    rate: Rate | None = None


@dataclass
class ChildRow:
    name: str
    url: str
    cells: list  # (column label, Figure or Rate), in the columns' order
    by: dict = field(default_factory=dict)  # measure → (Figure, Rate | None), for the rankings


@dataclass
class Act:
    """One thing to act on at this level: a figure (or a ranking of child units) and where one acts on it."""

    label: str
    figure: Figure | None = None
    url: str = ""
    link: str = ""
    ranked: list = field(default_factory=list)  # (name, url, Figure, Rate)
    who: str = ""  # who acts on it, when this person cannot


@dataclass
class Page:
    title: str
    kind: str  # the unit's kind, or "group"
    subject_id: int
    month: date
    months: list[date]
    exact: bool
    as_of: datetime | None
    sections: list = field(default_factory=list)  # (key, title, [Cell])
    levels: list = field(default_factory=list)  # (Level, current Figure, Rate, new Figure, Rate)
    level_totals: tuple = ()
    bands: dict = field(default_factory=dict)
    campaigns: list = field(default_factory=list)  # (name, window, url, targets Figure, done Figure, Rate)
    child_title: str = ""
    child_columns: list = field(default_factory=list)  # child_headers()
    children: list = field(default_factory=list)  # ChildRow
    groups: list = field(default_factory=list)  # ChildRow of the district's service groups
    trends: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    legend: list = field(default_factory=list)
    trail: list = field(default_factory=list)  # (name, url) of the units above, within reach
    my_groups: list = field(default_factory=list)  # (name, url) the service groups this person serves

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def has_hidden(self) -> bool:
        return not self.exact


def _cells(get: Callable[[date, str], Figure], month: date) -> list:
    sections = []
    for key, title, lines in SECTIONS:
        cells = []
        for line in lines:
            figure = get(month, line.measure)
            rate = None
            if line.rate == "per1000":
                rate = per_thousand(figure, get(month, line.base))
            elif line.rate == "percent":
                rate = percent(figure, get(month, line.base))
            elif line.rate == "mean":
                rate = mean(figure, get(month, line.base))
            # A mean shows only itself (the days summed are not a figure anyone reads).
            cells.append(Cell(str(line.label), None if line.rate == "mean" else figure, rate))
        sections.append((key, str(title), cells))
    return sections


def mean(total: Figure, count: Figure) -> Rate:
    """Mean days per referral with a first visit: shown only when both stored figures are."""
    if not total.shown or not count.shown or not count.value:
        return Rate(total.key, None)
    return Rate(total.key, (Decimal(total.value) / count.value).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _levels(get, month: date, levels: list[Level]) -> tuple[list, tuple]:
    students = get(month, "students")
    rows = []
    for level in levels:
        current, new = get(month, f"warnings.current.{level.code}"), get(month, f"warnings.new.{level.code}")
        rows.append((level, current, per_thousand(current, students), new, per_thousand(new, students)))
    current, new = get(month, "warnings.current"), get(month, "warnings.new")
    return rows, (current, per_thousand(current, students), new, per_thousand(new, students))


def _bands(get, months: list[date]) -> dict:
    """The screening bands of the last month whose results this viewer sees and that had any (a month without
    screening shows nothing useful), else of the running month."""
    chosen = months[-1]
    for month in reversed(months):
        total = get(month, "screening.results")
        if total.shown and total.value:
            chosen = month
            break
    students = get(chosen, "students")
    rows = []
    for band in BAND_LEVELS:
        figure = get(chosen, f"screening.results.{band}")
        rows.append((band, str(BAND_LABELS[band]), figure, per_thousand(figure, students)))
    critical = get(chosen, "screening.results.critical")
    total = get(chosen, "screening.results")
    return {"month": chosen, "rows": rows, "critical": (critical, per_thousand(critical, students)),
            "total": (total, per_thousand(total, students))}


def _trends(get, months: list[date], levels: list[Level]) -> list[dict]:
    markers = seasons.markers(months)
    nodes = seasons.by_month(months)
    categories = [month_key(m) for m in months]
    trends = []
    for spec in trend_catalogue(levels):
        columns = [*spec["table_only"], *spec["series"]]
        table = [(month_key(m), ", ".join(nodes[m]), format_html_join("", "{}", ((get(m, s.measure).td,)
                                                                              for s in columns)))
                 for m in months]
        chart = {
            "kind": spec["kind"], "categories": categories,
            "series": [{"name": s.label, "colour": s.colour, "data": [get(m, s.measure).value for m in months],
                        **({"kind": s.kind} if s.kind else {})} for s in spec["series"]],
            "markers": [{"kind": mk.kind, "label": mk.label, "from": month_key(mk.first), "to": month_key(mk.last),
                         "drawn_as": mk.drawn_as} for mk in markers],
        }
        trends.append({"id": spec["id"], "spec_id": f"chart-{spec['id']}", "title": spec["title"], "chart": chart,
                       "headers": [s.label for s in columns], "rows": list(reversed(table))})
    return trends


def _child_rows(units_or_groups, figures: Figures, month: date, url: Callable) -> list[ChildRow]:
    headers = child_headers()
    rows = []
    for item in units_or_groups:
        def get(measure, ident=item.pk):
            return figures.get(ident, month, measure)
        students = get("students")
        cells: list = []
        by = {}
        for column in CHILD_COLUMNS:
            figure = get(column.measure)
            rate = None
            if column.rate == "per1000":
                rate = per_thousand(figure, students)
            elif column.rate == "percent":
                rate = percent(figure, students)
            cells += [figure] if column.figure else []
            cells += [rate] if rate is not None else []
            by[column.measure] = (figure, rate)
        rows.append(ChildRow(item.name, url(item), list(zip([card for _head, _kind, card in headers], cells,
                                                            strict=True)), by))
    return rows


def child_headers() -> list[tuple[str, str, str]]:
    """(column head, "figure" | "rate", the label of the cell in a phone's card row) for the child units' table."""
    headers = []
    for column in CHILD_COLUMNS:
        label = str(column.label)
        if column.figure:
            headers.append((label, "figure", label))
        if column.rate == "per1000":
            headers.append((_("per 1,000"), "rate", _("%(figure)s, per 1,000") % {"figure": label}))
        elif column.rate == "percent":
            headers.append((label if not column.figure else "%", "rate", label))
    return headers


KIND_LABELS = {"city": gettext_lazy("City"), "district": gettext_lazy("District/county"),
               "school": gettext_lazy("School"), "grade": gettext_lazy("Grade"), "class": gettext_lazy("Class"),
               "group": gettext_lazy("Service group (片区)")}
CHILD_TITLES = {"city": gettext_lazy("Districts"), "district": gettext_lazy("Schools"),
                "school": gettext_lazy("Grades"), "grade": gettext_lazy("Classes"), "group": gettext_lazy("Schools")}


def _trail(user, unit: OrgUnit) -> list[tuple[str, str]]:
    ids = [int(part) for part in unit.path.strip("/").split("/") if part][:-1]
    above = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    return [(above[i].name, reverse("analytics:dashboard_unit", args=[i])) for i in ids
            if i in above and above[i].kind in DASHBOARD_KINDS
            and scope.unit_permission(user, above[i], roles.DASHBOARD_VIEW)]


def _language() -> str:
    return translation.get_language() or "zh-hans"


def unit_page(user, unit: OrgUnit, *, today: date | None = None) -> Page:
    """The dashboard of a city, district, school, grade or class, as this user may see it."""
    month = running_month(today)
    months = months_back(month)
    levels = warning_levels(_language())
    exact = selectors.needs_to_know(user, unit)
    own = Figures("u", stored_figures([unit], months[0], month), exact)

    def get(m: date, measure: str) -> Figure:
        return own.get(unit.pk, m, measure)

    page = Page(title=unit.name, kind=unit.kind, subject_id=unit.pk, month=month, months=months, exact=exact,
                as_of=selectors.as_of(), legend=seasons.legend(), trail=_trail(user, unit))
    _fill(page, get, levels)
    page.campaigns = campaign_completion(user, [unit], month, "c", unit.pk)
    children = [c for c in selectors.children(unit) if c.kind in DASHBOARD_KINDS]
    if children:
        figures = Figures("u", stored_figures(children, month, month, CHILD_MEASURES), exact)
        page.child_title = str(CHILD_TITLES[unit.kind])
        page.children = _child_rows(children, figures, month,
                                    lambda c: reverse("analytics:dashboard_unit", args=[c.pk]))
    page.child_columns = child_headers()
    if unit.kind == "district":
        groups = selectors.service_groups(unit)
        if groups:
            sums = group_figures(unit, groups, [month], levels, exact)
            page.groups = _child_rows(groups, sums, month, lambda g: reverse("analytics:dashboard_group", args=[g.pk]))
        page.my_groups = [(g.name, reverse("analytics:dashboard_group", args=[g.pk])) for g in my_groups(user, unit)]
    page.actions = actions(user, unit, unit.kind, get, month, page)
    return page


def group_page(user, group: ServiceGroup, *, today: date | None = None) -> Page:
    """The dashboard of a district's service group (片区): the sums of its schools' figures, its schools below."""
    month = running_month(today)
    months = months_back(month)
    levels = warning_levels(_language())
    district = group.district
    exact = selectors.needs_to_know(user, district)
    sums = group_figures(district, selectors.service_groups(district), months, levels, exact)

    def get(m: date, measure: str) -> Figure:
        return sums.get(group.pk, m, measure)

    page = Page(title=group.name, kind="group", subject_id=group.pk, month=month, months=months, exact=exact,
                as_of=selectors.as_of(), legend=seasons.legend(),
                trail=[*_trail(user, district), (district.name, reverse("analytics:dashboard_unit", args=[district.pk]))])
    _fill(page, get, levels)
    schools = selectors.group_units(group)
    page.campaigns = campaign_completion(user, schools, month, "gc", group.pk) if schools else []
    if schools:
        figures = Figures("u", stored_figures(schools, month, month, CHILD_MEASURES), exact)
        page.child_title = str(CHILD_TITLES["group"])
        page.children = _child_rows(schools, figures, month,
                                    lambda c: reverse("analytics:dashboard_unit", args=[c.pk]))
    page.child_columns = child_headers()
    page.actions = actions(user, district, "group", get, month, page)
    return page


def _fill(page: Page, get, levels: list[Level]) -> None:
    page.sections = _cells(get, page.month)
    page.levels, page.level_totals = _levels(get, page.month, levels)
    page.bands = _bands(get, page.months)
    page.trends = _trends(get, page.months, levels)


# ---------------------------------------------------------------------------------- campaigns' completion

def campaign_completion(user, units: list[OrgUnit], month: date, prefix: str, ident: int) -> list[tuple]:
    """The screening campaigns of this school year at these units (one unit, or a group's schools summed):
    students asked and students who handed in, with the completion rate. Coverage figures are public (never
    suppressed, engineer D's CampaignFigure), so a group's sums need no protection."""
    rows = CampaignFigure.objects.filter(
        unit_id__in=[u.pk for u in units], instrument_code="", dimension="all", key="",
        measure__in=("targets", "done"), campaign__window_start__gte=facts.school_year_start(month),
    ).values_list("campaign_id", "campaign__name", "campaign__window_start", "campaign__window_end",
                  "campaign__owner__path", "measure", "value")
    campaigns: dict[int, dict] = {}
    for campaign_id, name, start, end, owner_path, measure, value in rows:
        entry = campaigns.setdefault(campaign_id, {"name": name, "window": (start, end), "owner": owner_path,
                                                   "targets": 0, "done": 0})
        entry[measure] += value
    single = units[0] if len(units) == 1 else None
    found = []
    for campaign_id, entry in sorted(campaigns.items(), key=lambda item: (item[1]["window"], item[0]), reverse=True):
        targets = Figure(f"{prefix}:{campaign_id}:{ident}::all::targets", entry["targets"])
        done = Figure(f"{prefix}:{campaign_id}:{ident}::all::done", entry["done"])
        url = ""  # the campaign's report for this unit, where it has one (screening_report.unit_or_404's rule)
        if single is not None and single.kind in ("city", "district", "school") \
                and single.path.startswith(entry["owner"]) \
                and scope.unit_permission(user, single, roles.SCREENING_REPORT):
            url = reverse("analytics:screening_report", args=[campaign_id, single.pk])
        found.append((entry["name"], entry["window"], url, targets, done, percent(done, targets)))
    return found


# ------------------------------------------------------------------------------------ service groups' sums

def group_figures(district: OrgUnit, groups: list[ServiceGroup], months: list[date], levels: list[Level],
                  exact: bool) -> Figures:
    """The service groups' figures: each the sum of its schools' stored figures, month by month — in the last
    (running) month every measure a dashboard shows, before it those the trends show. For a viewer without
    need-to-know, the sums to hide are decided over the whole district (suppress_sums), so this district's page
    and each group's page hide the same ones."""
    breakdowns = breakdown_lines()
    everything = shown_measures(levels, breakdowns)
    trended = trend_measures(levels, breakdowns)
    units = {g.pk: selectors.group_units(g) for g in groups}
    members = {group_id: [s.pk for s in schools] for group_id, schools in units.items()}
    school_ids = {s.pk for s in selectors.children(district) if s.kind == "school"}
    school_ids.update(s for schools in members.values() for s in schools)  # a closed member counts in past months
    group_of = {s: group_id for group_id, schools in members.items() for s in schools}
    # The stored rows as they are (a district of a few hundred schools over 24 months: the read API's full grid
    # of every unit, month and measure costs more than the sums themselves).
    last = months[-1]
    rows = UnitFigure.objects.filter(unit_id__in=[district.pk, *school_ids]).filter(
        Q(month=last, measure__in=everything) | Q(month__gte=months[0], month__lt=last, measure__in=trended))
    by_month: dict[date, list] = {month: [] for month in months}
    sums: dict = {}
    for unit_id, month, measure, value, suppressed in rows.values_list("unit_id", "month", "measure", "value",
                                                                       "suppressed"):
        by_month[month].append((unit_id, measure, value, suppressed))
        if unit_id in group_of:
            key = (group_of[unit_id], month, measure)
            sums[key] = sums.get(key, 0) + value
    hidden: set = set()
    if not exact:
        shape = (tuple(sorted(school_ids)), tuple(sorted((g, tuple(s)) for g, s in members.items())),
                 tuple(breakdowns_key(breakdowns)))
        for month in months:
            measures = tuple(everything if month == last else trended)
            rows = tuple(sorted(by_month[month]))
            own = tuple(sorted((k, v) for k, v in sums.items() if k[1] == month))
            hidden |= _hidden_sums(district.pk, month, rows, own, (*shape, measures))
    return Figures("g", {key: selectors.Figure(value) for key, value in sums.items()}, exact, frozenset(hidden))


def breakdowns_key(breakdowns: list[tuple[str, list[str]]]) -> list[tuple[str, tuple[str, ...]]]:
    return [(total, tuple(parts)) for total, parts in breakdowns]


@lru_cache(maxsize=1024)
def _hidden_sums(district_id: int, month: date, rows: tuple, sums: tuple, shape: tuple) -> frozenset:
    """suppress_sums() for one month, remembered by everything it depends on (the stored figures and flags of the
    district and its schools, the groups' sums, the groups' make-up, the measures): a group's page shows 24 months,
    each decided over the whole district, and those of past months rarely change. A changed figure is a new key."""
    school_ids, members, breakdowns, measures = shape
    lines, candidates = group_lines(district_id, school_ids, dict(members), measures,
                                    [(total, list(parts)) for total, parts in breakdowns])
    return frozenset(suppress_sums(district_id, list(rows), dict(sums), month, lines, candidates))


def group_lines(district_id: int, school_ids: Iterable[int], members: dict[int, list[int]], measures: Iterable[str],
                breakdowns: list[tuple[str, list[str]]]) -> tuple[list, set]:
    """The lines the groups' sums are protected over (the same every month), and the sums that may be hidden:
    each group against its schools, the district against its groups and the schools in no group (a district
    total minus the visible groups would otherwise give a hidden one back), and each group's breakdowns
    (warnings by level, results by band). Students and screening coverage are never hidden and stay out."""
    risky = [m for m in measures if m not in facts.NEVER_SUPPRESSED]
    grouped = {s for schools in members.values() for s in schools}
    alone = sorted(s for s in school_ids if s not in grouped)
    lines = []
    for measure in risky:
        for group_id, schools in members.items():
            lines.append([("g", group_id, measure), *[("s", s, measure) for s in schools]])
        lines.append([("d", district_id, measure), *[("g", g, measure) for g in members],
                      *[("s", s, measure) for s in alone]])
    for total, parts in breakdowns:
        if total in risky:
            for group_id in members:
                lines.append([("g", group_id, total), *[("g", group_id, part) for part in parts]])
    return lines, {("g", g, m) for g in members for m in risky}


def suppress_sums(district_id: int, rows: list, sums: dict, month: date, lines: list, candidates: set) -> set:
    """The group sums of one month to hide, given the district's and the schools' stored flags (`rows`: their
    stored figures of the month); only the groups' own sums may be newly hidden. A line that cannot be protected
    (none of its members may be hidden) hides every sum of the month."""
    values, given = {}, set()
    for unit_id, measure, value, suppressed in rows:
        key = ("d" if unit_id == district_id else "s", unit_id, measure)
        values[key] = value
        if suppressed:
            given.add(key)
    for kind, group_id, measure in candidates:
        values[(kind, group_id, measure)] = sums.get((group_id, month, measure), 0)
    try:
        # owner: a district's, a school's or a group's own figures (a care team knows its own unit exactly).
        chosen = suppress(values, lines, given=given, candidates=candidates, owner=lambda key: key[:2])
    except Unprotectable:
        chosen = frozenset(candidates)
    return {(ident, month, measure) for kind, ident, measure in chosen if kind == "g"}


# ------------------------------------------------------------------------------------------ what to act on

RANKED = 3  # child units named in a ranking


def _ranking(rows: list[ChildRow], measure: str, *, highest: bool) -> list:
    """The child units with the highest (or lowest) rate of a measure, among those whose rate this viewer sees
    (a hidden figure takes no place in a ranking: its place would say something about it)."""
    seen = [row for row in rows if row.by.get(measure) and row.by[measure][1] is not None
            and row.by[measure][1].value is not None]
    if highest:
        seen = [row for row in seen if row.by[measure][1].value > 0]
    else:
        seen = [row for row in seen if row.by[measure][1].value < 100]
    if len(seen) < 2:
        return []  # a ranking of one unit says nothing the table does not
    seen.sort(key=lambda row: (-row.by[measure][1].value if highest else row.by[measure][1].value, row.name))
    return [(row.name, row.url, *row.by[measure]) for row in seen[:RANKED]]


def _link(user, unit: OrgUnit, permission: str, name: str, query: str = "", args=()) -> str:
    if not scope.unit_permission(user, unit, permission):
        return ""
    return reverse(name, args=args) + query


def actions(user, unit: OrgUnit, kind: str, get, month: date, page: Page) -> list[Act]:
    """What this level acts on, with the page where one acts (when this person may open it): a class or grade its
    overdue warnings and follow-ups and the students not yet visited at home; a school the same and its grades'
    rates; a district, a service group or the city the child units with the highest rates of students with a
    warning and the lowest screening and home-visit coverage."""
    acts = []
    queue = _link(user, unit, roles.ALERT_QUEUE, "alerts:queue", "?overdue=1")
    overview = _link(user, unit, roles.ALERT_OVERVIEW, "alerts:overview", args=[unit.pk]) \
        if kind in ("city", "district", "school") else ""
    coverage = _link(user, unit, roles.VISIT_COVERAGE, "visits:coverage", f"?unit={unit.pk}")
    handlers = "" if queue else _("The schools' psychology teachers and the district centres act on these in "
                                  "their warning queues.")
    overdue = get(month, "warnings.overdue")
    if overdue.hidden or overdue.value:
        acts.append(Act(_("Warnings past their due time"), overdue, queue or overview,
                        _("Open the overdue warnings") if queue else _("Open the warning overview") if overview else "",
                        who=handlers))
    late = get(month, "followups.overdue")
    if late.hidden or late.value:
        follow_ups = _link(user, unit, roles.ALERT_QUEUE, "alerts:follow_ups", "?show=overdue")
        acts.append(Act(_("Follow-ups (回访) past due"), late, follow_ups,
                        _("Open the overdue follow-ups") if follow_ups else "", who=handlers))
    if kind in ("class", "grade", "school") and page.exact:
        visits = _link(user, unit, roles.VISIT_COVERAGE, "visits:class", args=[unit.pk]) if kind == "class" \
            else coverage
        for label, base, covered in [
            (_("Students not yet visited at home this school year"), "students", "visits.covered"),
            (_("Key students not yet visited at home this school year"), "visits.key_students", "visits.key_covered"),
        ]:
            whole, done = get(month, base), get(month, covered)
            if kind == "school" and base == "students":
                continue  # a school acts through its classes: the grades' and classes' pages say which
            if whole.value and whole.value > done.value:
                figure = Figure(f"d:{unit.pk}:{covered}.missing:{month_key(month)}", whole.value - done.value)
                acts.append(Act(label, figure, visits, _("Open the home-visit coverage") if visits else ""))
    if page.children:
        ranked = _ranking(page.children, "warnings.current", highest=True)
        if ranked:
            acts.append(Act(_("Highest rates of students with a warning, per 1,000 students"), url=overview,
                            link=_("Open the warning overview") if overview else "", ranked=ranked))
        if kind in ("city", "district", "group", "school"):
            ranked = _ranking(page.children, "screening.covered", highest=False)
            if ranked:
                acts.append(Act(_("Lowest screening coverage this school year"), ranked=ranked))
        ranked = _ranking(page.children, "visits.covered", highest=False)
        if ranked:
            acts.append(Act(_("Lowest home-visit coverage this school year"), url=coverage,
                            link=_("Open the home-visit coverage") if coverage else "", ranked=ranked))
    if kind in ("city", "district"):
        zoning = _link(user, unit, roles.RISK_ZONING, "analytics:zoning")
        if zoning:
            acts.append(Act(_("Where the districts stand: key warning areas, general warning areas and "
                              "low-incidence areas"), url=zoning, link=_("Open the district risk zoning")))
    return acts
