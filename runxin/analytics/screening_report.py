"""The screening report (心理普测测评报告) of one campaign for a school, district or city, as Changzhou's city
screening report (常教办〔2021〕90号, item 8–9): coverage and completion, the distribution over bands per
instrument overall and by grade, sex and special-attention group, the comparison with the previous campaign and
with the same season last year, invalid responses, the dimensions most often positive, and the key students the
schools must act on (重点学生定向干预).

Every figure is a stored CampaignFigure (campaign_figures.py); nothing is added up here. A viewer with
need-to-know of the unit's students (their risk level there) sees exact figures; anyone else sees the figures
suppressed once for everybody, each shown as "*". The key students are named only to viewers who may see those
students' risk level at their school; the page, the PDF and the Excel are built from the one Report below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from runxin.access import roles, scope
from runxin.alerts import states as warning_states
from runxin.alerts.models import STATE_LABELS, Warning, WarningReport
from runxin.org.grades import grade_name
from runxin.org.models import OrgUnit
from runxin.people.models import SpecialGroup, Student
from runxin.screening import i18n
from runxin.screening.core.definition import text_in
from runxin.screening.models import Campaign, CampaignTarget, Result, ScreeningFlag
from runxin.screening.selectors import campaigns_visible
from runxin.screening.services import definition_of

from . import campaign_figures as cf
from .models import CampaignFigure, RefreshState
from .selectors import needs_to_know

REPORT_KINDS = (OrgUnit.Kind.SCHOOL, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.CITY)
# The same season last year: a campaign of the same owner and kind that opened within this many days of the day
# one year before this one opened (the closest one).
SEASON_DAYS = 42

# ------------------------------------------------------------------------------------------ who may open what


def campaign_or_404(user, campaign_id: int) -> Campaign:
    """A campaign run within the user's reach for screening reports, or above it (a city's screening seen by a
    school for its own students); 404 otherwise, whether or not it exists."""
    campaign = (campaigns_visible(user, roles.SCREENING_REPORT).filter(pk__in=cf.reportable_campaigns().values("pk"))
                .select_related("owner").filter(pk=campaign_id).first())
    if campaign is None:
        raise Http404("No such screening report")
    return campaign


def unit_or_404(user, campaign: Campaign, unit_id: int) -> OrgUnit:
    """The school, district or city of the report: within the user's reach for screening reports and within the
    campaign (the campaign's own unit or one under it). 404 for anything else (a class, another district …)."""
    unit = scope.unit_or_404(user, unit_id, roles.SCREENING_REPORT)
    if unit.kind not in REPORT_KINDS or not unit.is_within(campaign.owner):
        raise Http404("No such screening report")
    return unit


def report_units(user, campaign: Campaign) -> list[OrgUnit]:
    """The units whose report of this campaign the user opens first: the campaign's own unit when it lies in
    the user's reach, else the user's own schools, districts or city under it."""
    out: list[OrgUnit] = []
    for root in scope.root_units(user, roles.SCREENING_REPORT):
        if campaign.owner.is_within(root):
            unit = campaign.owner
        elif root.is_within(campaign.owner):
            unit = root
        else:
            continue
        if unit.kind in REPORT_KINDS and unit not in out:
            out.append(unit)
    return out


def report_list(user, *, limit: int = 100) -> list[tuple[Campaign, list[OrgUnit]]]:
    """The campaigns with a report for the user, newest first, each with the units to open."""
    campaigns = (campaigns_visible(user, roles.SCREENING_REPORT).filter(pk__in=cf.reportable_campaigns().values("pk"))
                 .select_related("owner").order_by("-window_start", "-pk")[:limit])
    out = []
    for campaign in campaigns:
        units = report_units(user, campaign)
        if units:
            out.append((campaign, units))
    return out


# ---------------------------------------------------------------------------------------------- cells


@dataclass
class Cell:
    """One cell of a report table. A figure carries its CampaignFigure key (`fig`, data-fig on the page) and
    either its value or why it is hidden; a rate names the figure it is a rate of."""

    text: str
    fig: str = ""
    value: int | None = None
    hidden: str = ""  # "primary" (1–4) or "complementary"
    rate_of: str = ""
    num: bool = False
    link: str = ""
    tag: str = ""  # the colour of a band level's tag (ok, yellow, orange, red)

    @property
    def shown(self) -> bool:
        return not self.hidden


LEVEL_TAGS = {"none": "ok", "moderate": "yellow", "high": "orange", "critical": "red"}


def label_cell(text: str, *, link: str = "", level: str = "") -> Cell:
    return Cell(str(text), link=link, tag=LEVEL_TAGS.get(level, ""))


def _fig_key(campaign_id: int, unit_id: int, instrument: str, dimension: str, key: str, measure: str) -> str:
    return f"c:{campaign_id}:{unit_id}:{instrument}:{dimension}:{key}:{measure}"


class Figures:
    """The stored figures of one campaign for some units, read once, as cells for one viewer."""

    def __init__(self, campaign_id: int, units: list[int], *, exact: bool, children: list[int] = ()) -> None:
        self.campaign_id = campaign_id
        self.exact = exact
        condition = Q(unit_id__in=units)
        if children:
            condition |= Q(unit_id__in=children, dimension=cf.ALL)
        self.data: dict[tuple, tuple[int, bool]] = {
            row[:5]: (row[5], row[6]) for row in CampaignFigure.objects.filter(condition, campaign_id=campaign_id)
            .values_list("unit_id", "instrument_code", "dimension", "key", "measure", "value", "suppressed")}

    def cell(self, unit_id: int, instrument: str, dimension: str, key: str, measure: str) -> Cell:
        value, suppressed = self.data.get((unit_id, instrument, dimension, key, measure), (0, False))
        fig = _fig_key(self.campaign_id, unit_id, instrument, dimension, key, measure)
        if suppressed and not self.exact:
            # One mark for every hidden figure (a "<5" apart from the others would narrow both).
            return Cell("*", fig=fig, hidden="1", num=True)
        return Cell(f"{value:,}", fig=fig, value=value, num=True)

    def value(self, unit_id: int, instrument: str, dimension: str, key: str, measure: str) -> int | None:
        """The figure as this viewer may see it (None when hidden)."""
        return self.cell(unit_id, instrument, dimension, key, measure).value

    def keys(self, unit_id: int, dimension: str) -> list[str]:
        """The keys of a dimension the unit's targets have (grades, sexes, groups)."""
        return sorted({k[3] for k in self.data if k[0] == unit_id and k[1] == cf.CAMPAIGN and k[2] == dimension
                       and k[4] == "targets"})

    def has(self, unit_id: int) -> bool:
        return (unit_id, cf.CAMPAIGN, cf.ALL, "", "targets") in self.data

    def measures(self, unit_id: int, instrument: str, prefix: str) -> list[str]:
        """Measures stored for the unit (any dimension) that start with `prefix` (e.g. the invalid reasons)."""
        return sorted({k[4] for k in self.data if k[0] == unit_id and k[1] == instrument and k[4].startswith(prefix)})


def rate(part: Cell, whole: Cell) -> Cell:
    """part / whole as a percentage, shown only when both figures are shown."""
    if part.hidden or whole.hidden:
        return Cell("—", rate_of=part.fig, num=True)
    if not whole.value:
        return Cell("—", rate_of=part.fig, num=True)
    return Cell(f"{100 * (part.value or 0) / whole.value:.1f}%", rate_of=part.fig, num=True)


def _percent(part: Cell, whole: Cell) -> float | None:
    """For the charts: the percentage, or None (a gap, never a zero) when either figure is hidden."""
    if part.hidden or whole.hidden or not whole.value:
        return None
    return round(100 * (part.value or 0) / whole.value, 1)


@dataclass
class Table:
    id: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    note: str = ""
    chart: dict | None = None

    @property
    def chart_id(self) -> str:
        return f"{self.id}-chart"

    @property
    def labelled_rows(self) -> list[list[tuple[str, Cell]]]:
        """Each row's cells with their column's name (a phone shows it before the value)."""
        return [list(zip(self.header, row, strict=False)) for row in self.rows]


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ labels

LEVEL_COLOURS = {"none": "none", "moderate": "moderate", "high": "high", "critical": "critical"}


def level_label(level: str) -> str:
    return {"none": pgettext("band level", "No concern"), "moderate": pgettext("band level", "Moderate"),
            "high": pgettext("band level", "High"), "critical": pgettext("band level", "Critical")}.get(level, level)


def reason_label(kind: str) -> str:
    return {
        "too_fast": _("Answered too fast"), "too_many_missing": _("Too many questions left blank"),
        "identical_answers": _("The same answer everywhere"),
        "validity_check": _("A validity check held (e.g. the lie scale)"),
        "empty_scale": _("A whole scale left blank"), "critical_unanswered": _("A critical question left blank"),
    }.get(kind, kind)


@dataclass
class InstrumentLabels:
    code: str
    title: str
    bands: dict[str, tuple[str, str]]  # code → (label, level)
    positives: dict[str, str]
    shape: cf.InstrumentShape


def instrument_labels(campaign: Campaign, language: str) -> list[InstrumentLabels]:
    """The campaign's instruments in order, with their band and positive-dimension labels."""
    shapes = cf.instrument_shapes(campaign)
    out: dict[str, InstrumentLabels] = {}
    for ci in campaign.instruments.select_related("version__instrument").order_by("position"):
        definition = definition_of(ci.version)
        labels = out.setdefault(definition.code, InstrumentLabels(
            definition.code, text_in(definition.title, language) or definition.code, {}, {},
            shapes[definition.code]))
        total = definition.scale(definition.total_scale) if definition.total_scale else None
        for band in (total.bands if total else ()):
            labels.bands.setdefault(band.code, (text_in(band.label, language), band.level))
        for outcome in definition.outcomes:
            labels.bands.setdefault(outcome.code, (text_in(outcome.label, language), outcome.level))
        for scale in definition.scales:
            labels.positives.setdefault(scale.id, text_in(scale.label, language))
        items = {item.id: item for item in definition.items}
        for critical in definition.critical_items:
            item = items.get(critical.item)
            text = text_in(item.text, language) if item else critical.item
            labels.positives.setdefault(critical.item, f"{item.label if item else critical.item}. {text}")
    return list(out.values())


def _dimension_labels(dimension: str, keys: list[str], language: str) -> list[tuple[str, str]]:
    if dimension == cf.GRADE:
        ordered = sorted(keys, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0))
        return [(k, grade_name(int(k)) if k.isdigit() else "—") for k in ordered]
    if dimension == cf.SEX:
        names = dict(Student.Sex.choices)
        return [(k, str(names.get(k, k or "—"))) for k in sorted(keys, key=lambda k: "MF".find(k) % 3)]
    names = {g.code: (g.sort_order, g.label(language)) for g in SpecialGroup.objects.filter(code__in=keys)}
    return [(k, names[k][1] if k in names else k) for k in sorted(keys, key=lambda k: (names.get(k, (999,))[0], k))]


# ------------------------------------------------------------------------------------------------ report


@dataclass
class KeyStudentRow:
    student: Student
    school_class: OrgUnit | None
    reasons: list[str]
    warning: Warning | None
    warning_from_screening: bool
    waiting_hand_over: bool
    warning_link: str = ""

    @property
    def level_name(self) -> str:
        return self.warning.level.label(_lang()) if self.warning else ""

    @property
    def status(self) -> str:
        if self.warning is not None:
            return str(STATE_LABELS.get(self.warning.state, self.warning.state))
        if self.waiting_hand_over:
            return _("Being handed to the warnings")
        return _("No warning raised")


@dataclass
class KeyStudents:
    school: OrgUnit
    rows: list[KeyStudentRow]
    details: bool  # the viewer may see the screening results (bands, critical items)


@dataclass
class Comparison:
    campaign: Campaign | None
    rule: str


@dataclass
class Report:
    campaign: Campaign
    unit: OrgUnit
    exact: bool
    as_of: datetime | None
    sections: list[Section]
    previous: Comparison
    last_year: Comparison
    key_students: list[KeyStudents]
    key_counts_only: bool
    computed: bool
    instruments: list[InstrumentLabels]
    parent_link: str = ""

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]


def _children(campaign: Campaign, unit: OrgUnit) -> list[OrgUnit]:
    """The units one level down that had targets: a city's districts, a district's schools, a school's classes."""
    if unit.kind == OrgUnit.Kind.SCHOOL:
        qs = OrgUnit.objects.filter(school_id=unit.pk, kind=OrgUnit.Kind.CLASS)
        order = ["grade_level", "class_number", "name", "pk"]
    else:
        qs = OrgUnit.objects.filter(parent_id=unit.pk,
                                    kind=OrgUnit.Kind.DISTRICT if unit.kind == OrgUnit.Kind.CITY else OrgUnit.Kind.SCHOOL)
        order = ["code", "name", "pk"]
    with_targets = CampaignFigure.objects.filter(campaign=campaign, instrument_code=cf.CAMPAIGN, dimension=cf.ALL,
                                                 measure="targets").values("unit_id")
    return list(qs.filter(pk__in=with_targets).order_by(*order))


def as_of(campaign: Campaign) -> datetime | None:
    """The figures include every answer and refusal before this moment (None: not computed yet)."""
    state = RefreshState.objects.filter(name=cf.state_name(campaign.pk)).first()
    return state.started_at if state and state.finished_at else None


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The latest campaign of the same unit and kind that opened before this one."""
    return (cf.reportable_campaigns().filter(owner_id=campaign.owner_id, kind=campaign.kind,
                                 window_start__lt=campaign.window_start)
            .order_by("-window_start", "-pk").first())


def same_season_last_year(campaign: Campaign) -> Campaign | None:
    """The campaign of the same unit and kind that opened closest to one year before this one, within
    SEASON_DAYS of that day."""
    start = campaign.window_start
    try:
        year_before = start.replace(year=start.year - 1)
    except ValueError:  # 29 February
        year_before = start.replace(year=start.year - 1, day=28)
    candidates = cf.reportable_campaigns().filter(
        owner_id=campaign.owner_id, kind=campaign.kind, window_start__gte=year_before - timedelta(days=SEASON_DAYS),
        window_start__lte=year_before + timedelta(days=SEASON_DAYS)).exclude(pk=campaign.pk)
    return min(candidates, key=lambda c: (abs((c.window_start - year_before).days), -c.pk), default=None)


def build(user, campaign: Campaign, unit: OrgUnit, *, language: str, names: bool = True) -> Report:
    """The report of `campaign` for `unit` as `user` may see it (the unit and campaign come from
    unit_or_404/campaign_or_404). `names`: whether to read the named key students (a page with the list
    records the read: the caller does)."""
    exact = needs_to_know(user, unit)
    children = _children(campaign, unit)
    figures = Figures(campaign.pk, [unit.pk], exact=exact, children=[c.pk for c in children])
    instruments = instrument_labels(campaign, language)
    computed = figures.has(unit.pk)
    links = _child_links(user, campaign, unit, children)
    sections = []
    if computed:
        sections.append(_coverage(figures, unit, children, links, language))
        for labels in instruments:
            sections.append(_distribution(figures, unit, children, labels, language, links))
    previous, last_year = previous_campaign(campaign), same_season_last_year(campaign)
    comparison = Comparison(previous, _("The latest earlier campaign run by %(owner)s of the same kind.")
                            % {"owner": campaign.owner.name})
    season = Comparison(last_year, _("The campaign run by %(owner)s of the same kind that opened closest to the "
                                     "same day one year earlier (within %(days)s days).")
                        % {"owner": campaign.owner.name, "days": SEASON_DAYS})
    if computed:
        sections.append(_comparison(unit, figures, instruments, comparison, season, exact))
        sections.append(_invalid(figures, unit, instruments))
        sections.append(_positives(figures, unit, instruments))
        sections.append(_key_counts(figures, unit, children, links))
    key_students = key_students_of(user, campaign, unit) if names and computed else []
    parent = unit.parent if unit.parent_id else None
    parent_link = ""
    if parent is not None and parent.kind in REPORT_KINDS and unit.pk != campaign.owner_id \
            and scope.unit_permission(user, parent, roles.SCREENING_REPORT):
        parent_link = reverse("analytics:screening_report", args=[campaign.pk, parent.pk])
    return Report(campaign, unit, exact, as_of(campaign), sections, comparison, season, key_students,
                  key_counts_only=not key_students, computed=computed, instruments=instruments,
                  parent_link=parent_link)


def _child_links(user, campaign: Campaign, unit: OrgUnit, children: list[OrgUnit]) -> dict[int, str]:
    """Links to the children's own reports (districts and schools the user may open)."""
    if unit.kind == OrgUnit.Kind.SCHOOL:
        return {}
    reachable = set(scope.units(user, roles.SCREENING_REPORT).filter(pk__in=[c.pk for c in children])
                    .values_list("pk", flat=True))
    return {c.pk: reverse("analytics:screening_report", args=[campaign.pk, c.pk]) for c in children
            if c.pk in reachable}


# -------------------------------------------------------------------------------------------- sections


def _coverage(figures: Figures, unit: OrgUnit, children: list[OrgUnit], links: dict[int, str],
              language: str) -> Section:
    header = [_("Unit"), _("Students asked"), _handed_in(), _("Declined"), _("Not yet"), _("Completion"),
              _("Key students")]
    rows = [_coverage_row(figures, unit.pk, label_cell(_("All (%(unit)s)") % {"unit": unit.name}))]
    rows += [_coverage_row(figures, c.pk, label_cell(c.name, link=links.get(c.pk, ""))) for c in children]
    categories, data = [], []
    for child in children:
        done, targets = figures.cell(child.pk, cf.CAMPAIGN, cf.ALL, "", "done"), \
            figures.cell(child.pk, cf.CAMPAIGN, cf.ALL, "", "targets")
        categories.append(child.name)
        data.append(_percent(done, targets))
    chart = {"kind": "bar", "categories": categories, "percent": True, "y_name": _("Completion"),
             "series": [{"name": _("Completion"), "data": data, "colour": "teal"}]} if children else None
    title = {OrgUnit.Kind.SCHOOL: _("Completion by class"), OrgUnit.Kind.DISTRICT: _("Completion by school"),
             OrgUnit.Kind.CITY: _("Completion by district")}[unit.kind]
    table = Table("coverage", title, header, rows, chart=chart,
                  note=_("Students are counted where they were placed when the campaign opened. Declined: the "
                         "student or a guardian declined and nothing was handed in."))
    by = [_coverage_by(figures, unit, dimension, title, language) for dimension, title in (
        (cf.GRADE, _("Completion by grade")), (cf.SEX, _("Completion by sex")),
        (cf.GROUP, _("Completion by special-attention group")))]
    return Section("coverage", _("Coverage and completion"), tables=[table, *[t for t in by if t.rows]])


def _coverage_row(figures: Figures, unit_id: int, label: Cell) -> list[Cell]:
    cells = [figures.cell(unit_id, cf.CAMPAIGN, cf.ALL, "", m) for m in ("targets", "done", "declined", "pending")]
    key = figures.cell(unit_id, cf.CAMPAIGN, cf.ALL, "", "key")
    return [label, *cells, rate(cells[1], cells[0]), key]


def _coverage_by(figures: Figures, unit: OrgUnit, dimension: str, title: str, language: str) -> Table:
    rows = []
    for key, label in _dimension_labels(dimension, figures.keys(unit.pk, dimension), language):
        cells = [figures.cell(unit.pk, cf.CAMPAIGN, dimension, key, m) for m in ("targets", "done", "declined",
                                                                                   "pending")]
        rows.append([label_cell(label), *cells, rate(cells[1], cells[0])])
    header = [_dimension_title(dimension), _("Students asked"), _handed_in(), _("Declined"), _("Not yet"),
              _("Completion")]
    note = _("A student in several groups counts in each, so the groups do not add up to the whole.") \
        if dimension == cf.GROUP else ""
    return Table(f"coverage-{dimension}", title, header, rows, note=note)


def _lang() -> str:
    return i18n.lang()


def _handed_in() -> str:
    return pgettext("screening report", "Handed in")


def _dimension_title(dimension: str) -> str:
    return {cf.GRADE: _("Grade"), cf.SEX: _("Sex"), cf.GROUP: _("Special-attention group"),
            cf.ALL: _("Unit")}[dimension]


def _levels_of(labels: InstrumentLabels) -> list[str]:
    return list(labels.shape.levels)


def _distribution(figures: Figures, unit: OrgUnit, children: list[OrgUnit], labels: InstrumentLabels,
                  language: str, links: dict[int, str]) -> Section:
    code = labels.code
    results = figures.cell(unit.pk, code, cf.ALL, "", "results")
    rows = []
    for band in labels.shape.bands:
        text, level = labels.bands.get(band, (band, ""))
        cell = figures.cell(unit.pk, code, cf.ALL, "", f"band:{band}")
        rows.append([label_cell(text, level=level), label_cell(level_label(level), level=level), cell,
                     rate(cell, results)])
    unbanded = figures.cell(unit.pk, code, cf.ALL, "", cf.UNBANDED)
    rows.append([label_cell(_("Not scored")), label_cell("—"), unbanded, rate(unbanded, results)])
    rows.append([label_cell(_("All results")), label_cell(""), results, label_cell("")])
    chart = {"kind": "bar", "categories": [r[0].text for r in rows[:-1]], "percent": True,
             "y_name": _("Share of results"),
             "series": [{"name": _("Share of results"), "data": [_percent(r[2], results) for r in rows[:-1]],
                         "colour": "teal"}],
             "option": {"legend": {"show": False}}}
    bands = Table(f"bands-{code}", _("Distribution by band"), [_("Band"), _("Level"), _("Results"),
                                                                 _("Share of results")], rows, chart=chart)
    tables = [bands]
    for dimension, title in ((cf.GRADE, _("By grade")), (cf.SEX, _("By sex")),
                             (cf.GROUP, _("By special-attention group"))):
        keys = _dimension_labels(dimension, figures.keys(unit.pk, dimension), language)
        table = _levels_table(figures, labels, f"levels-{code}-{dimension}", title, _dimension_title(dimension),
                              [(unit.pk, dimension, key, label_cell(text)) for key, text in keys])
        if dimension == cf.GROUP:
            table.note = _("A student in several groups counts in each, so the groups do not add up to the whole.")
        if table.rows:
            tables.append(table)
    if children:
        title = {OrgUnit.Kind.SCHOOL: _("By class"), OrgUnit.Kind.DISTRICT: _("By school"),
                 OrgUnit.Kind.CITY: _("By district")}[unit.kind]
        tables.append(_levels_table(figures, labels, f"levels-{code}-units", title, _("Unit"),
                                    [(c.pk, cf.ALL, "", label_cell(c.name, link=links.get(c.pk, "")))
                                     for c in children]))
    return Section(f"instrument-{code}", labels.title, tables=tables,
                   intro=_("Bands of the total score (for an instrument without one, its outcome). A screening "
                           "band is not a diagnosis."))


def _levels_table(figures: Figures, labels: InstrumentLabels, table_id: str, title: str, first: str,
                  lines: list[tuple[int, str, str, Cell]]) -> Table:
    code = labels.code
    levels = _levels_of(labels)
    header = [first, _("Results"), *[level_label(lv) for lv in levels], _("Not scored"),
              *[_("%(level)s share") % {"level": level_label(lv)} for lv in levels if lv != "none"]]
    rows = []
    series: dict[str, list] = {lv: [] for lv in levels}
    for unit_id, dimension, key, label in lines:
        results = figures.cell(unit_id, code, dimension, key, "results")
        cells = [figures.cell(unit_id, code, dimension, key, f"level:{lv}") for lv in levels]
        unbanded = figures.cell(unit_id, code, dimension, key, cf.UNBANDED)
        shares = [rate(c, results) for lv, c in zip(levels, cells, strict=True) if lv != "none"]
        rows.append([label, results, *cells, unbanded, *shares])
        for lv, c in zip(levels, cells, strict=True):
            series[lv].append(_percent(c, results))
    chart = {"kind": "stacked", "categories": [line[3].text for line in lines], "percent": True,
             "y_name": _("Share of results"),
             "series": [{"name": level_label(lv), "data": series[lv], "colour": LEVEL_COLOURS.get(lv, "grey")}
                        for lv in levels]} if rows else None
    return Table(table_id, title, header, rows, chart=chart)


def _comparison(unit: OrgUnit, figures: Figures, instruments: list[InstrumentLabels], previous: Comparison,
                season: Comparison, exact: bool) -> Section:
    others = [previous.campaign, season.campaign]
    columns = [figures] + [Figures(c.pk, [unit.pk], exact=exact) if c else None for c in others]
    header = [_("Figure"), _("This campaign")] + [
        f"{title}: {c.name} ({c.window_start:%Y-%m-%d})" if c else f"{title}: —"
        for title, c in ((pgettext("earlier campaign", "Previous"), others[0]), (_("Same season last year"), others[1]))]

    def line(label: str, instrument: str, measure: str, of: str | None = None) -> list[Cell]:
        cells = [label_cell(label)]
        for f in columns:
            if f is None or not f.has(unit.pk):
                cells.append(label_cell("—"))
                continue
            part = f.cell(unit.pk, instrument, cf.ALL, "", measure)
            whole = f.cell(unit.pk, cf.CAMPAIGN if of in ("targets", "done") else instrument, cf.ALL, "", of) \
                if of else None
            cells.append(rate(part, whole) if whole else part)
        return cells

    rows = [line(_("Students asked"), cf.CAMPAIGN, "targets"), line(_handed_in(), cf.CAMPAIGN, "done"),
            line(_("Completion"), cf.CAMPAIGN, "done", "targets"), line(_("Key students"), cf.CAMPAIGN, "key"),
            line(_("Key students per hundred handed in"), cf.CAMPAIGN, "key", "done")]
    for labels in instruments:
        results_label, critical_label, invalid_label = _("Results"), _("Positive critical item"), \
            _("Invalid or to be reviewed")
        rows.append(line(f"{labels.title} · {results_label}", labels.code, "results"))
        for lv in _levels_of(labels):
            if lv != "none":
                share = _("%(level)s share") % {"level": level_label(lv)}
                rows.append(line(f"{labels.title} · {share}", labels.code, f"level:{lv}", "results"))
        rows.append(line(f"{labels.title} · {critical_label}", labels.code, "critical", "results"))
        rows.append(line(f"{labels.title} · {invalid_label}", labels.code, "invalid", "results"))
    note = " ".join([pgettext("earlier campaign", "Previous: %(rule)s") % {"rule": previous.rule},
                     _("Same season last year: %(rule)s") % {"rule": season.rule},
                     _("Each campaign's figures for %(unit)s; shares are of the results.") % {"unit": unit.name}])
    table = Table("comparison", _("Comparison with earlier campaigns"), header, rows, note=note)
    return Section("comparison", _("Comparison with earlier campaigns"), tables=[table])


def _invalid(figures: Figures, unit: OrgUnit, instruments: list[InstrumentLabels]) -> Section:
    reasons = sorted({m.split(":", 1)[1] for labels in instruments
                      for m in figures.measures(unit.pk, labels.code, "invalid:")})
    header = [_("Instrument"), _("Results"), _("Invalid or to be reviewed"), _("Share of results"),
              *[reason_label(r) for r in reasons]]
    rows = []
    for labels in instruments:
        results = figures.cell(unit.pk, labels.code, cf.ALL, "", "results")
        invalid = figures.cell(unit.pk, labels.code, cf.ALL, "", "invalid")
        rows.append([label_cell(labels.title), results, invalid, rate(invalid, results),
                     *[figures.cell(unit.pk, labels.code, cf.ALL, "", f"invalid:{r}") for r in reasons]])
    table = Table("invalid", _("Invalid responses"), header, rows,
                  note=_("A response is invalid or to be reviewed when a validity check of the instrument held: "
                         "answered faster than a second a question, too many questions left blank, the same "
                         "answer everywhere on a scale with reversed questions, or a lie scale too high. One "
                         "response may have several reasons. Such results are kept and read by the psychology "
                         "teacher; they are not left out of the bands above."))
    return Section("invalid", _("Invalid responses"), tables=[table])


def _positives(figures: Figures, unit: OrgUnit, instruments: list[InstrumentLabels]) -> Section:
    tables = []
    for labels in instruments:
        if not labels.shape.positives:
            continue
        results = figures.cell(unit.pk, labels.code, cf.ALL, "", "results")
        cells = [(p, figures.cell(unit.pk, labels.code, cf.ALL, "", f"positive:{p}")) for p in labels.shape.positives]
        # Most often first, by what this viewer sees: a hidden figure must not show its rank.
        order = {p: i for i, p in enumerate(labels.shape.positives)}
        cells.sort(key=lambda pc: (pc[1].hidden != "", -(pc[1].value or 0), order[pc[0]]))
        rows = [[label_cell(labels.positives.get(p, p)), c, rate(c, results)] for p, c in cells]
        what = _("Subscale") if labels.shape.by_subscale else _("Critical question")
        chart = {"kind": "hbar", "categories": [r[0].text[:24] for r in rows], "percent": True,
                 "y_name": _("Share of results"), "option": {"legend": {"show": False}},
                 "series": [{"name": _("Share of results"), "data": [_percent(r[1], results) for r in rows],
                             "colour": "orange"}]}
        tables.append(Table(f"positive-{labels.code}", labels.title, [what, _("Positive results"),
                                                                       _("Share of results")], rows, chart=chart))
    intro = _("Per instrument, the subscales on which results were most often above the normal band (for an "
              "instrument without subscales, the critical questions most often answered positively). "
              "Instruments with neither are not listed.")
    return Section("positives", _("Dimensions most often positive"), intro=intro, tables=tables)


def _key_counts(figures: Figures, unit: OrgUnit, children: list[OrgUnit], links: dict[int, str]) -> Section:
    header = [_("Unit"), _handed_in(), _("Key students"), _("Per hundred handed in")]
    rows = []
    for uid, label in [(unit.pk, label_cell(_("All (%(unit)s)") % {"unit": unit.name}))] + [
            (c.pk, label_cell(c.name, link=links.get(c.pk, ""))) for c in children]:
        done = figures.cell(uid, cf.CAMPAIGN, cf.ALL, "", "done")
        key = figures.cell(uid, cf.CAMPAIGN, cf.ALL, "", "key")
        rows.append([label, done, key, rate(key, done)])
    table = Table("key-counts", _("Key students by unit"), header, rows,
                  note=_("Key students of this screening: a result in a high band (or the ASQ's positive screens) "
                         "or a positive critical question on any instrument. Each school acts on its own list."))
    return Section("key-students", _("Key students"), tables=[table])


# ----------------------------------------------------------------------------------------- key students

def _key_condition() -> Q:
    """A result that makes its student a key student of the screening (the same rule as the "key" figure)."""
    scored = Q(instrument_version__not_scored=False)
    return Q(critical=True) | (scored & ~Q(band_code="") & Q(band_level__in=cf.HIGH_LEVELS)) | (
        scored & Q(band_code="") & Q(score__outcome__level__in=list(cf.HIGH_LEVELS)))


def named_schools(user, campaign: Campaign, unit: OrgUnit) -> list[OrgUnit]:
    """The schools under `unit` whose key students this user may see by name: they may see the students' risk
    level there."""
    schools = OrgUnit.objects.filter(
        pk__in=CampaignTarget.objects.filter(campaign=campaign).values("school_id"), kind=OrgUnit.Kind.SCHOOL,
        path__startswith=unit.path)
    return [s for s in schools.order_by("code", "name", "pk") if needs_to_know(user, s)]


def key_students_of(user, campaign: Campaign, unit: OrgUnit, *, schools: list[OrgUnit] | None = None) -> list[KeyStudents]:
    """The key students by school and class, named, for the schools where the user has need-to-know; for a
    district or city only when `schools` is given (the Excel), the page of a school otherwise."""
    if schools is None:
        schools = named_schools(user, campaign, unit) if unit.kind == OrgUnit.Kind.SCHOOL else []
    if not schools:
        return []
    results = list(
        Result.objects.filter(_key_condition(), campaign=campaign, target__school_id__in=[s.pk for s in schools],
                              student__in=scope.students(user, roles.STUDENT_RISK_LEVEL))
        .select_related("student", "target__school_class", "instrument_version__instrument")
        .order_by("target__school_class__grade_level", "target__school_class__class_number", "student__name",
                  "student_id", "id"))
    result_ids = [str(r.pk) for r in results]
    reported = {rep.screening_result_id: rep.warning for rep in WarningReport.objects.filter(
        screening_result_id__in=result_ids).select_related("warning__level")}
    waiting = set(ScreeningFlag.objects.filter(result_id__in=[r.pk for r in results], handed_over_at__isnull=True)
                  .values_list("result_id", flat=True))
    student_ids = {r.student_id for r in results}
    open_warnings = {w.student_id: w for w in Warning.objects.filter(
        student_id__in=student_ids, state__in=warning_states.OPEN).select_related("level")}
    details = {s.pk: scope.unit_permission(user, s, roles.SCREENING_RESULTS) for s in schools}
    warnings_page = {s.pk: scope.unit_permission(user, s, roles.ALERT_QUEUE) for s in schools}
    language = _lang()
    by_school: dict[int, dict[int, KeyStudentRow]] = {s.pk: {} for s in schools}
    school_of = {r.pk: r.target.school_id for r in results}
    for result in results:
        rows = by_school[school_of[result.pk]]
        row = rows.get(result.student_id)
        if row is None:
            row = rows[result.student_id] = KeyStudentRow(result.student, result.target.school_class, [], None,
                                                          False, False)
        row.reasons.append(_reason(result, language, details[school_of[result.pk]]))
        warning = reported.get(str(result.pk))
        if warning is not None:
            row.warning, row.warning_from_screening = warning, True
        elif row.warning is None:
            row.warning = open_warnings.get(result.student_id)
        row.waiting_hand_over = row.waiting_hand_over or result.pk in waiting
        if row.warning is not None and warnings_page[school_of[result.pk]]:
            row.warning_link = reverse("alerts:detail", args=[row.warning.pk])
    return [KeyStudents(s, list(by_school[s.pk].values()), details[s.pk]) for s in schools]


def _reason(result: Result, language: str, details: bool) -> str:
    """Why the student is on the list: with the screening details (instrument, band, critical item) for a viewer
    who may see results, else only the kind of reason."""
    title = text_in(result.instrument_version.instrument.title or {}, language) or result.instrument_code
    if not details:
        return _("%(instrument)s: positive critical question") % {"instrument": result.instrument_code} \
            if result.critical else _("%(instrument)s: high band") % {"instrument": result.instrument_code}
    score = result.score or {}
    band = ((score.get("total") or {}).get("band") or score.get("outcome") or {})
    parts = [text_in(band.get("label") or {}, language)] if band else []
    items = [f.get("item") for f in score.get("flags", []) if f.get("kind") == "critical_item"]
    if items:
        definition = definition_of(result.instrument_version)
        known = {item.id: item for item in definition.items}
        named = [f"{known[i].label}. {text_in(known[i].text, language)[:40]}" if i in known else str(i)
                 for i in items]
        parts.append(_("critical question %(items)s") % {"items": "; ".join(named)})
    return f"{title}: {'; '.join(p for p in parts if p)}"


def key_student_ids(blocks: list[KeyStudents]) -> list[int]:
    return [row.student.pk for block in blocks for row in block.rows]
