"""Small counts on the home-visit coverage pages (issue 13, point 5): outside need-to-know the hiding is
complementary and decided once over the city (published.py), so no page shows a 1–4, no figure is shown on one
page and hidden on another, and the subtraction attack over every page of the city learns nothing. Someone with
the names sees exact figures."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from runxin.accounts.models import User
from runxin.analytics.core.disclosure import attack
from runxin.analytics.core.suppression import is_small
from runxin.org.models import OrgUnit
from runxin.people.models import Student
from runxin.testing.clock import frozen_at, local
from runxin.visits import published, selectors, services

pytestmark = pytest.mark.django_db

CELL = re.compile(r'data-fig="(visits:[^"]+)" (?:data-value="(\d+)"|data-hidden="(1)")>([^<]*)<')
KINDS = ("city", "district", "school", "grade", "class")
TODAY = local(2031, 11, 20)


@pytest.fixture
def city(settings, tmp_path):
    """The demo city, small (300 students), with its semester's home visits: classes with 1–4 not visited."""
    settings.VAR_DIR = tmp_path
    with frozen_at(TODAY):
        call_command("demo_city", students=300, seed=7, no_history=True, stdout=StringIO())
        yield OrgUnit.objects.get(kind="city")


def read(client, unit: OrgUnit) -> dict[str, int | None]:
    """Every figure of a unit's coverage page: key → value shown, None when marked hidden."""
    response = client.get(reverse("visits:coverage") + f"?unit={unit.pk}")
    assert response.status_code == 200
    cells: dict[str, int | None] = {}
    for key, value, hidden, text in CELL.findall(response.content.decode()):
        shown = None if hidden else int(value)
        assert text == ("*" if hidden else value)
        assert cells.setdefault(key, shown) == shown
    return cells


def truth(units: list[OrgUnit]) -> dict[str, int]:
    """Each page's figures counted on their own with the selectors (the unit as the root): key → exact value."""
    values = {}
    for unit in units:
        data = selectors.coverage(unit)
        rows = [(("unit", unit.pk), data.totals)] + [
            (("unit", r.unit_id) if r.unit_id else ("rest", unit.pk), r.figures) for r in data.children]
        for node, figures in rows:
            for name, value in published.exact(figures).items():
                values[f"visits:{published.node_key(node)}:{name}"] = value
    return values


def lines_of(units: list[OrgUnit]) -> list[tuple[str, ...]]:
    """What anyone knows, from the tree: a unit's figure is the sum of its children's (a city's districts, a
    district's schools, a school's classes, a grade's classes), and a requirement's applies-to is met + missing."""
    def key(unit_id: int, name: str) -> str:
        return f"visits:unit-{unit_id}:{name}"

    by_parent: dict[int, list[int]] = {}
    for u in units:
        if u.kind == "class":
            by_parent.setdefault(u.school_id, []).append(u.pk)
            by_parent.setdefault(u.parent_id, []).append(u.pk)
        elif u.kind != "grade" and u.parent_id:
            by_parent.setdefault(u.parent_id, []).append(u.pk)
    names = [*selectors.COUNT_FIELDS, *(m for _a, _b, m in published.REQUIREMENT_FIELDS.values())]
    lines = [(key(parent, n), *(key(k, n) for k in kids)) for parent, kids in by_parent.items() for n in names]
    for u in units:
        for met, of, missing in published.REQUIREMENT_FIELDS.values():
            lines.append((key(u.pk, of), key(u.pk, met), key(u.pk, missing)))
    return lines


def test_outside_need_to_know_no_small_count_is_shown_or_worked_out(city, client_for):
    units = list(OrgUnit.objects.filter(path__startswith=city.path, kind__in=KINDS).order_by("depth", "pk"))
    assert not Student.objects.filter(status="enrolled", school_class__isnull=True).exists()
    with frozen_at(TODAY):
        values = truth(units)
        lines = lines_of(units)
        for line in lines:  # every line is exact: the total is the sum of its parts
            assert values.get(line[0], 0) == sum(values.get(k, 0) for k in line[1:]), line
        assert sum(is_small(v) for v in values.values()) > 30  # plenty of small counts to hide
        assert attack(values, lines, {k for k, v in values.items() if is_small(v)}).recovered  # "<5" alone leaks

        client = client_for(User.objects.get(username="city_admin"))
        seen: dict[str, int | None] = {}
        for unit in units:
            for k, shown in read(client, unit).items():
                assert shown is None or not is_small(shown), (unit, k, shown)
                assert shown is None or shown == values[k], (unit, k)
                assert seen.setdefault(k, shown) == shown, f"{k} shown on one page and hidden on another"
        hidden = {k for k, v in seen.items() if v is None}
        assert any(is_small(values[k]) for k in hidden) and any(values[k] >= 5 for k in hidden)  # complementary
        unknown = (set(values) | {k for line in lines for k in line}) - {k for k, v in seen.items() if v is not None}
        result = attack(values, lines, unknown)
        assert result.recovered == {} and result.small_sums == []


def test_a_recorded_visit_shows_at_once_and_the_names_holder_sees_exact_figures(city, client_for,
                                                                              django_capture_on_commit_callbacks):
    with frozen_at(TODAY):
        head = User.objects.get(username="head_teacher")
        school_class = OrgUnit.objects.get(pk=head.role_assignments.get().org_unit_id)
        admin = client_for(User.objects.get(username="city_admin"))
        key = f"visits:unit-{school_class.pk}:home"
        before = read(admin, school_class)
        student = (Student.objects.filter(school_class=school_class, status="enrolled")
                   .exclude(family_contacts__kind="home_visit", family_contacts__status="done").first())
        assert student is not None
        with django_capture_on_commit_callbacks(execute=True):  # the commit moves the decision's version
            services.contact_record(actor=head, student=student, kind="home_visit", done_on=TODAY.date(),
                                    summary="谈了作息", visitors="班主任", met_with="母亲")
        after = read(admin, school_class)
        exact = truth([school_class])
        assert after.get(key) in (None, exact[key]) and exact[key] == selectors.coverage(school_class).totals.home
        assert before.get(key) is None or before[key] + 1 == exact[key]
        # The head teacher has the names: the class page gives exact figures, small ones too, nothing hidden.
        body = client_for(head).get(reverse("visits:class", args=[school_class.pk])).content.decode()
        assert "data-hidden" not in body
        shown = {k: int(v) for k, v, _h, _t in CELL.findall(body)}
        assert shown and all(shown[k] == exact[k] for k in shown)


def test_the_scheduled_decision_is_what_the_pages_read(city, client_for, settings, monkeypatch):
    """Beat's "visits-coverage-decide" decides every city ahead of its viewers: the page then decides nothing."""
    from runxin.visits import tasks

    assert settings.CELERY_BEAT_SCHEDULE["visits-coverage-decide"]["task"] == tasks.coverage_decide.name
    settings.REPORT_DECISION_SECONDS = 0
    assert tasks.coverage_decide() == {"cities": 0}
    settings.REPORT_DECISION_SECONDS = 60
    with frozen_at(TODAY):
        assert tasks.coverage_decide() == {"cities": 1}
        decided = []
        original = published.decide
        monkeypatch.setattr(published, "decide", lambda c, today: (decided.append(c.pk), original(c, today=today))[1])
        school = OrgUnit.objects.filter(kind="school").order_by("pk").first()
        cells = read(client_for(User.objects.get(username="city_admin")), school)
        assert decided == [] and cells
