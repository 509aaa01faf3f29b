"""Small counts on the warning overview (issue 13, point 5): outside need-to-know the hiding is complementary and
decided once over the city, so no page shows a 1–4, no figure is shown on one page and hidden on another, and
the subtraction attack over every page of the city learns nothing. The care team sees exact figures."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from runxin.accounts.models import User
from runxin.alerts import selectors_reports as sel
from runxin.alerts.models import WarningLevel
from runxin.analytics.core.disclosure import attack
from runxin.analytics.core.suppression import is_small
from runxin.org.models import OrgUnit
from runxin.testing.clock import frozen_at, local

pytestmark = pytest.mark.django_db

CELL = re.compile(r'data-fig="([^"]+)" (?:data-value="(\d+)"|data-hidden="(1)")[^>]*>([^<]*)<')
KINDS = ("city", "district", "school", "grade", "class")


@pytest.fixture
def city(settings, tmp_path):
    """The demo city, small (300 students): its classes and schools hold 1–4 warned students."""
    settings.VAR_DIR = tmp_path
    with frozen_at(local(2031, 11, 20)):
        call_command("demo_city", students=300, seed=7, no_history=True, stdout=StringIO())
        yield OrgUnit.objects.get(kind="city")


def read(client, unit: OrgUnit) -> dict[str, int | None]:
    """Every figure of a unit's overview page: key → value shown, None when marked hidden."""
    response = client.get(reverse("alerts:overview", args=[unit.pk]))
    assert response.status_code == 200
    cells = {}
    for key, value, hidden, text in CELL.findall(response.content.decode()):
        shown = None if hidden else int(value)
        assert text == ("*" if hidden else value)
        assert cells.setdefault(key, shown) == shown  # a figure repeated on a page (the totals) looks the same
        cells[key] = shown
    return cells


def truth(units: list[OrgUnit]) -> dict[str, int]:
    """Each page's figures counted on their own (the unit as the root, not the city): key → exact value."""
    values = {}
    for unit in units:
        data = sel.overview(unit)
        rows = [((unit.pk, ""), sel.ALL_LEVELS, data["totals"])] + [(f.node, lv.pk, f) for lv, f in data["levels"]]
        rows += [(c["node"], sel.ALL_LEVELS, c["total"]) for c in data["children"]]
        for node, level, figures in rows:
            for name in sel.Figures.NAMES:
                values[sel.page_key((*node, name, level))] = getattr(figures, name)
        for c in data["children"]:
            for level_id, n in c["current_by_level"]:
                values[sel.page_key((*c["node"], "current", level_id))] = n
    return values


def lines_of(units: list[OrgUnit], levels: list[int]) -> list[tuple[str, ...]]:
    """What anyone knows, built from the tree (not from the selector's lines): a unit's figure is the sum of
    its children's (a city's districts, a district's schools, a school's grades and its classes, a grade's
    classes), per figure and level; and a unit's currently warned students are the sum over levels (a student
    has one open warning)."""
    key = sel.page_key
    by_parent: dict[tuple[int, str], list[int]] = {}
    for u in units:
        if u.kind == "class":
            by_parent.setdefault((u.school_id, "class"), []).append(u.pk)
            by_parent.setdefault((u.parent_id, "class"), []).append(u.pk)
        elif u.parent_id:
            by_parent.setdefault((u.parent_id, u.kind), []).append(u.pk)
    lines = []
    for (parent, _kind), kids in by_parent.items():
        for name in sel.Figures.NAMES:
            for level in [sel.ALL_LEVELS, *levels]:
                lines.append((key((parent, "", name, level)), *(key((k, "", name, level)) for k in kids)))
    for u in units:
        lines.append((key((u.pk, "", "current", sel.ALL_LEVELS)),
                      *(key((u.pk, "", "current", level)) for level in levels)))
    return lines


def test_outside_need_to_know_no_small_count_is_shown_or_worked_out(city, client_for):
    units = list(OrgUnit.objects.filter(path__startswith=city.path, kind__in=KINDS).order_by("depth", "pk"))
    levels = list(WarningLevel.objects.values_list("pk", flat=True))
    tree = sel.overview_tree(city)
    assert not tree.remainders  # every demo student is placed in a class
    values = truth(units)
    lines = lines_of(units, levels) + [tuple(sel.page_key(k) for k in line) for line in tree.lines]
    for line in lines:  # every line is exact: the total is the sum of its parts
        assert values.get(line[0], 0) == sum(values.get(k, 0) for k in line[1:]), line
    assert sum(is_small(v) for v in values.values()) > 50  # the city has plenty of small counts to hide
    # Hiding the 1–4 alone (the old "<5") gives them away: the lines have teeth.
    assert attack(values, lines, {k for k, v in values.items() if is_small(v)}).recovered

    for username in ("city_admin", "supervisor"):
        client = client_for(User.objects.get(username=username))
        seen: dict[str, int | None] = {}
        pages = {"city": 0, "district": 0}
        for unit in units:
            cells = read(client, unit)
            pages[unit.kind] = pages.get(unit.kind, 0) + 1
            for k, shown in cells.items():
                assert shown is None or not is_small(shown), (unit, k, shown)
                assert shown is None or shown == values[k], (unit, k)
                assert seen.setdefault(k, shown) == shown, f"{k} shown on one page and hidden on another"
        assert pages["district"] >= 2
        hidden = {k for k, v in seen.items() if v is None}
        assert any(is_small(values[k]) for k in hidden) and any(values[k] >= 5 for k in hidden)  # complementary
        # The attacker holds every shown figure of every page and every line; whatever is not shown is unknown.
        unknown = (set(values) | {k for line in lines for k in line}) - {k for k, v in seen.items() if v is not None}
        result = attack(values, lines, unknown)
        assert result.recovered == {} and result.small_sums == []


def test_the_care_team_sees_exact_figures(city, client_for):
    psych = User.objects.get(username="psych_teacher")
    school = OrgUnit.objects.get(pk=psych.role_assignments.get().org_unit_id)
    cells = read(client_for(psych), school)
    exact = truth([school])
    assert cells == exact  # every figure shown, none hidden
    assert any(is_small(v) for v in cells.values())
    body = client_for(psych).get(reverse("alerts:overview", args=[school.pk])).content.decode()
    assert 'data-hidden' not in body and 'id="hidden-legend"' not in body


def test_the_decision_is_reused_for_a_minute_across_pages_and_viewers(city, client_for, settings, monkeypatch):
    """With REPORT_DECISION_SECONDS the city's counting and hiding run once for every page of that minute."""
    from django.core.cache import cache

    settings.REPORT_DECISION_SECONDS = 60
    cache.delete(f"alerts:overview:{city.pk}")
    counted = []
    original = sel.overview_tree
    monkeypatch.setattr(sel, "overview_tree", lambda root: (counted.append(root.pk), original(root))[1])
    district = OrgUnit.objects.filter(kind="district").order_by("pk").first()
    first = read(client_for(User.objects.get(username="city_admin")), city)
    again = read(client_for(User.objects.get(username="supervisor")), district)
    assert counted == [city.pk]  # one count for the city, the district page read it
    assert all(again.get(k, v) == v for k, v in first.items())  # the same figures hidden and shown
    body = client_for(User.objects.get(username="city_admin")).get(
        reverse("alerts:overview", args=[city.pk])).content.decode()
    assert "once a minute" in body
    cache.delete(f"alerts:overview:{city.pk}")


def test_the_scheduled_count_is_what_the_pages_read(city, client_for, settings, monkeypatch):
    """Beat's "alerts-overview-count" counts every city ahead of its viewers: the page then counts nothing."""
    from django.core.cache import cache

    from runxin.alerts import tasks
    from runxin.alerts.scheduler import task_for

    assert settings.CELERY_BEAT_SCHEDULE["alerts-overview-count"]["task"] == tasks.overview_count.name
    assert task_for(tasks.overview_count.name).name == tasks.overview_count.name  # the scheduler finds it
    settings.REPORT_DECISION_SECONDS = 0
    assert tasks.overview_count() == {"cities": 0}  # decisions not reused: nothing to count ahead
    settings.REPORT_DECISION_SECONDS = 60
    cache.delete(f"alerts:overview:{city.pk}")
    assert tasks.overview_count() == {"cities": 1}
    counted = []
    original = sel.overview_tree
    monkeypatch.setattr(sel, "overview_tree", lambda root: (counted.append(root.pk), original(root))[1])
    cells = read(client_for(User.objects.get(username="city_admin")), city)
    assert counted == [] and any(v is None for v in cells.values())
    cache.delete(f"alerts:overview:{city.pk}")
