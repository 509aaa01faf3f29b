"""A screening campaign's figures (CampaignFigure): computed from the campaign's targets and results, stored per
unit, with the small-count suppression decided once over all of them. The only writer of CampaignFigure.

What is counted, for each unit the students were placed in when the campaign opened (the placement stored on
CampaignTarget: class, grade, school, district, and the district's city):

  campaign as a whole (instrument_code ""):
    targets   students asked to take the campaign
    done      handed in
    declined  not handed in, and the student or a guardian declined
    pending   neither (targets = done + declined + pending)
    key       key students of the screening (重点学生): a result in a high band (or a high/critical outcome, as the
              ASQ's positive screens) or a positive critical item, on any instrument
  per instrument (instrument_code the instrument's code):
    results     results scored
    unanswered  handed in without a result for this instrument (done = results + unanswered)
    band:<code> results in the total scale's band (or, for an instrument without a total, its outcome)
    unbanded    results without a band: published "not scored", or the total could not be scored
    level:<level>  none | moderate | high | critical, the band's (or outcome's) level (results = levels + unbanded)
    invalid     results whose validity is not "valid" (invalid, or needing review)
    invalid:<reason>  by the reason's kind (too_fast, too_many_missing, identical_answers, validity_check …);
                one result may have several, so these are not a partition (dimension "all" only)
    critical    results with a positive critical item
    positive:<id>  results positive on a subscale (its band's level is not "none": PSC-17's attention, MHT's
                content scales); for an instrument without subscales, results whose critical item <id> was
                positive (PHQ-A's q9)

Dimensions: "all"; at school, district and city also "grade" (key the grade level, "none" when unknown), "sex"
(M/F) and "group" (the SpecialGroup code, as the student's memberships are when the figures are computed; a
student in several groups counts in each, so the groups are not a partition of "all").

Suppression (analytics/core/suppression.py), decided here once for every page and viewer:
  keys     (unit id, instrument code, dimension, key, measure)
  lines    each breakdown above that is a partition (targets; bands; levels; done = results + unanswered), the
           unit tree per figure (city → districts → schools → grades → classes), a school's grade = its grade
           units of that level, and "all" against its grades and against its sexes
  never hidden: coverage (targets, done, declined, pending, results, unanswered) overall and by grade and sex —
           the numbers of students screened are public. By group they are hidden like any other small figure
           (that 3 students of a school are in the bereaved group is itself sensitive).
  A line whose public total is 1–4 (3 results, say) cannot keep its parts from adding up to something small:
  all its parts are hidden (given) and the line is left out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from runxin.org.models import OrgUnit
from runxin.screening.models import Campaign, CampaignTarget, ConsentRecord
from runxin.screening.services import definition_of

from .core.suppression import SMALL, Unprotectable, suppress
from .models import CampaignFigure, RefreshState

logger = logging.getLogger("runxin.analytics")

ALL, GRADE, SEX, GROUP = "all", "grade", "sex", "group"
DIMENSIONS = (ALL, GRADE, SEX, GROUP)
CAMPAIGN = ""  # instrument_code of the campaign-wide figures
CAMPAIGN_MEASURES = ("targets", "done", "declined", "pending", "key")
LEVELS = ("none", "moderate", "high", "critical")
HIGH_LEVELS = ("high", "critical")
UNBANDED = "unbanded"
NO_GRADE = "none"  # the grade key of targets placed without a grade level
# Coverage: how many students were asked and screened. Public overall and by grade and sex (see the docstring).
PUBLIC_MEASURES = frozenset({"targets", "done", "declined", "pending", "results", "unanswered"})
PUBLIC_DIMENSIONS = frozenset({ALL, GRADE, SEX})
# Units that carry the grade, sex and group breakdowns (classes and grades carry "all" only).
BROKEN_DOWN = frozenset({OrgUnit.Kind.SCHOOL, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.CITY})
# The refresh recomputes open campaigns and those closed this recently (late consent records, re-scoring).
RECENTLY_CLOSED = timedelta(days=14)
BACKFILL_PER_PASS = 10  # campaigns never computed (older ones, after an upgrade) taken per refresh pass
LOCK_CLASS = 7313  # pg advisory lock namespace: one computation of a campaign at a time

Key = tuple[int, str, str, str, str]  # (unit id, instrument code, dimension, key, measure)


def state_name(campaign_id: int) -> str:
    """The RefreshState row of one campaign's figures: when they were computed (the page's "as of")."""
    return f"campaign:{campaign_id}"


# ------------------------------------------------------------------------------------------ instruments

@dataclass
class InstrumentShape:
    """What one instrument's figures are: its bands in order, the levels they use, and its positive dimensions
    (subscales, or critical items for an instrument without subscales)."""

    code: str
    bands: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    positives: list[str] = field(default_factory=list)
    by_subscale: bool = False

    def measures(self, invalid_reasons: Iterable[str] = ()) -> list[str]:
        return (["results", "unanswered"] + [f"band:{b}" for b in self.bands] + [UNBANDED]
                + [f"level:{lv}" for lv in self.levels] + ["invalid", "critical"]
                + [f"positive:{p}" for p in self.positives] + [f"invalid:{r}" for r in invalid_reasons])


def instrument_shapes(campaign: Campaign) -> dict[str, InstrumentShape]:
    """Each instrument of the campaign (in the campaign's order) with its bands, levels and positive dimensions,
    read from the definitions of the versions the campaign uses."""
    shapes: dict[str, InstrumentShape] = {}
    for ci in campaign.instruments.select_related("version__instrument").order_by("position"):
        definition = definition_of(ci.version)
        shape = shapes.setdefault(definition.code, InstrumentShape(definition.code))
        total = definition.scale(definition.total_scale) if definition.total_scale else None
        classes = [(b.code, b.level) for b in total.bands] if total else \
            [(o.code, o.level) for o in definition.outcomes]
        for code, level in classes:
            if code not in shape.bands:
                shape.bands.append(code)
            if level not in shape.levels:
                shape.levels.append(level)
        subscales = [s.id for s in definition.scales
                     if s.id != definition.total_scale and any(b.level != "none" for b in s.bands)]
        if subscales:
            shape.by_subscale = True
            shape.positives = [p for p in shape.positives if p in subscales] + \
                [s for s in subscales if s not in shape.positives]
        elif not shape.by_subscale:
            shape.positives += [c.item for c in definition.critical_items if c.item not in shape.positives]
    for shape in shapes.values():
        shape.levels.sort(key=lambda lv: LEVELS.index(lv) if lv in LEVELS else len(LEVELS))
    return shapes


# ------------------------------------------------------------------------------------------------ SQL

def _sql_parts() -> dict[str, str]:
    """Table names and the few fragments that differ between PostgreSQL and SQLite (the embedded demo)."""
    from runxin.people.models import GroupMembership, SpecialGroup, Student
    from runxin.screening.models import InstrumentVersion, Result

    parts = {
        "target": CampaignTarget._meta.db_table, "student": Student._meta.db_table,
        "consent": ConsentRecord._meta.db_table, "result": Result._meta.db_table,
        "version": InstrumentVersion._meta.db_table, "membership": GroupMembership._meta.db_table,
        "group": SpecialGroup._meta.db_table,
    }
    if connection.vendor == "postgresql":
        parts |= {
            "outcome_code": "(r.score->'outcome'->>'code')", "outcome_level": "(r.score->'outcome'->>'level')",
            "scales": "jsonb_array_elements(r.score->'scales') e", "flags": "jsonb_array_elements(r.score->'flags') e",
            "e_id": "(e.value->>'id')", "e_level": "(e.value->'band'->>'level')", "e_kind": "(e.value->>'kind')",
            "e_item": "(e.value->>'item')", "e_validity": "(e.value->>'validity')",
        }
    else:
        parts |= {
            "outcome_code": "json_extract(r.score, '$.outcome.code')",
            "outcome_level": "json_extract(r.score, '$.outcome.level')",
            "scales": "json_each(r.score, '$.scales') e", "flags": "json_each(r.score, '$.flags') e",
            "e_id": "json_extract(e.value, '$.id')", "e_level": "json_extract(e.value, '$.band.level')",
            "e_kind": "json_extract(e.value, '$.kind')", "e_item": "json_extract(e.value, '$.item')",
            "e_validity": "json_extract(e.value, '$.validity')",
        }
    # A result's band and level: the total's band, else the outcome (ASQ); nothing for a version published as
    # "not scored" (collect only).
    parts["band"] = (f"CASE WHEN v.not_scored THEN '' WHEN r.band_code <> '' THEN r.band_code "
                     f"ELSE COALESCE({parts['outcome_code']}, '') END")
    parts["level"] = (f"CASE WHEN v.not_scored THEN '' WHEN r.band_code <> '' THEN r.band_level "
                      f"ELSE COALESCE({parts['outcome_level']}, '') END")
    return parts


# Columns a row is grouped by: the placement (and sex), or the special-attention group.
_PLACE = "t.school_id, t.district_id, t.grade_id, t.school_class_id, t.grade_level, s.sex"
_GROUP = "t.school_id, t.district_id, g.code"


def _grouped(select: str, by: str, joins: str, where: str, p: dict[str, str], *, also_by: str = "") -> str:
    """SELECT the grouping columns and `select` over `joins` (which name the target `t`), with the student and,
    grouped by special-attention group, the student's memberships joined in."""
    group_join = (f" JOIN {p['membership']} gm ON gm.student_id = t.student_id"
                  f" JOIN {p['group']} g ON g.id = gm.group_id") if by == _GROUP else ""
    return (f"SELECT {by}, {select} FROM {joins} JOIN {p['student']} s ON s.id = t.student_id{group_join}"  # noqa: S608 — table names from the models, values are parameters
            f" WHERE {where} AND t.school_id IS NOT NULL GROUP BY {by}{also_by}")


def _target_sql(by: str, p: dict[str, str]) -> str:
    """targets, done, declined, key students per group of targets. Parameters: campaign id twice."""
    key = (f"SELECT DISTINCT r.target_id FROM {p['result']} r JOIN {p['version']} v ON v.id = r.instrument_version_id"  # noqa: S608
           f" WHERE r.campaign_id = %s AND (r.critical OR ({p['level']}) IN ('high', 'critical'))")
    select = ("COUNT(*), SUM(CASE WHEN t.finished_at IS NOT NULL THEN 1 ELSE 0 END),"
              " SUM(CASE WHEN t.finished_at IS NULL AND (t.student_decision = 'declined' OR c.state = 'declined')"
              " THEN 1 ELSE 0 END), SUM(CASE WHEN k.target_id IS NOT NULL THEN 1 ELSE 0 END)")
    joins = (f"{p['target']} t LEFT JOIN {p['consent']} c ON c.target_id = t.id"
             f" LEFT JOIN ({key}) k ON k.target_id = t.id")
    return _grouped(select, by, joins, "t.campaign_id = %s", p)


def _result_sql(by: str, p: dict[str, str]) -> str:
    """results, invalid and critical per instrument, band and level. Parameters: campaign id."""
    select = (f"r.instrument_code, {p['band']}, {p['level']}, COUNT(*),"
              " SUM(CASE WHEN r.validity <> 'valid' THEN 1 ELSE 0 END), SUM(CASE WHEN r.critical THEN 1 ELSE 0 END)")
    joins = (f"{p['result']} r JOIN {p['version']} v ON v.id = r.instrument_version_id"
             f" JOIN {p['target']} t ON t.id = r.target_id")
    return _grouped(select, by, joins, "r.campaign_id = %s", p,
                    also_by=f", r.instrument_code, {p['band']}, {p['level']}")


def _tag_sql(by: str, p: dict[str, str], *, reasons: bool) -> str:
    """Positive subscales ("scale:<id>"), positive critical items ("item:<id>") and, by placement only, the
    reasons a result is not valid ("invalid:<kind>"): results per instrument and tag. Parameters: campaign id,
    once per tag query (2, or 3 with the reasons)."""
    base = f"FROM {p['result']} r JOIN {p['version']} v ON v.id = r.instrument_version_id, "
    tags = [
        f"SELECT r.id AS result_id, r.target_id, r.instrument_code, 'scale:' || {p['e_id']} AS tag {base}{p['scales']}"
        f" WHERE r.campaign_id = %s AND NOT v.not_scored AND {p['e_level']} IN ('moderate', 'high')",
        f"SELECT r.id, r.target_id, r.instrument_code, 'item:' || {p['e_item']} {base}{p['flags']}"
        f" WHERE r.campaign_id = %s AND {p['e_kind']} = 'critical_item'",
    ]
    if reasons:
        tags.append(f"SELECT r.id, r.target_id, r.instrument_code, 'invalid:' || {p['e_kind']} {base}{p['flags']}"
                    f" WHERE r.campaign_id = %s AND {p['e_validity']} IS NOT NULL")
    union = " UNION ".join(tags)  # UNION, not UNION ALL: one row per result and tag
    joins = f"({union}) x JOIN {p['target']} t ON t.id = x.target_id"
    return _grouped("x.instrument_code, x.tag, COUNT(*)", by, joins, "1 = 1", p, also_by=", x.instrument_code, x.tag")


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# ---------------------------------------------------------------------------------------------- compute

@dataclass
class Computed:
    """A campaign's figures before they are stored: values (zero cells left out), the keys each unit carries
    (zeros included: what the pages list), the lines for suppression and the hidden keys."""

    values: dict[Key, int]
    grid: set[Key]
    lines: list[tuple[Key, ...]]
    hidden: frozenset[Key] = frozenset()
    units: dict[int, str] = field(default_factory=dict)  # unit id → kind


class _Accumulator:
    def __init__(self) -> None:
        self.values: dict[Key, int] = defaultdict(int)
        self.units: dict[int, str] = {}
        self.parent: dict[int, int] = {}
        self.dim_keys: dict[int, set[tuple[str, str]]] = defaultdict(lambda: {(ALL, "")})
        self.grade_level_of: dict[int, str] = {}  # grade unit → its level key

    def placement(self, row: tuple, city_of: dict[int, int]) -> list[tuple[int, list[tuple[str, str]]]]:
        """The units a placement row counts in, each with the (dimension, key) pairs it adds to."""
        school, district, grade, school_class, level, sex = row[:6]
        level_key = str(level) if level is not None else NO_GRADE
        broken = [(ALL, ""), (GRADE, level_key), (SEX, sex or "")]
        out: list[tuple[int, list[tuple[str, str]]]] = []
        if school_class is not None:
            out.append((school_class, [(ALL, "")]))
            self._unit(school_class, OrgUnit.Kind.CLASS, grade if grade is not None else school)
        if grade is not None:
            out.append((grade, [(ALL, "")]))
            self._unit(grade, OrgUnit.Kind.GRADE, school)
            self.grade_level_of[grade] = level_key
        out.append((school, broken))
        self._unit(school, OrgUnit.Kind.SCHOOL, district)
        if district is not None:
            out.append((district, broken))
            city = city_of.get(district)
            self._unit(district, OrgUnit.Kind.DISTRICT, city)
            if city is not None:
                out.append((city, broken))
                self._unit(city, OrgUnit.Kind.CITY, None)
        return out

    def grouped(self, row: tuple, city_of: dict[int, int]) -> list[tuple[int, list[tuple[str, str]]]]:
        school, district, code = row[:3]
        units = [school] + ([district] if district is not None else [])
        if district is not None and city_of.get(district) is not None:
            units.append(city_of[district])
        return [(u, [(GROUP, code)]) for u in units]

    def _unit(self, unit: int, kind: str, parent: int | None) -> None:
        self.units.setdefault(unit, kind)
        if parent is not None:
            self.parent.setdefault(unit, parent)

    def add(self, units, instrument: str, measures: Iterable[tuple[str, int]], *, present: bool = False) -> None:
        for unit, dims in units:
            for dim, key in dims:
                if present:
                    self.dim_keys[unit].add((dim, key))
                for measure, n in measures:
                    if n:
                        self.values[(unit, instrument, dim, key, measure)] += int(n)


def compute(campaign: Campaign) -> Computed:
    """The campaign's figures for every unit its targets were placed in, with the lines and the hidden keys."""
    p = _sql_parts()
    shapes = instrument_shapes(campaign)
    acc = _Accumulator()
    districts = list(CampaignTarget.objects.filter(campaign=campaign).exclude(district_id=None)
                     .values_list("district_id", flat=True).distinct())
    city_of = dict(OrgUnit.objects.filter(pk__in=districts, parent__kind=OrgUnit.Kind.CITY)
                   .values_list("pk", "parent_id"))
    cid = campaign.pk
    reasons: set[tuple[str, str]] = set()
    for by, where in ((_PLACE, acc.placement), (_GROUP, acc.grouped)):
        width = 6 if by == _PLACE else 3
        for row in _rows(_target_sql(by, p), [cid, cid]):
            targets, done, declined, key = row[width:]
            pending = targets - done - declined
            acc.add(where(row, city_of), CAMPAIGN, [("targets", targets), ("done", done), ("declined", declined),
                                                    ("pending", pending), ("key", key)], present=True)
        for row in _rows(_result_sql(by, p), [cid]):
            code, band, level, n, invalid, critical = row[width:]
            shape = shapes.setdefault(code, InstrumentShape(code))  # a result of an instrument since removed
            if band and band not in shape.bands:
                shape.bands.append(band)
            level = (level or "none") if band else ""
            if level and level not in shape.levels:
                shape.levels.append(level)
            classified = [(f"band:{band}", n), (f"level:{level}", n)] if band else [(UNBANDED, n)]
            acc.add(where(row, city_of), code, [("results", n), *classified, ("invalid", invalid),
                                                 ("critical", critical)])
        with_reasons = by == _PLACE
        for row in _rows(_tag_sql(by, p, reasons=with_reasons), [cid] * (3 if with_reasons else 2)):
            code, tag, n = row[width:]
            shape = shapes.get(code)
            kind, _colon, name = tag.partition(":")
            if kind == "invalid":
                reasons.add((code, name))
                acc.add([(u, [(ALL, "")]) for u, _dims in where(row, city_of)], code, [(f"invalid:{name}", n)])
            elif shape is not None and name in shape.positives and (kind == "scale") == shape.by_subscale:
                acc.add(where(row, city_of), code, [(f"positive:{name}", n)])
    for shape in shapes.values():
        shape.levels.sort(key=lambda lv: LEVELS.index(lv) if lv in LEVELS else len(LEVELS))
    invalid_reasons: dict[str, list[str]] = defaultdict(list)
    for code, name in sorted(reasons):
        invalid_reasons[code].append(name)
    return _finish(acc, shapes, invalid_reasons)


def _finish(acc: _Accumulator, shapes: dict[str, InstrumentShape], invalid_reasons: dict[str, list[str]]) -> Computed:
    values = acc.values
    # Who carries which (dimension, key): classes and grades "all" only.
    for unit, kind in acc.units.items():
        if kind not in BROKEN_DOWN:
            acc.dim_keys[unit] = {(ALL, "")}
    measures_of = {CAMPAIGN: list(CAMPAIGN_MEASURES)} | {
        code: shape.measures() for code, shape in shapes.items()}
    grid: set[Key] = set()
    for unit, dims in acc.dim_keys.items():
        if unit not in acc.units:
            continue
        for dim, key in dims:
            for code, measures in measures_of.items():
                for measure in measures:
                    grid.add((unit, code, dim, key, measure))
                if code != CAMPAIGN:
                    # unanswered = done − results (an instrument not given to everyone who handed in)
                    done = values.get((unit, CAMPAIGN, dim, key, "done"), 0)
                    left = done - values.get((unit, code, dim, key, "results"), 0)
                    if left > 0:
                        values[(unit, code, dim, key, "unanswered")] = left
                    if dim == ALL:
                        grid.update((unit, code, ALL, "", f"invalid:{r}") for r in invalid_reasons.get(code, ()))
    lines = _lines(acc, shapes, invalid_reasons, grid)
    return Computed(dict(values), grid, lines, units=dict(acc.units))


def _lines(acc: _Accumulator, shapes, invalid_reasons, grid: set[Key]) -> list[tuple[Key, ...]]:
    lines: list[tuple[Key, ...]] = []
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in acc.parent.items():
        children[parent].append(child)
    for unit, dims in acc.dim_keys.items():
        if unit not in acc.units:
            continue
        for dim, key in sorted(dims):
            k = (unit, CAMPAIGN, dim, key)
            lines.append(tuple((*k, m) for m in ("targets", "done", "declined", "pending")))
            for code, shape in shapes.items():
                k = (unit, code, dim, key)
                lines.append(((*k, "results"), *((*k, f"band:{b}") for b in shape.bands), (*k, UNBANDED)))
                lines.append(((*k, "results"), *((*k, f"level:{lv}") for lv in shape.levels), (*k, UNBANDED)))
                lines.append(((unit, CAMPAIGN, dim, key, "done"), (*k, "results"), (*k, "unanswered")))
    # The unit tree, per figure: a parent's figure is the sum of its children's (those that carry its key).
    by_unit: dict[int, set[tuple[str, str, str, str]]] = defaultdict(set)
    for unit, code, dim, key, measure in grid:
        by_unit[unit].add((code, dim, key, measure))
    for parent, kids in children.items():
        for rest in by_unit.get(parent, ()):
            members = [(kid, *rest) for kid in sorted(kids) if rest in by_unit.get(kid, ())]
            if members:
                lines.append(((parent, *rest), *members))
    # A school's figure of one grade level is the sum of its grade units of that level.
    for school, kids in children.items():
        if acc.units.get(school) != OrgUnit.Kind.SCHOOL:
            continue
        grades: dict[str, list[int]] = defaultdict(list)
        for kid in kids:
            if kid in acc.grade_level_of:
                grades[acc.grade_level_of[kid]].append(kid)
        for code, dim, key, measure in by_unit.get(school, ()):
            if dim == GRADE and key in grades:
                lines.append(((school, code, GRADE, key, measure),
                              *((g, code, ALL, "", measure) for g in sorted(grades[key]))))
    # "All" against its grades and against its sexes (the groups overlap: no line).
    for unit, dims in acc.dim_keys.items():
        if acc.units.get(unit) not in BROKEN_DOWN:
            continue
        for dim in (GRADE, SEX):
            keys = sorted(k for d, k in dims if d == dim)
            for code, dim_all, _key, measure in by_unit.get(unit, ()):
                if dim_all == ALL and not measure.startswith("invalid:"):
                    lines.append(((unit, code, ALL, "", measure), *((unit, code, dim, k, measure) for k in keys)))
    return lines


class _Candidates:
    """Which figures may be hidden: everything but coverage overall and by grade and sex."""

    def __contains__(self, key) -> bool:
        return not (key[2] in PUBLIC_DIMENSIONS and key[4] in PUBLIC_MEASURES)


CANDIDATES = _Candidates()


def _unit_of(key: Key) -> int:
    return key[0]


def decide_hidden(computed: Computed) -> frozenset[Key]:
    """The figures hidden from viewers outside need-to-know (see the module docstring)."""
    values, given, lines = computed.values, set(), []
    for line in computed.lines:
        total = line[0]
        if total not in CANDIDATES and 0 < values.get(total, 0) < SMALL and any(k in CANDIDATES for k in line[1:]):
            given.update(k for k in line[1:] if k in CANDIDATES)
        else:
            lines.append(line)
    try:
        # owner: someone who knows one unit exactly (its care team) must not subtract it from a total to read a
        # neighbour's hidden figure.
        return suppress(values, lines, given=given, candidates=CANDIDATES, owner=_unit_of)
    except Unprotectable:
        # Not expected with the lines above (their public totals are protected among themselves); should a new
        # line break that, hide every candidate figure rather than show one that can be worked out.
        logger.exception("campaign figures: a line could not be protected; hiding every candidate figure")
        return frozenset(k for k in computed.grid | set(values) if k in CANDIDATES)


# ------------------------------------------------------------------------------------------------ store

@dataclass
class Stored:
    campaign_id: int
    inserted: int
    deleted: int
    figures: int
    hidden: int
    seconds: float


def compute_campaign_figures(campaign: Campaign) -> Stored:
    """Recompute every figure of one campaign and store it (the full recompute; the refresh calls it for the
    campaigns that changed). One transaction: pages read the old figures or the new, never a mix. Rows are
    kept for non-zero figures and for hidden zeros; rows that did not change are left alone."""
    started = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, campaign.pk])
        computed = compute(campaign)
        computed.hidden = decide_hidden(computed)
        wanted = {key: (value, key in computed.hidden) for key, value in computed.values.items() if value}
        wanted.update({key: (computed.values.get(key, 0), True) for key in computed.hidden})
        existing = {}
        for row in CampaignFigure.objects.filter(campaign=campaign).values_list(
                "id", "unit_id", "instrument_code", "dimension", "key", "measure", "value", "suppressed"):
            existing[row[1:6]] = (row[0], row[6], row[7])
        stale = [pk for key, (pk, value, hidden) in existing.items() if wanted.get(key) != (value, hidden)]
        new = [CampaignFigure(campaign=campaign, unit_id=k[0], instrument_code=k[1], dimension=k[2], key=k[3],
                              measure=k[4], value=v, suppressed=h)
               for k, (v, h) in wanted.items() if k not in existing or existing[k][1:] != (v, h)]
        for start in range(0, len(stale), 5000):
            CampaignFigure.objects.filter(pk__in=stale[start:start + 5000]).delete()
        CampaignFigure.objects.bulk_create(new, batch_size=2000)
        RefreshState.objects.update_or_create(name=state_name(campaign.pk), defaults={
            "started_at": started, "finished_at": timezone.now(), "done": len(wanted), "total": len(wanted),
            "error": ""})
    return Stored(campaign.pk, len(new), len(stale), len(wanted), len(computed.hidden),
                  (timezone.now() - started).total_seconds())


def _changed_since(campaign: Campaign, since: datetime) -> bool:
    if (campaign.opened_at and campaign.opened_at >= since) or (campaign.closed_at and campaign.closed_at >= since):
        return True
    return (CampaignTarget.objects.filter(campaign=campaign).filter(
        Q(finished_at__gte=since) | Q(student_decided_at__gte=since)).exists()
        or ConsentRecord.objects.filter(target__campaign=campaign, decided_at__gte=since).exists())


def reportable_campaigns():
    """Campaigns with figures and a report: opened at least once, not a monitoring series (its rounds are)."""
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).exclude(
        kind=Campaign.Kind.MONITORING, series__isnull=True)


def campaigns_to_refresh(now: datetime | None = None) -> list[Campaign]:
    """Open campaigns and those closed in the last RECENTLY_CLOSED whose answers, refusals or consent changed
    since their figures were computed, and a few campaigns never computed (oldest first)."""
    now = now or timezone.now()
    computed_at = {int(name.split(":", 1)[1]): started for name, started in RefreshState.objects.filter(
        name__startswith="campaign:", started_at__isnull=False).values_list("name", "started_at")}
    reportable = reportable_campaigns()
    live = list(reportable.filter(Q(status=Campaign.Status.OPEN) | Q(closed_at__gte=now - RECENTLY_CLOSED))
                .order_by("pk"))
    out = [c for c in live if c.pk not in computed_at or _changed_since(c, computed_at[c.pk])]
    chosen = {c.pk for c in live}
    never = reportable.exclude(pk__in=list(computed_at) + list(chosen)).order_by("window_start", "pk")
    return out + list(never[:BACKFILL_PER_PASS])


def refresh_campaign_figures(now: datetime | None = None) -> dict:
    """The scheduler's pass (beat entry analytics-campaign-figures): recompute the campaigns that changed.
    Idempotent; on PostgreSQL two passes never compute the same campaign at once (an advisory lock per
    campaign), and a campaign that fails is recorded in its RefreshState and retried on the next pass."""
    done, failed = [], []
    for campaign in campaigns_to_refresh(now):
        try:
            done.append(compute_campaign_figures(campaign).campaign_id)
        except Exception as error:  # one bad campaign must not stop the others
            logger.exception("campaign figures of campaign %s failed", campaign.pk)
            RefreshState.objects.update_or_create(name=state_name(campaign.pk),
                                                  defaults={"error": str(error)[:2000]})
            failed.append(campaign.pk)
    return {"computed": done, "failed": failed}
