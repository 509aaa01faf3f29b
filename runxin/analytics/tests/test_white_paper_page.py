"""The white paper's preview page and PDF download: who may make it (the city, a district for itself) and who may
not, the school year and unit chosen (a bad choice is a 404, never a 500), the published figures' markup, and
the PDF."""

from datetime import date

import pypdfium2
import pytest
from django.urls import reverse

from runxin.analytics.models import UnitFigure
from runxin.analytics.tests.test_white_paper import paper_figures
from runxin.testing import factories as f

PAGE = reverse("analytics:white_paper")
PDF = reverse("analytics:white_paper_pdf")


@pytest.fixture
def figures(world):
    paper_figures(world)


def test_the_city_previews_its_paper(client_for, world, figures, english):
    response = client_for(world.city_admin).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "yearly white paper" in html and "测试市 · school year 2026-2027" in html
    for ident in ("coverage", "bands", "trends", "warnings", "staffing", "about"):
        assert f'id="wp-{ident}"' in html
    # Every figure with its markup: 东区's new warnings shown, 西区's incidents withheld.
    assert f'data-fig="sum:{world.east.pk}:warnings.new:2026-09:' in html
    assert f'data-fig="sum:{world.west.pk}:incidents.new:2026-09:' in html
    west_incidents = html.split(f'data-fig="sum:{world.west.pk}:incidents.new:2026-09:')[1].split("</td>")[0]
    assert 'data-hidden="1"' in west_incidents and west_incidents.endswith("*")
    assert f'href="{PDF}?unit={world.city.pk}&amp;year=2026-2027"' in html
    assert "东区第一中学" not in html and "西区实验学校" not in html


def test_the_paper_is_published_as_everyone_sees_it_even_by_the_care_team(client_for, world, figures):
    html = client_for(world.city_centre).get(PAGE).content.decode()
    west_incidents = html.split(f'data-fig="sum:{world.west.pk}:incidents.new:2026-09:')[1].split("</td>")[0]
    assert 'data-hidden="1"' in west_incidents and 'data-value' not in west_incidents


def test_a_district_makes_its_own_paper_only(client_for, world, figures):
    client = client_for(world.district_centre)
    html = client.get(PAGE).content.decode()
    assert "东区 · " in html and f'<option value="{world.west.pk}"' not in html
    assert f'data-fig="sum:{world.west.pk}:' not in html
    assert client.get(PAGE, {"unit": world.west.pk}).status_code == 404
    assert client.get(PDF, {"unit": world.city.pk}).status_code == 404


def test_the_city_may_make_a_districts_paper(client_for, world, figures):
    html = client_for(world.city_admin).get(PAGE, {"unit": world.west.pk}).content.decode()
    assert f'data-fig="sum:{world.west.pk}:incidents.new:' in html
    assert f'data-fig="sum:{world.east.pk}:' not in html


@pytest.mark.parametrize("who", ["supervisor", "leader", "psych", "head", "hotline", "sysadmin", "outsider"])
def test_others_are_refused(client_for, world, who):
    client = client_for(getattr(world, who))
    assert client.get(PAGE).status_code == 403
    assert client.get(PDF).status_code == 403


def test_a_visitor_is_sent_to_sign_in_and_posting_is_refused(client, client_for, world):
    assert client.get(PDF).status_code == 302
    assert client_for(world.city_admin).post(PAGE).status_code == 405


def test_the_year_is_chosen(client_for, world, figures):
    earlier = f.school_year("2025-2026", current=False)
    UnitFigure.objects.create(unit=world.city, month=date(2026, 3, 1), measure="warnings.new", value=777)
    client = client_for(world.city_admin)
    html = client.get(PAGE, {"year": "2025-2026"}).content.decode()
    assert f'<option value="{earlier.code}" selected>' in html
    assert f'data-fig="sum:{world.city.pk}:warnings.new:2025-09:2026-08"' in html and ">777<" in html
    # The default is the current school year.
    assert f'data-fig="sum:{world.city.pk}:warnings.new:2026-09:' in client.get(PAGE).content.decode()


@pytest.mark.parametrize("query", [{"year": "2031-2032"}, {"year": "nonsense"}, {"year": "2026-2027x"},
                                   {"unit": "abc"}, {"unit": "999999"}, {"unit": "１"}, {"unit": "-1"}])
def test_a_bad_choice_is_not_found(client_for, world, query):
    client = client_for(world.city_admin)
    assert client.get(PAGE, query).status_code == 404
    assert client.get(PDF, query).status_code == 404


def test_a_year_not_begun_is_not_offered(client_for, world):
    f.school_year("2027-2028", current=False)
    client = client_for(world.city_admin)
    assert client.get(PAGE, {"year": "2027-2028"}).status_code == 404
    assert 'value="2027-2028"' not in client.get(PAGE).content.decode()


def test_the_pdf_is_downloaded(client_for, world, figures):
    response = client_for(world.city_admin).get(PDF, {"year": "2026-2027"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="white-paper-{world.city.pk}-2026-2027.pdf"'
    document = pypdfium2.PdfDocument(response.content)
    text = document[0].get_textpage().get_text_range()
    assert "测试市" in text and "2026-2027" in text


def test_the_queries_do_not_grow_with_the_districts(client_for, world, figures):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.city_admin)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as two:
        client.get(PAGE)
    for n in range(4):
        district = f.district(world.city, f"新区{n}", f"D-N{n}")
        f.school(district, f"新区{n}学校", f"S-N{n}")
    with CaptureQueriesContext(connection) as six:
        client.get(PAGE)
    assert len(six) == len(two)
