"""The zoning page and the white paper on a demo-like city (test_facts.build_city: the demo generator's city, a
semester through the real services, the figures rebuilt): both pages answer, show no small figure to a viewer
outside need-to-know, and their sums over months, added to every line the stored figures stand in, leave the
subtraction attack nothing — no hidden figure recovered, no line whose hidden figures add up to less than 5."""

import re
from html import unescape

import pypdfium2
import pytest
from django.urls import reverse

from runxin.accounts.models import User
from runxin.analytics import facts, white_paper, zoning
from runxin.analytics.core.disclosure import attack
from runxin.analytics.core.suppression import SMALL
from runxin.analytics.models import UnitFigure
from runxin.analytics.tests.test_facts import MONTHS, TODAY, city_for_the_module, month_lines
from runxin.org.models import OrgUnit, SchoolYear
from runxin.testing.clock import frozen_at

pytestmark = pytest.mark.django_db

FIG = re.compile(r'<td[^>]*data-fig="([^"]+)"([^>]*)>([^<]*)</td>')


@pytest.fixture(scope="module", name="demo_city")
def demo_city_fixture(django_db_setup, django_db_blocker, tmp_path_factory):
    with city_for_the_module(django_db_blocker, tmp_path_factory.mktemp("city")) as school:
        yield school


@pytest.fixture
def at_today(settings):
    settings.RISK_ZONING_MIN_STUDENTS = 50  # the demo city's districts are small
    with frozen_at(TODAY):
        yield


def _risk_cells(html: str) -> list[tuple[str, str, str]]:
    """(key, attributes, text) of every figure cell but the numbers of students (never hidden)."""
    return [(key, attrs, unescape(text)) for key, attrs, text in FIG.findall(html)
            if key.split(":")[2] not in facts.NEVER_SUPPRESSED]


def _no_small_figure_shown(html: str) -> int:
    cells = _risk_cells(html)
    for key, attrs, text in cells:
        if "data-hidden" in attrs:
            assert text == "*" and "data-value" not in attrs, (key, text)
        else:
            value = int(re.search(r'data-value="(\d+)"', attrs).group(1))
            assert not 0 < value < SMALL, (key, value)
    return len(cells)


def test_the_pages_answer_and_show_no_small_figure(client, demo_city, at_today):
    client.force_login(User.objects.get(username="city_admin"))
    zoning_html = client.get(reverse("analytics:zoning")).content.decode()
    assert _no_small_figure_shown(zoning_html) > 4
    paper = client.get(reverse("analytics:white_paper"))
    assert paper.status_code == 200
    assert _no_small_figure_shown(paper.content.decode()) > 40
    pdf = client.get(reverse("analytics:white_paper_pdf"))
    text = "\n".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf.content))
    assert "学生心理健康年度白皮书" in text or "yearly white paper" in text.lower()


def test_the_sums_leave_the_subtraction_attack_nothing(demo_city, at_today):
    city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
    districts = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT).order_by("pk"))
    values: dict[tuple, int] = {}
    lines: list[list[tuple]] = []
    for month in MONTHS:
        month_values, month_lines_ = month_lines(month)
        values.update({(unit, month, measure): value for (unit, measure), value in month_values.items()})
        lines += [[(unit, month, measure) for unit, measure in line] for line in month_lines_]
    hidden = {(unit, month, measure) for unit, month, measure in
              UnitFigure.objects.filter(month__in=MONTHS, suppressed=True).values_list("unit_id", "month", "measure")}
    # The white paper's sums over the school year (the same decision the zoning page reads for its window).
    year = SchoolYear.objects.get(is_current=True)
    months = white_paper.year_months(year, TODAY.date())
    assert months == MONTHS
    sums = zoning.city_sums(city, districts, months)
    units = [city.pk, *(d.pk for d in districts)]
    for (unit, measure), figure in sums.figures.items():
        values[(unit, "sum", measure)] = figure.value
        if figure.hidden:
            hidden.add((unit, "sum", measure))
        lines.append([(unit, "sum", measure), *((unit, month, measure) for month in months)])
    measures = {measure for _unit, measure in sums.figures}
    for measure in measures:
        lines.append([(city.pk, "sum", measure), *((unit, "sum", measure) for unit in units[1:])])
    for unit in units:
        for total, parts in facts.breakdowns([m.split(".")[-1] for m in sums.level_measures]).items():
            if total in measures:
                lines.append([(unit, "sum", total), *((unit, "sum", part) for part in parts)])
    # The demo's semester left something to protect: small counts among the months, and sums hidden with them.
    assert any(0 < values.get(key, 0) < SMALL for key in hidden)
    assert any(figure.hidden for figure in sums.figures.values())
    result = attack(values, lines, hidden)
    assert result.recovered == {} and result.small_sums == []
