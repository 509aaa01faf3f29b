"""The yearly white paper (年度白皮书): what a bureau publishes about its students' mental health over one school
year, as Suzhou's monitoring centre does ("对学生心理健康状况开展年度监测并发布年度白皮书", seeds/000): screening
coverage, results by band, the months' trends, warnings and what became of them, and the staffing.

A publication, so every figure is the published one whoever asks: small counts and those that would give one
away are hidden (the stored flags; the year's sums are suppressed over the city and its districts at once by
zoning.city_sums), and only the city and its districts are named, never a school or a class. The same content
feeds the HTML preview and the PDF (pdf.py), so the two cannot differ.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from runxin.alerts.models import WarningLevel
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import RoleAssignment
from runxin.screening.models import Campaign

from . import facts, seasons, selectors, zoning
from .models import CampaignFigure
from .zoning import PageFigure as Figure

STOCKS = ("students", "screening.covered", "visits.covered", "visits.key_students", "visits.key_covered",
          "warnings.current")
TREND_MEASURES = ("screening.results", "warnings.new", "warnings.cleared", "referrals.new", "visits.home")
BAND_LEVELS = ("none", "moderate", "high", "critical")  # a campaign's results by level (level:<level>)
PSYCH_TEACHER = "psych_teacher"


def band_label(band: str) -> str:
    return {"none": _("No concern"), "moderate": _("Moderate"), "high": _("High"), "critical": _("Critical"),
            "unbanded": _("Not banded")}[band]


# ------------------------------------------------------------------------------------------------ values

@dataclass(frozen=True)
class Value:
    """One cell as published: its text, and the markup of the figure it shows (data-fig with data-value or
    data-hidden) or of the figure it is a rate of (data-rate-of)."""

    text: str
    fig: str = ""
    value: int | None = None
    hidden: str = ""
    rate_of: str = ""
    number: Decimal | None = None  # a rate's value (None when hidden), for the charts
    num: bool = True  # a number (right-aligned), not words


def count(figure: Figure) -> Value:
    shown = zoning.cell(figure, exact=False)
    return Value(shown.text, figure.key, shown.value, shown.hidden)


def plain(number: int) -> Value:
    """A figure that is not about students' risk (staffing): never hidden."""
    return Value(f"{number:,}")


def _ratio(numerator: int, denominator: int, scale: int, places: str) -> Decimal:
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def rate(part: Figure, whole: Figure | int, *, per: int = 100) -> Value:
    """part / whole as a percentage (per=100) or per 1,000 (per=1000); hidden when either figure is, and "—"
    without a whole."""
    whole_value = whole.value if isinstance(whole, Figure) else whole
    if part.hidden or (isinstance(whole, Figure) and whole.hidden) or whole_value <= 0:
        return Value("—", rate_of=part.key)
    number = _ratio(part.value, whole_value, per, "0.1" if per == 100 else "0.01")
    return Value(f"{number}%" if per == 100 else f"{number}", rate_of=part.key, number=number)


def mean(total: Figure, of: Figure) -> Value:
    """A mean (e.g. days from referral to the first visit): total / of, hidden when either is."""
    if total.hidden or of.hidden or of.value <= 0:
        return Value("—", rate_of=total.key)
    return Value(f"{_ratio(total.value, of.value, 1, '0.1')}", rate_of=total.key)


# ------------------------------------------------------------------------------------------------ layout

@dataclass
class Table:
    ident: str
    title: str
    columns: list[str]  # the first heads the row labels
    rows: list[tuple[str, list[Value]]]
    note: str = ""

    @property
    def lines(self) -> list[tuple[str, list[tuple[str, Value]]]]:
        """Each row's label and its cells with their column's name (the label of a card row on a phone)."""
        return [(label, list(zip(self.columns[1:], values, strict=True))) for label, values in self.rows]


@dataclass
class Chart:
    """Bars of figures a table beside it shows (the same values, or the same shares): None where hidden."""

    ident: str
    title: str
    labels: list[str]
    values: list[int | float | None]
    percent: bool = False

    @property
    def spec(self) -> dict:
        """The spec of the page's charts script (static/analytics/charts.js)."""
        return {"kind": "bar", "categories": self.labels, "percent": self.percent,
                "series": [{"name": self.title, "data": self.values, "colour": "teal"}],
                "option": {"legend": {"show": False}}}  # one series, named by the title above the chart


@dataclass
class Section:
    ident: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class WhitePaper:
    unit: OrgUnit
    year: SchoolYear
    months: list[date]
    title: str
    subtitle: str
    running: bool  # the school year is not over: its figures run to `as_of`
    as_of: object
    sections: list[Section]


# ------------------------------------------------------------------------------------------------- years

def school_years(today: date | None = None) -> list[SchoolYear]:
    """The school years a white paper can be made for: those that have begun, newest first."""
    today = today or timezone.localdate()
    return list(SchoolYear.objects.filter(starts_on__lte=today).order_by("-starts_on"))


def year_months(year: SchoolYear, latest: date) -> list[date]:
    """The months of the school year up to the latest month with figures."""
    last = min(facts.month_of(year.ends_on), facts.month_of(latest))
    return facts.months_between(year.starts_on, last)


def units_for(unit: OrgUnit) -> tuple[OrgUnit, list[OrgUnit], list[OrgUnit]]:
    """(the city, all its districts, the units the paper shows): a city's paper shows the city and its
    districts, a district's paper the district alone; the sums are always decided over the whole city."""
    city = unit if unit.kind == OrgUnit.Kind.CITY else unit.parent
    districts = selectors.children(city)
    shown = [city, *districts] if unit.kind == OrgUnit.Kind.CITY else [unit]
    return city, districts, shown


# ------------------------------------------------------------------------------------------------ staffing

def reference_day(year: SchoolYear, today: date | None = None) -> date:
    """The day the staffing is counted on: the school year's last day, or today while it runs."""
    today = today or timezone.localdate()
    return min(year.ends_on, today)


def psych_teachers(units: list[OrgUnit], day: date) -> dict[int, dict[str, int]]:
    """Per unit: its schools, the schools with at least one psychology teacher, and the psychology teachers
    (people, each once) whose role was in force on `day` at a school under the unit. An assignment ended by an
    administrator carries its end date; one switched off without a date counts no longer."""
    under = Q(*[Q(path__startswith=u.path) for u in units], _connector=Q.OR)
    schools = list(OrgUnit.objects.filter(under, kind=OrgUnit.Kind.SCHOOL, is_active=True).values_list("pk", "path"))
    assignments = list(
        RoleAssignment.objects.filter(role=PSYCH_TEACHER, org_unit_id__in=[pk for pk, _path in schools],
                                      created_at__date__lte=day)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=day))
        .filter(Q(ends_on__gte=day) | Q(ends_on__isnull=True, is_active=True))
        .values_list("user_id", "org_unit_id", "org_unit__path"))
    result = {}
    for unit in units:
        mine = [(user, school) for user, school, path in assignments if path.startswith(unit.path)]
        staffed = {school for _user, school in mine}
        result[unit.pk] = {
            "schools": sum(1 for _pk, path in schools if path.startswith(unit.path)),
            "staffed": len(staffed), "teachers": len({user for user, _school in mine}),
        }
    return result


# ------------------------------------------------------------------------------------------------ building

def _stocks(units: list[OrgUnit], month: date) -> dict[tuple[int, str], Figure]:
    """The stocks of the units at the end of `month` (students, coverage …) as stored."""
    found = selectors.units_month(units, month, list(STOCKS))
    return {(uid, measure): zoning.stored_figure(zoning.unit_key(uid, measure, month), figure)
            for uid, by_measure in found.items() for measure, figure in by_measure.items()}


def _levels(measures: tuple[str, ...]) -> list[tuple[str, str]]:
    """(measure, label) of the warning levels' new-warning measures (most severe first, as city_sums lists them)."""
    language = translation.get_language() or "zh-hans"
    by_code = {lv.code: lv for lv in WarningLevel.objects.all()}
    prefix = f"{zoning.WARNINGS}."
    return [(measure, by_code[measure.removeprefix(prefix)].label(language)) for measure in measures]


def _campaign_tables(unit: OrgUnit, year: SchoolYear) -> list[Table]:
    """Per universal screening run by the paper's unit or above in the school year, per instrument: results and
    the share in each band level, from the campaign's own figures for the unit."""
    owners = [unit.pk, *unit.ancestor_ids]
    campaigns = list(Campaign.objects.filter(kind=Campaign.Kind.UNIVERSAL, owner_id__in=owners,
                                             status__in=[Campaign.Status.OPEN, Campaign.Status.CLOSED],
                                             window_start__gte=year.starts_on, window_start__lte=year.ends_on)
                     .order_by("window_start", "pk"))
    if not campaigns:
        return []
    measures = ["results", *(f"level:{b}" for b in BAND_LEVELS), "targets", "done"]
    rows = CampaignFigure.objects.filter(campaign__in=campaigns, unit=unit, dimension="all", key="",
                                         measure__in=measures).values_list(
        "campaign_id", "instrument_code", "measure", "value", "suppressed")
    figures: dict[tuple[int, str, str], Figure] = {}
    for campaign_id, instrument, measure, value, suppressed in rows:
        key = f"c:{campaign_id}:{unit.pk}:{instrument}:all::{measure}"
        figures[(campaign_id, instrument, measure)] = Figure(key, value, zoning.hidden_kind(value) if suppressed
                                                             else "")
    table_rows = []
    for campaign in campaigns:
        targets = figures.get((campaign.pk, "", "targets"))
        done = figures.get((campaign.pk, "", "done"))
        instruments = sorted({i for c, i, _m in figures if c == campaign.pk and i})
        for instrument in instruments:
            results = figures.get((campaign.pk, instrument, "results"))
            if results is None:
                continue
            cells = [count(results)]
            for band in BAND_LEVELS:
                part = figures.get((campaign.pk, instrument, f"level:{band}"))
                cells.append(rate(part, results) if part else Value("—"))
            cells.append(rate(done, targets) if done and targets else Value("—"))
            table_rows.append((f"{campaign.name} · {instrument.upper()}", cells))
    if not table_rows:
        return []
    return [Table("campaigns", _("Universal screenings of the year, by instrument"),
                  [_("Screening · instrument"), _("Results"), *(band_label(b) for b in BAND_LEVELS),
                   _("Completion")], table_rows,
                  _("Shares of the instrument's results in each band; completion is the share of the students "
                    "asked who finished. Only screenings run for the whole city or district are listed."))]


def build(unit: OrgUnit, year: SchoolYear, *, latest: date, as_of=None, today: date | None = None) -> WhitePaper:
    """The white paper of a city or district for a school year, with the figures up to the `latest` month."""
    months = year_months(year, latest)
    if not months:
        raise ValueError("the school year has not begun")
    city, districts, shown = units_for(unit)
    sums = zoning.city_sums(city, districts, months)
    last = months[-1]
    stocks = _stocks(shown, last)
    ids = [u.pk for u in shown]
    names = {u.pk: u.name for u in shown}
    running = year.ends_on >= (today or timezone.localdate())

    def s(unit_id: int, measure: str) -> Figure:
        return sums.get(unit_id, measure)

    def st(unit_id: int, measure: str) -> Figure:
        return stocks[(unit_id, measure)]

    def students(unit_id: int) -> int:
        return st(unit_id, "students").value

    head = unit.pk
    sections = []

    # 1. Coverage
    coverage = Section("coverage", _("Coverage"))
    screened = st(head, "screening.covered")
    coverage.paragraphs.append(_(
        "In the %(year)s school year %(screened)s of %(students)s students finished at least one screening "
        "(%(share)s).") % {"year": year.code, "screened": count(screened).text, "students": f"{students(head):,}",
                           "share": rate(screened, students(head)).text})
    coverage.tables.append(Table("coverage", _("Screening and home-visit coverage"), [
        _("Unit"), _("Students"), _("Screened this school year"), _("Screening coverage"),
        _("Students visited at home"), _("Home-visit coverage"), _("Key students"), _("Key students visited")],
        [(names[u], [count(st(u, "students")), count(st(u, "screening.covered")),
                     rate(st(u, "screening.covered"), students(u)), count(st(u, "visits.covered")),
                     rate(st(u, "visits.covered"), students(u)), count(st(u, "visits.key_students")),
                     rate(st(u, "visits.key_covered"), st(u, "visits.key_students"))]) for u in ids],
        _("Students enrolled and covered at the end of %(month)s.") % {
            "month": date_format(last, "YEAR_MONTH_FORMAT")}))
    sections.append(coverage)

    # 2. Results by band
    bands = Section("bands", _("Screening results by band"))
    results = zoning.RESULTS
    band_codes = [m.removeprefix(f"{results}.") for m in facts.BANDS
                  if not m.endswith(".unbanded") or any(s(u, m).value for u in ids)]
    bands.tables.append(Table("bands", _("Results scored in the school year, by band"), [
        _("Unit"), _("Results"), *(band_label(b) for b in band_codes), _("Critical item positive"), _("Invalid")],
        [(names[u], [count(s(u, results)), *(rate(s(u, f"{results}.{b}"), s(u, results)) for b in band_codes),
                     count(s(u, f"{results}.critical")), count(s(u, f"{results}.invalid"))]) for u in ids],
        _("A student screened twice (two instruments, or two screenings) gives two results; the shares are of "
          "the results.")))
    bands.tables.extend(_campaign_tables(unit, year))
    shares = [rate(s(head, f"{results}.{b}"), s(head, results)) for b in band_codes]
    bands.charts.append(Chart("wp-chart-bands", _("%(unit)s: share of the results in each band") % {
        "unit": unit.name}, [band_label(b) for b in band_codes],
        [None if v.number is None else float(v.number) for v in shares], percent=True))
    sections.append(bands)

    # 3. Trends
    trends = Section("trends", _("Month by month"))
    monthly = selectors.unit_months(unit, months[0], months[-1])
    nodes = seasons.by_month(months)
    labels = {"screening.results": _("Results scored"), "warnings.new": _("New warnings"),
              "warnings.cleared": _("Warnings cleared"), "referrals.new": _("Referrals"),
              "visits.home": _("Home visits")}

    def month_figure(month: date, measure: str) -> Figure:
        return zoning.stored_figure(zoning.unit_key(head, measure, month), monthly[month][measure])

    trends.tables.append(Table("trends", _("%(unit)s by month") % {"unit": unit.name}, [
        _("Month"), *(labels[m] for m in TREND_MEASURES), _("Time nodes")],
        [(date_format(m, "YEAR_MONTH_FORMAT"), [*(count(month_figure(m, measure)) for measure in TREND_MEASURES),
                                                Value("、".join(nodes[m]), num=False)]) for m in months],
        _("Semester starts, exam seasons, long holidays and graduation are marked: risk moves with them.")))
    trends.charts.append(Chart("wp-chart-warnings", _("%(unit)s: new warnings by month") % {"unit": unit.name},
                               [f"{m:%Y-%m}" for m in months],
                               [None if month_figure(m, "warnings.new").hidden else month_figure(m, "warnings.new").value
                                for m in months]))
    sections.append(trends)

    # 4. Warnings and outcomes
    outcomes = Section("warnings", _("Warnings and what became of them"))
    levels = _levels(sums.level_measures)
    outcomes.tables.append(Table("warnings", _("New warnings in the school year"), [
        _("Unit"), _("New warnings"), _("Per 1,000 students"), *(label for _m, label in levels),
        _("Being handled at the end")],
        [(names[u], [count(s(u, zoning.WARNINGS)), rate(s(u, zoning.WARNINGS), students(u), per=1000),
                     *(count(s(u, measure)) for measure, _label in levels), count(st(u, "warnings.current"))])
         for u in ids],
        _("Warnings dismissed after assessment do not count. Being handled: students with a warning open at the "
          "end of %(month)s.") % {"month": date_format(last, "YEAR_MONTH_FORMAT")}))
    outcomes.tables.append(Table("outcomes", _("Outcomes in the school year"), [
        _("Unit"), _("Cleared"), _("Escalated"), _("Referrals"), _("First hospital visits"),
        _("Mean days to the first visit"), _("Follow-ups due"), _("Follow-ups done"), _("Home visits"),
        _("Incidents")],
        [(names[u], [count(s(u, "warnings.cleared")), count(s(u, "warnings.escalated")),
                     count(s(u, "referrals.new")), count(s(u, "referrals.first_visit")),
                     mean(s(u, "referrals.days_to_first_visit"), s(u, "referrals.first_visit")),
                     count(s(u, "followups.due")), count(s(u, "followups.done")), count(s(u, "visits.home")),
                     count(s(u, zoning.INCIDENTS))]) for u in ids],
        _("Incidents are the post-incident reviews (复盘) opened in the year.")))
    sections.append(outcomes)

    # 5. Staffing
    staffing = Section("staffing", _("Psychology teachers"))
    day = reference_day(year, today)
    staff = psych_teachers(shown, day)
    staffing.tables.append(Table("staffing", _("Psychology teachers in the schools"), [
        _("Unit"), _("Schools"), _("Schools with a psychology teacher"), _("Share of schools"),
        _("Psychology teachers"), _("Per 1,000 students")],
        [(names[u], [plain(staff[u]["schools"]), plain(staff[u]["staffed"]),
                     _plain_rate(staff[u]["staffed"], staff[u]["schools"], 100),
                     plain(staff[u]["teachers"]), _plain_rate(staff[u]["teachers"], students(u), 1000)])
         for u in ids],
        _("Counted on %(day)s from the platform's role assignments: people holding the psychology teacher role "
          "at a school, each counted once.") % {"day": day.isoformat()}))
    staffing.paragraphs.append(_(
        "Not recorded on the platform, so not reported here: whether a psychology teacher is full-time or "
        "part-time (专职/兼职), teachers' certificates and training hours, and the counseling rooms (心理辅导室) "
        "and whether they meet the standard. The number of full-time psychology teachers per 1,000 students "
        "therefore cannot be given; the figures here count every psychology teacher."))
    sections.append(staffing)

    # 6. About the figures
    about = Section("about", _("About these figures"))
    about.paragraphs += [
        _("The figures come from the platform's records: screenings, warnings, referrals, follow-ups, home visits "
          "and post-incident reviews. A student counts in the district where they are placed now; screening "
          "figures count where the student was placed when the screening opened."),
        _("From %(first)s to %(last)s.") % {"first": date_format(months[0], "YEAR_MONTH_FORMAT"),
                                            "last": date_format(last, "YEAR_MONTH_FORMAT")}
        + (" " + _("The school year is still running: its figures run to %(when)s.") % {
            "when": timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else
            timezone.localdate().isoformat()}
           if running else ""),
        _("No figure here identifies a student: only the city and its districts are named, never a school or a "
          "class. * stands for a withheld count: one from fewer than 5 students, or one that would let such a count "
          "be worked out; — for a share or rate of a withheld count."),
    ]
    sections.append(about)

    title = _("Students' mental health: yearly white paper")
    subtitle = _("%(unit)s · school year %(year)s") % {"unit": unit.name, "year": year.code}
    return WhitePaper(unit, year, months, title, subtitle, running, as_of, sections)


def _plain_rate(part: int, whole: int, per: int) -> Value:
    if whole <= 0:
        return Value("—")
    number = _ratio(part, whole, per, "0.1" if per == 100 else "0.01")
    return Value(f"{number}%" if per == 100 else f"{number}")
