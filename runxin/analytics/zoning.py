"""District risk zoning (分区警示): each district of a city is a key warning area (重点警示区域), a general warning
area (一般警示区) or a low-incidence area (少发不发区), the three zones in which Jiaxing's bureau sent its
districts the dynamic list of extreme-crisis events (分类管控动态提示单, seeds/003). Decided from the rates of new
warnings and of incidents per 1,000 students over a window of months, against the city's own rates; the
thresholds are the bureau's policy (settings RISK_ZONING_*), and `method` writes the rule out for the page.

Also the sums over a window of months that this page and the white paper show (`window_totals`): a sum of stored
monthly figures is a new figure, so it is suppressed here, on the page, with the same algorithm the refresh uses
(core/suppression.py): small sums and sums that would give a hidden month back stay hidden.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from runxin.alerts.models import WarningLevel
from runxin.org.models import OrgUnit

from . import facts, selectors
from .core.suppression import SMALL, Unprotectable, suppress

STUDENTS = "students"
WARNINGS = "warnings.new"
INCIDENTS = "incidents.new"

KEY, GENERAL, FEW, UNCLASSIFIED = "key", "general", "few", "unclassified"
ZONES = (KEY, GENERAL, FEW, UNCLASSIFIED)
ZONE_LABELS = {
    KEY: gettext_lazy("Key warning area (重点警示区域)"),
    GENERAL: gettext_lazy("General warning area (一般警示区)"),
    FEW: gettext_lazy("Low-incidence area (少发不发区)"),
    UNCLASSIFIED: gettext_lazy("Too few students to classify"),
}

PRIMARY, COMPLEMENTARY = "primary", "complementary"


# ------------------------------------------------------------------------------------------------ months

def shift_month(month: date, by: int) -> date:
    """The first day of the month `by` months after (or before) `month`."""
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def latest_month() -> date:
    """The running month of the figures: the month they were brought up to date in (today before any pass)."""
    as_of = selectors.as_of()
    return facts.month_of(timezone.localtime(as_of).date() if as_of else timezone.localdate())


# ----------------------------------------------------------------------------------------------- figures

@dataclass(frozen=True)
class PageFigure:
    """One figure a page shows: its data-fig key, its value and whether it is hidden from viewers outside
    need-to-know ("primary": 1–4; "complementary": hidden so that no total minus the visible parts gives a hidden
    one back; "": shown)."""

    key: str
    value: int
    hidden: str = ""


@dataclass(frozen=True)
class Cell:
    """A figure as one viewer sees it: `value` None when hidden from them, `text` what the cell shows."""

    key: str
    value: int | None
    hidden: str
    text: str


def hidden_kind(value: int) -> str:
    return PRIMARY if 0 < value < SMALL else COMPLEMENTARY


def stored_figure(key: str, figure: int) -> PageFigure:
    """A figure of the read API (selectors.Figure: an int that knows whether it is suppressed) with its page key."""
    return PageFigure(key, int(figure), getattr(figure, "hidden", ""))


def unit_key(unit_id: int, measure: str, month: date) -> str:
    """The data-fig key of a stored UnitFigure (the contract's markup)."""
    return f"u:{unit_id}:{measure}:{month:%Y-%m}"


def sum_key(unit_id: int, measure: str, first: date, last: date) -> str:
    """The data-fig key of a sum over the months from `first` to `last` (a figure made on the page)."""
    return f"sum:{unit_id}:{measure}:{first:%Y-%m}:{last:%Y-%m}"


def cell(figure: PageFigure, *, exact: bool) -> Cell:
    """What a viewer sees of a figure: exact with need-to-know of its students, else "*" when hidden."""
    if exact or not figure.hidden:
        return Cell(figure.key, figure.value, "", f"{figure.value:,}")
    return Cell(figure.key, None, "1", "*")  # one mark for every hidden figure


def per_thousand(value: int, students: int) -> Decimal | None:
    """value × 1000 / students, to two decimals (None without students)."""
    if students <= 0:
        return None
    return (Decimal(value) * 1000 / Decimal(students)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def window_totals(figures: dict[int, dict[date, dict[str, int]]], *, unit_ids: Sequence[int],
                  months: Sequence[date], measures: Sequence[str], total_of: int | None = None,
                  breakdowns: Sequence[tuple[str, Sequence[str]]] = ()) -> dict[tuple[int, str], PageFigure]:
    """The sum of each unit's monthly figures over `months` (as the read API gives them), per measure, with its
    suppression decided here: the lines are each sum and its months (the months' stored hidden flags given), the
    sum of `total_of` (the parent unit, itself in `unit_ids`) and those of the other units, and each breakdown (a
    total measure and its parts, e.g. new warnings and new warnings per level). Only sums over a hidden month may
    be newly hidden, so what the stored figures hide stays hidden and no sum gives a hidden month back."""
    if not months:
        raise ValueError("a window has at least one month")
    first, last = months[0], months[-1]
    values: dict[tuple, int] = {}
    given: set[tuple] = set()
    for unit, by_month in figures.items():
        for month, by_measure in by_month.items():
            for measure, figure in by_measure.items():
                key = (unit, f"{month:%Y-%m}", measure)
                values[key] = int(figure)
                if getattr(figure, "suppressed", False):
                    given.add(key)
    lines: list[list[tuple]] = []
    sums: set[tuple] = set()
    # A sum of visible months is known to anyone who adds them up: hiding it would protect nothing, so only a
    # sum over a hidden month may be hidden here (and must be, when it would give that month back).
    candidates: set[tuple] = set()
    for unit in unit_ids:
        for measure in measures:
            total = (unit, "sum", measure)
            parts = [(unit, f"{month:%Y-%m}", measure) for month in months]
            values[total] = sum(values.get(part, 0) for part in parts)
            sums.add(total)
            if any(part in given for part in parts):
                candidates.add(total)
            lines.append([total, *parts])
        for measure, parts in breakdowns:
            lines.append([(unit, "sum", measure), *((unit, "sum", part) for part in parts)])
    if total_of is not None:
        children = [unit for unit in unit_ids if unit != total_of]
        for measure in measures:
            lines.append([(total_of, "sum", measure), *((unit, "sum", measure) for unit in children)])
    try:
        # owner: a district centre knows its own district exactly and must not read a neighbour's from the city's.
        hidden = suppress(values, lines, given=given, candidates=candidates, owner=lambda key: key[0])
    except Unprotectable:
        # Stored flags that do not protect their own lines (figures not yet suppressed by the refresh): hide every
        # sum over a hidden month rather than show one that gives a month away.
        hidden = frozenset(candidates)
    return {(unit, measure): PageFigure(sum_key(unit, measure, first, last), values[(unit, "sum", measure)],
                                    hidden_kind(values[(unit, "sum", measure)]) if (unit, "sum", measure) in hidden
                                    else "")
            for unit, _sum, measure in sums}


# The flows that pages add up over a window of months; their breakdowns (new warnings by level, results by band)
# are facts.breakdowns'.
SUMMED = (WARNINGS, INCIDENTS, "warnings.cleared", "warnings.escalated", "referrals.new", "referrals.first_visit",
          "referrals.days_to_first_visit", "followups.due", "followups.done", "visits.home", "screening.results",
          "screening.results.critical", "screening.results.invalid")
RESULTS = "screening.results"


@dataclass(frozen=True)
class Sums:
    """The sums of one window over a city and its districts: figures by (unit id, measure), and the warning
    levels' measures (warnings.new.<code>, most severe first)."""

    figures: dict[tuple[int, str], PageFigure]
    level_measures: tuple[str, ...]

    def get(self, unit_id: int, measure: str) -> PageFigure:
        return self.figures[(unit_id, measure)]


def city_sums(city: OrgUnit, districts: Sequence[OrgUnit], months: Sequence[date]) -> Sums:
    """Every summed flow of the city and its districts over `months`, suppressed over all of them at once: the
    zoning page and the white paper ask for different measures of the same window, and must hide the same sums
    (a sum shown on one page and hidden on another would give a hidden figure back by subtraction)."""
    levels = list(WarningLevel.objects.order_by("-severity").values_list("code", flat=True))
    parts = facts.breakdowns(levels)
    breakdowns = [(WARNINGS, parts[WARNINGS]), (RESULTS, parts[RESULTS])]
    measures = list(dict.fromkeys([*SUMMED, *(m for _total, members in breakdowns for m in members)]))
    units = [city, *districts]
    figures = selectors.units_months(units, months[0], months[-1], measures)
    return Sums(window_totals(figures, unit_ids=[u.pk for u in units], months=months, measures=measures,
                              total_of=city.pk, breakdowns=breakdowns), tuple(parts[WARNINGS]))


# ------------------------------------------------------------------------------------------------ policy

@dataclass(frozen=True)
class Policy:
    """The bureau's zoning policy (settings RISK_ZONING_*)."""

    window_months: int
    min_students: int
    key_percent: int
    few_percent: int


def policy() -> Policy:
    return Policy(settings.RISK_ZONING_WINDOW_MONTHS, settings.RISK_ZONING_MIN_STUDENTS,
                  settings.RISK_ZONING_KEY_PERCENT, settings.RISK_ZONING_FEW_PERCENT)


@dataclass(frozen=True)
class Counts:
    """A district's (or the city's) exact counts over the window."""

    students: int
    warnings: int
    incidents: int


def _at_least(part: int, part_students: int, whole: int, whole_students: int, percent: int) -> bool:
    """part/part_students ≥ percent % of whole/whole_students, in integers (no rounding at the boundary)."""
    return part * whole_students * 100 >= percent * whole * part_students


def _at_most(part: int, part_students: int, whole: int, whole_students: int, percent: int) -> bool:
    return part * whole_students * 100 <= percent * whole * part_students


def classify(district: Counts, city: Counts, rule: Policy) -> str:
    """The zone of a district, from exact counts:
    - fewer than `min_students` students: not classified (a rate over so few moves with one student);
    - the warning rate or the incident rate at least `key_percent` % of the city's (and not zero): key;
    - both rates at most `few_percent` % of the city's (zero included): low incidence;
    - otherwise: general."""
    if district.students < rule.min_students:
        return UNCLASSIFIED
    pairs = ((district.warnings, city.warnings), (district.incidents, city.incidents))
    if any(mine > 0 and _at_least(mine, district.students, whole, city.students, rule.key_percent)
           for mine, whole in pairs):
        return KEY
    if all(_at_most(mine, district.students, whole, city.students, rule.few_percent) for mine, whole in pairs):
        return FEW
    return GENERAL


def method(rule: Policy, first: date, last: date) -> list[str]:
    """The rule in words, for the page (and whoever reads the list the bureau sends out)."""
    window = {"months": rule.window_months, "first": date_format(first, "YEAR_MONTH_FORMAT"),
              "last": date_format(last, "YEAR_MONTH_FORMAT")}
    return [
        _("Window: the %(months)s calendar months from %(first)s to %(last)s; the running month counts up to the "
          "time the figures were brought up to date.") % window,
        _("For every district and for the whole city: the new warnings raised in the window (warnings dismissed "
          "after assessment do not count) and the incidents recorded in the window (post-incident reviews, 复盘), "
          "each per 1,000 students enrolled at the end of the window. A student counts in the district where they "
          "are placed now."),
        _("Key warning area (重点警示区域): the warning rate or the incident rate is at least %(key)s%% of the "
          "city's rate (a district with none of them is never one).") % {"key": rule.key_percent},
        _("Low-incidence area (少发不发区): the warning rate and the incident rate are both at most %(few)s%% of "
          "the city's rates; a district without any warning or incident is one.") % {"few": rule.few_percent},
        _("General warning area (一般警示区): every other district."),
        _("A district with fewer than %(students)s students is not classified: over so few students one case "
          "moves the rate too far.") % {"students": f"{rule.min_students:,}"},
        _("The zone is decided on the exact counts. Counts from 1 to 4, and counts that would let someone work "
          "them out from a total, are shown as * to viewers outside the students' care team, and so are "
          "their rates; the zone is shown to everyone who may read this page, because it is a band against the "
          "city's rate, not a count."),
        _("The thresholds are the bureau's policy (settings RISK_ZONING_WINDOW_MONTHS, RISK_ZONING_MIN_STUDENTS, "
          "RISK_ZONING_KEY_PERCENT, RISK_ZONING_FEW_PERCENT)."),
    ]


# ------------------------------------------------------------------------------------------------ zoning

@dataclass(frozen=True)
class Row:
    """One district (or the city) over the window: exact students, the two sums as figures, the rates from the
    exact counts, and the zone (empty for the city)."""

    unit: OrgUnit
    students: int
    warnings: PageFigure
    incidents: PageFigure
    zone: str

    @property
    def counts(self) -> Counts:
        return Counts(self.students, self.warnings.value, self.incidents.value)

    @property
    def warning_rate(self) -> Decimal | None:
        return per_thousand(self.warnings.value, self.students)

    @property
    def incident_rate(self) -> Decimal | None:
        return per_thousand(self.incidents.value, self.students)


@dataclass(frozen=True)
class Zoning:
    city: Row
    districts: list[Row]
    first: date
    last: date
    rule: Policy

    def count(self, zone: str) -> int:
        return sum(1 for row in self.districts if row.zone == zone)


def zoning(city: OrgUnit, last: date, rule: Policy | None = None) -> Zoning:
    """The zoning of the city's districts over the window that ends with the month of `last`."""
    rule = rule or policy()
    last = facts.month_of(last)
    months = facts.months_between(shift_month(last, 1 - rule.window_months), last)
    districts = selectors.children(city)  # by code, then name: the tiles are laid out in this order
    sums = city_sums(city, districts, months)
    students = {uid: int(by_measure[STUDENTS])
                for uid, by_measure in selectors.units_month([city, *districts], last, [STUDENTS]).items()}

    def row(unit: OrgUnit) -> Row:
        return Row(unit, students.get(unit.pk, 0), sums.get(unit.pk, WARNINGS), sums.get(unit.pk, INCIDENTS), "")

    city_row = row(city)
    rows = [replace(r, zone=classify(r.counts, city_row.counts, rule)) for r in map(row, districts)]
    return Zoning(city_row, rows, months[0], months[-1], rule)
