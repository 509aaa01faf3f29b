"""The suppression walk (issue 13, point 5): "A test walks every group-by combination of every dashboard and
report, and tries the subtraction attack." On the demo city (the demo command's city and semester, its service
groups, the dashboards' figures rebuilt, every campaign's figures computed):

1. The stored figures. For every month and measure of UnitFigure and every campaign's CampaignFigure, the lines
   are built here from the region tree and the measures (not taken from the code that suppressed them): each
   must be exact (total = sum of parts, or the attack reasons on a falsehood), every 1–4 of a figure about
   risk is hidden, and the attack (core/disclosure.py: subtraction, zeros, ranges across lines) pins nothing.

2. The pages. Every route of the analytics URLconf, with every unit, group and campaign, and every page those
   link to or offer in a GET form (months, units, school years), is opened by viewers without need-to-know
   (the city administrator, supervisors at the city and a district) and by people with need-to-know of a part
   only (district centre staff, a school's psychology teacher). Every data-fig cell is read (the contract's
   markup). Outsiders together: no 1–4 shown, the same key shown alike everywhere and equal to the stored
   figure, a rate of a hidden figure not shown, and an attacker holding every shown value, every figure not
   suppressed and every line (the stored ones, service groups against their schools, sums over months
   against the months, a campaign's lines) pins no hidden figure. Each insider: the same attack with what
   they see exactly added to what they know must pin nothing of units outside their need-to-know.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from runxin.accounts.models import User
from runxin.alerts.models import WarningLevel
from runxin.analytics import campaign_figures as cf
from runxin.analytics import facts, selectors
from runxin.analytics.core.disclosure import attack
from runxin.analytics.core.suppression import SMALL, is_small
from runxin.analytics.models import CampaignFigure, UnitFigure
from runxin.org.models import OrgUnit, ServiceGroup, ServiceGroupSchool
from runxin.screening.models import Campaign
from runxin.testing import factories as f
from runxin.testing.clock import frozen_at, local

pytestmark = pytest.mark.django_db

STUDENTS = 300
TODAY = local(2031, 11, 20)
# Routes whose answer is a file (no data-fig markup to read): what they hold is the HTML page's, drawn again.
FILES = re.compile(r"_(pdf|xlsx)$")


# ------------------------------------------------------------------------------------------------ the city

@pytest.fixture
def city(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    with frozen_at(TODAY):
        # The semester only (no past years): every route and page kind is walked the same, over far fewer pages (the
        # past's figures are checked against raw SQL in test_facts_demo).
        call_command("demo_city", students=STUDENTS, seed=7, no_history=True, stdout=StringIO())  # rebuilds the UnitFigures
        psych = User.objects.get(username="psych_teacher")
        school = OrgUnit.objects.get(pk=psych.role_assignments.get().org_unit_id)
        district = OrgUnit.objects.get(pk=school.parent_id)
        assert ServiceGroupSchool.objects.filter(school=school).exists()  # the demo's groups: pages add up schools
        for campaign in Campaign.objects.order_by("pk"):
            cf.compute_campaign_figures(campaign)
        users = {name: User.objects.get(username=name)
                 for name in ("city_admin", "supervisor", "district_centre", "psych_teacher")}
        users["district_supervisor"] = f.UserFactory(username="district_supervisor")
        f.assign(users["district_supervisor"], "supervisor", district)
        yield {"school": school, "district": district, "users": users}


# ----------------------------------------------------------------------------------------- stored figures

def uf_key(unit: int, measure: str, month: date) -> str:
    return f"u:{unit}:{measure}:{month:%Y-%m}"


def cf_key(campaign: int, unit: int, instrument: str, dimension: str, key: str, measure: str) -> str:
    return f"c:{campaign}:{unit}:{instrument}:{dimension}:{key}:{measure}"


def is_public(key: str) -> bool:
    """A stored figure never suppressed: enrolled students and screening coverage (UnitFigure), the numbers asked
    and screened overall, by grade and by sex (CampaignFigure, engineer D's rule)."""
    kind, _colon, rest = key.partition(":")
    if kind == "u":
        return rest.split(":")[1] in facts.NEVER_SUPPRESSED
    if kind == "c":
        _campaign, unit, instrument, dimension, dkey, measure = rest.split(":", 5)
        return (int(unit), instrument, dimension, dkey, measure) not in cf.CANDIDATES
    return False


@dataclass
class Figures:
    """Figures under their page keys, the suppressed ones, those never suppressed, and the lines between them."""

    values: dict[str, int] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    public: set[str] = field(default_factory=set)
    lines: list[tuple[str, ...]] = field(default_factory=list)

    def value(self, key: str) -> int:
        return self.values.get(key, 0)

    def inexact(self) -> list:
        return [(line, self.value(line[0]), sum(self.value(k) for k in line[1:])) for line in self.lines
                if self.value(line[0]) != sum(self.value(k) for k in line[1:])]


def tree() -> tuple[dict[int, list[int]], dict[int, str]]:
    children: dict[int, list[int]] = defaultdict(list)
    kinds = {}
    for unit, parent, kind in OrgUnit.objects.filter(kind__in=facts.TREE_KINDS).order_by("pk") \
            .values_list("pk", "parent_id", "kind"):
        kinds[unit] = kind
        if parent is not None:
            children[parent].append(unit)
    return children, kinds


def unit_figures() -> Figures:
    """Every stored UnitFigure, and the lines an attacker knows: each unit with its children per measure and
    month, each unit's breakdowns (new and current warnings by level, results by band)."""
    out = Figures()
    months = set()
    for unit, month, measure, value, suppressed in UnitFigure.objects.values_list(
            "unit_id", "month", "measure", "value", "suppressed"):
        key = uf_key(unit, measure, month)
        out.values[key] = value
        months.add(month)
        if suppressed:
            out.hidden.add(key)
        if measure in facts.NEVER_SUPPRESSED:
            out.public.add(key)
    codes = list(WarningLevel.objects.values_list("code", flat=True))
    measures = [m.code for m in facts.measures(WarningLevel.objects.all())]
    children, kinds = tree()
    for month in sorted(months):
        for parent, kids in children.items():
            below_schools = kinds[kids[0]] in (OrgUnit.Kind.GRADE, OrgUnit.Kind.CLASS)
            for measure in measures:
                if measure in facts.NEVER_SUPPRESSED or (measure in facts.SCHOOL_AND_ABOVE and below_schools):
                    continue
                out.lines.append((uf_key(parent, measure, month), *(uf_key(k, measure, month) for k in kids)))
        for unit in kinds:
            for total, parts in facts.breakdowns(codes).items():
                out.lines.append((uf_key(unit, total, month), *(uf_key(unit, p, month) for p in parts)))
    return out


def campaign_figures(campaign: Campaign) -> Figures:
    """A campaign's stored figures and its lines: each figure of a unit against its child units' (region tree),
    the partitions (targets = done + declined + pending; results = bands + unbanded = levels + unbanded; done =
    results + unanswered), "all" against the sexes and against the grades, and whatever more the screening
    report's own lines say (a school's grade against its grade units)."""
    out = Figures()
    for unit, instrument, dimension, key, measure, value, suppressed in CampaignFigure.objects.filter(
            campaign=campaign).values_list("unit_id", "instrument_code", "dimension", "key", "measure", "value",
                                           "suppressed"):
        name = cf_key(campaign.pk, unit, instrument, dimension, key, measure)
        out.values[name] = value
        if suppressed:
            out.hidden.add(name)
    computed = cf.compute(campaign)
    out.public = {cf_key(campaign.pk, *k) for k in computed.grid | set(computed.values) if k not in cf.CANDIDATES}
    grid = computed.grid
    children, _kinds = tree()
    by_unit: dict[int, set[tuple]] = defaultdict(set)
    for unit, *rest in grid:
        by_unit[unit].add(tuple(rest))
    lines = set()
    for parent, kids in children.items():
        for rest in by_unit.get(parent, ()):
            members = [(kid, *rest) for kid in kids if rest in by_unit.get(kid, ())]
            if members:
                lines.add(((parent, *rest), *members))
    for unit, rests in by_unit.items():
        for instrument, dimension, key, measure in rests:
            head = (unit, instrument, dimension, key)
            if instrument == cf.CAMPAIGN and measure == "targets":
                lines.add(((*head, "targets"), (*head, "done"), (*head, "declined"), (*head, "pending")))
            if instrument != cf.CAMPAIGN and measure == "results":
                bands = sorted(m for i, d, k, m in rests if (i, d, k) == head[1:] and m.startswith("band:"))
                levels = sorted(m for i, d, k, m in rests if (i, d, k) == head[1:] and m.startswith("level:"))
                lines.add(((*head, "results"), *((*head, b) for b in bands), (*head, cf.UNBANDED)))
                lines.add(((*head, "results"), *((*head, lv) for lv in levels), (*head, cf.UNBANDED)))
                lines.add(((unit, cf.CAMPAIGN, dimension, key, "done"), (*head, "results"), (*head, "unanswered")))
            if dimension == cf.ALL and not measure.startswith("invalid:"):
                for by in (cf.SEX, cf.GRADE):
                    keys = sorted(k for i, d, k, m in rests if (i, d, m) == (instrument, by, measure))
                    if keys:
                        lines.add(((unit, instrument, cf.ALL, "", measure),
                                   *((unit, instrument, by, k, measure) for k in keys)))
    lines.update(tuple(line) for line in computed.lines)
    out.lines = [tuple(cf_key(campaign.pk, *k) for k in line) for line in sorted(lines)]
    return out


def assert_protected(figures: Figures, what: str) -> None:
    assert figures.inexact() == [], f"{what}: lines that are not the sum of their parts"
    visible_small = [k for k, v in figures.values.items()
                     if is_small(v) and k not in figures.hidden and k not in figures.public]
    assert visible_small == [], f"{what}: 1–4 not hidden"
    assert not figures.hidden & figures.public, f"{what}: a public figure hidden"
    found = attack(figures.values, figures.lines, figures.hidden)
    assert found.recovered == {}, f"{what}: hidden figures the attack pins"
    # A public total of 1–4 (3 students screened, say) says by itself that its hidden parts are small.
    small = [(line, rest) for line, rest in found.small_sums
             if not (line[0] in figures.public and is_small(figures.value(line[0])))]
    assert small == [], f"{what}: lines whose hidden parts add up to less than {SMALL}"


def test_the_stored_figures_hide_every_small_count_and_the_attack_pins_none(city):
    units = unit_figures()
    assert_protected(units, "UnitFigure")
    # Not a walk over empty tables: the semester left small counts, hidden ones and complementary ones.
    small = {k for k, v in units.values.items() if is_small(v) and k not in units.public}
    assert len(small) > 20 and small <= units.hidden and len(units.hidden - small) > 5
    campaigns = list(Campaign.objects.order_by("pk"))
    assert campaigns
    for campaign in campaigns:
        figures = campaign_figures(campaign)
        assert_protected(figures, f"campaign {campaign.pk}")
    assert CampaignFigure.objects.filter(suppressed=True).exists()


# ---------------------------------------------------------------------------------------------- the pages

class Page(HTMLParser):
    """A page's data-fig cells (key → [(value or None, hidden or None)]), rate cells (key → texts), links and
    GET forms (action, {select name: [option values]})."""

    def __init__(self, html: str):
        super().__init__()
        self.figures: dict[str, list[tuple[int | None, str | None]]] = defaultdict(list)
        self.rates: dict[str, list[str]] = defaultdict(list)
        self.links: list[str] = []
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._rate: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-fig" in attrs:
            value = attrs.get("data-value")
            self.figures[attrs["data-fig"]].append((int(value) if value is not None else None,
                                                   attrs.get("data-hidden")))
        if "data-rate-of" in attrs:
            self._rate, self._text = attrs["data-rate-of"], []
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self.forms.append((attrs.get("action") or "", {}))
        if tag == "select" and self.forms:
            self._select = attrs.get("name")
            self.forms[-1][1][self._select] = []
        if tag == "option" and self._select and self.forms:
            self.forms[-1][1][self._select].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._rate is not None:
            self.rates[self._rate].append(data.strip())
            self._rate = None


def analytics_routes() -> list[tuple[str, URLPattern]]:
    """Every route of the analytics namespace (name, pattern)."""
    found = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "analytics":
            found += [(p.name, p) for p in entry.url_patterns if isinstance(p, URLPattern)]
    return found


def seeds(routes) -> list[str]:
    """Each route opened with every unit, service group and campaign it takes."""
    from django.urls import reverse

    units = list(OrgUnit.objects.filter(kind__in=facts.TREE_KINDS).values_list("pk", flat=True))
    choices = {"unit_id": units, "group_id": list(ServiceGroup.objects.values_list("pk", flat=True)),
               "campaign_id": list(Campaign.objects.values_list("pk", flat=True))}
    urls = []
    for name, pattern in routes:
        if FILES.search(name):
            continue
        params = list(pattern.pattern.converters)
        unknown = [p for p in params if p not in choices]
        assert not unknown, f"the walk does not know which values analytics:{name} takes for {unknown}"
        for combo in itertools.product(*(choices[p] for p in params)):
            urls.append(reverse(f"analytics:{name}", kwargs=dict(zip(params, combo, strict=True))))
    return urls


def walkable(url: str, base: str) -> str | None:
    """The URL to open when a page links to `url` (relative to `base`), or None outside the analytics pages or
    for a file."""
    parts = urlsplit(urljoin(base, url))
    if parts.netloc and parts.netloc != "testserver":
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.namespace != "analytics" or FILES.search(match.url_name or ""):
        return None
    query = urlencode(sorted(parse_qsl(parts.query)))
    return parts.path + (f"?{query}" if query else "")


def form_urls(base: str, action: str, selects: dict[str, list[str]]) -> list[str]:
    """Every combination a GET form offers (each select's options)."""
    target = urljoin(base, action or urlsplit(base).path)
    names = sorted(selects)
    return [f"{target}?{urlencode(dict(zip(names, combo, strict=True)))}"
            for combo in itertools.product(*(selects[n] for n in names))]


@dataclass
class Walk:
    pages: dict[str, Page] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)


def walk(client, start: list[str]) -> Walk:
    out = Walk()
    queue = deque(start)
    seen = set(start)
    while queue:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code == 302:  # a list of one goes straight to it
            nxt = walkable(response["Location"], url)
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
            continue
        if response.status_code in (403, 404):
            out.refused.add(url)
            continue
        assert response.status_code == 200, (url, response.status_code)
        if not response["Content-Type"].startswith("text/html"):
            continue
        page = Page(response.content.decode())
        out.pages[url] = page
        found = [walkable(link, url) for link in page.links]
        for action, selects in page.forms:
            found += [walkable(u, url) for u in form_urls(url, action, selects)]
        for nxt in found:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return out


def shown(walks: list[Walk]) -> tuple[dict[str, set[int]], set[str], dict[str, list[str]]]:
    """What the pages show: key → the values shown, the keys shown hidden, rate texts by the key they rate."""
    values: dict[str, set[int]] = defaultdict(set)
    hidden: set[str] = set()
    rates: dict[str, list[str]] = defaultdict(list)
    for w in walks:
        for page in w.pages.values():
            for key, cells in page.figures.items():
                for value, mark in cells:
                    if mark:
                        hidden.add(key)
                    else:
                        values[key].add(value)
            for key, texts in page.rates.items():
                rates[key] += texts
    return values, hidden, rates


def month(text: str) -> date:
    year, number = text.split("-")
    return date(int(year), int(number), 1)


def page_lines(keys: set[str], stored: Figures) -> Figures:
    """The figures pages make from stored ones (key kinds of the contract's markup), with their values, lines
    and which are public (made of public figures only): g: a service group's sum of its schools, gc: the same of
    campaign coverage, d: what a coverage misses (students − visited), sum: a sum over months. Fails on a kind
    it does not know, so a new kind of figure is taught to the walk before it ships."""
    values: dict[str, int] = {}
    lines: list[tuple[str, ...]] = []
    public: set[str] = set()
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, school_id in ServiceGroupSchool.objects.order_by("school_id").values_list("group_id", "school_id"):
        members[group_id].append(school_id)
    children, _kinds = tree()
    windows: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for key in sorted(keys):
        kind, _colon, rest = key.partition(":")
        if kind in ("u", "c"):
            continue
        if kind == "g":
            group, measure, at = rest.split(":")
            lines.append((key, *(uf_key(s, measure, month(at)) for s in members[int(group)])))
        elif kind == "gc":
            campaign, group, instrument, dimension, dkey, measure = rest.split(":", 5)
            lines.append((key, *(cf_key(int(campaign), s, instrument, dimension, dkey, measure)
                                 for s in members[int(group)])))
        elif kind == "d":
            unit, measure, at = rest.split(":")
            covered = measure.removesuffix(".missing")
            whole = "students" if covered == "visits.covered" else "visits.key_students"
            lines.append((uf_key(int(unit), whole, month(at)), uf_key(int(unit), covered, month(at)), key))
            values[key] = stored.value(lines[-1][0]) - stored.value(lines[-1][1])
            if is_public(lines[-1][0]) and is_public(lines[-1][1]):
                public.add(key)
            continue
        elif kind == "sum":
            unit, measure, first, last = rest.split(":")
            lines.append((key, *(uf_key(int(unit), measure, m) for m in months_from(month(first), month(last)))))
            windows[(measure, first, last)].add(int(unit))
        else:
            raise AssertionError(f"the walk does not know the lines of figures keyed {kind!r} ({key})")
        values[key] = sum(stored.value(k) for k in lines[-1][1:])
        if all(is_public(k) for k in lines[-1][1:]):
            public.add(key)
    # Sums over the same months add up along the tree and along each breakdown too.
    codes = list(WarningLevel.objects.values_list("code", flat=True))
    for (measure, first, last), units in windows.items():
        for unit in units:
            kids = children.get(unit, [])
            if kids and all(k in units for k in kids):
                lines.append((f"sum:{unit}:{measure}:{first}:{last}",
                              *(f"sum:{k}:{measure}:{first}:{last}" for k in kids)))
    for total, parts in facts.breakdowns(codes).items():
        for (measure, first, last), units in windows.items():
            if measure != total:
                continue
            for unit in units:
                if all(unit in windows.get((p, first, last), ()) for p in parts):
                    lines.append((f"sum:{unit}:{total}:{first}:{last}",
                                  *(f"sum:{unit}:{p}:{first}:{last}" for p in parts)))
    return Figures(values=values, public=public, lines=lines)


def units_of(key: str) -> set[int]:
    """The units whose students a figure counts (a service group's: its schools)."""
    kind, _colon, rest = key.partition(":")
    parts = rest.split(":")
    if kind in ("u", "d", "sum"):
        return {int(parts[0])}
    if kind == "c":
        return {int(parts[1])}
    group = int(parts[0] if kind == "g" else parts[1])
    return set(ServiceGroupSchool.objects.filter(group_id=group).values_list("school_id", flat=True))


def months_from(first: date, last: date) -> list[date]:
    out = [first]
    while out[-1] < last:
        at = out[-1]
        out.append(date(at.year + at.month // 12, at.month % 12 + 1, 1))
    return out


OUTSIDERS = ("city_admin", "supervisor", "district_supervisor")  # need-to-know of no student
INSIDERS = ("district_centre", "psych_teacher")  # need-to-know of their district's, their school's students


def stored_figures() -> Figures:
    out = unit_figures()
    for campaign in Campaign.objects.order_by("pk"):
        more = campaign_figures(campaign)
        out.values.update(more.values)
        out.hidden |= more.hidden
        out.public |= more.public
        out.lines += more.lines
    return out


def pinned(stored: Figures, seen: dict[str, set[int]], hidden_on_pages: set[str]) -> tuple[dict, list]:
    """The attack of someone who knows every figure not suppressed, every value `seen` on the pages and every
    line: what it pins among the figures hidden from them, and the small sums it finds."""
    derived = page_lines(set(seen) | hidden_on_pages, stored)
    values = {**stored.values, **derived.values}
    public = stored.public | derived.public
    unknown = (stored.hidden | hidden_on_pages | {k for k in derived.values if k not in seen}) - set(seen)
    found = attack(values, stored.lines + derived.lines, unknown)
    small = [(line, rest) for line, rest in found.small_sums
             if not (line[0] in public and is_small(values.get(line[0], 0)))]
    return found.recovered, small


def walk_as(city, client_for, names) -> tuple[list[tuple[str, URLPattern]], dict[str, Walk]]:
    routes = analytics_routes()
    start = seeds(routes)
    with frozen_at(TODAY):
        return routes, {name: walk(client_for(city["users"][name]), start) for name in names}


def test_the_pages_show_no_small_count_and_the_attack_across_them_pins_none(city, client_for):
    routes, walks = walk_as(city, client_for, OUTSIDERS)
    stored = stored_figures()

    # Every page of figures was opened.
    opened = {resolve(urlsplit(url).path).url_name for w in walks.values() for url in w.pages}
    assert {name for name, _pattern in routes if not FILES.search(name)} <= opened

    # All outsiders together: one face per figure, the stored one, no small count, no rate of a hidden one.
    seen, hidden, rates = shown(list(walks.values()))
    assert len(seen) > 500 and len(hidden) > 20  # not a walk over empty pages
    assert sorted(set(seen) & hidden) == [], "shown on one page, hidden on another"
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}, "different values under one key"
    stored_kinds = [k for k in seen if k.startswith(("u:", "c:"))]
    assert {k: seen[k] for k in stored_kinds if seen[k] != {stored.value(k)}} == {}, "not the stored figure"
    assert sorted(k for k in stored_kinds if k in stored.hidden) == [], "a suppressed figure shown"
    public = stored.public | page_lines(set(seen) | hidden, stored).public
    assert sorted(k for k, v in seen.items() if is_small(next(iter(v))) and k not in public) == [], \
        "a count of 1–4 shown"
    assert {k: t for k, t in rates.items() if k in hidden and any(ch.isdigit() for ch in "".join(t))} == {}, \
        "a rate of a hidden figure shown"
    recovered, small = pinned(stored, seen, hidden)
    assert recovered == {}, "the attack across the pages pins hidden figures"
    assert small == [], f"hidden parts adding up to less than {SMALL}"


# Every caller of suppress() passes owner= (the unit), so an insider of one unit pins nothing of the others.
def test_people_who_know_one_unit_pin_nothing_of_the_others_across_the_pages(city, client_for):
    _routes, walks = walk_as(city, client_for, INSIDERS)
    stored = stored_figures()
    tree_units = list(OrgUnit.objects.filter(kind__in=facts.TREE_KINDS))
    for name in INSIDERS:
        user = city["users"][name]
        mine, mine_hidden, _rates = shown([walks[name]])
        assert mine, name
        recovered, _small = pinned(stored, mine, mine_hidden)
        theirs = {u.pk for u in tree_units if selectors.needs_to_know(user, u)}
        assert theirs, name
        # A unit above theirs (the city, for a district's staff) counts their students and others': what they
        # pin there is their own plus a sum of others', which pins another unit only if it shows up below.
        mixed = {above for u in tree_units if u.pk in theirs for above in u.ancestor_ids}
        outside = {k: v for k, v in recovered.items() if units_of(k).isdisjoint(theirs | mixed)}
        assert outside == {}, f"{name} pins figures of units outside their need-to-know"
