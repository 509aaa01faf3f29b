"""The screening report pages: who opens which unit's report, the key students by name only with need-to-know
(read-audited), the counts for everyone else with the small ones hidden, the PDF with Chinese text and the Excel
workbook, and bad parameters answered with 404, never 500."""

import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from runxin.access.models import ReadEvent
from runxin.analytics import campaign_figures as cf
from runxin.analytics import screening_report
from runxin.converters import BIGINT_MAX
from runxin.org.models import OrgUnit
from runxin.screening import services
from runxin.screening.models import Campaign, Result
from runxin.screening.tests.test_individual_report_pdf import NO_GLYPH, assert_drawn

from .screening_report_city import city_fixture  # noqa: F401 — the module fixture "city"

pytestmark = pytest.mark.django_db

SHOTS = Path(__file__).resolve().parents[3] / "var" / "test-shots"


def url(name: str, campaign, unit) -> str:
    return reverse(f"analytics:{name}", args=[campaign.pk, unit.pk])


def key_names(city, school) -> set[str]:
    """The names of the school's key students, from the results themselves."""
    rows = Result.objects.filter(screening_report._key_condition(), campaign=city.campaign,
                                 target__school_id=school.pk)
    return set(rows.values_list("student__name", flat=True))


def figures_of(html: str) -> dict[str, str]:
    """data-fig → "value", or "hidden" (every hidden figure carries the same data-hidden mark)."""
    out = {}
    for match in re.finditer(r'data-fig="([^"]+)"(?: data-hidden="(\w+)"| data-value="(\d+)")', html):
        out[match[1]] = "hidden" if match[2] else match[3]
    return out


# ------------------------------------------------------------------------------------------------ access

def test_the_city_admin_reads_the_city_report_with_small_counts_hidden_and_no_names(city, client_for, english):
    response = client_for(city.city_admin).get(url("screening_report", city.campaign, city.city))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Coverage and completion" in html and "Comparison with earlier campaigns" in html
    assert "Dimensions most often positive" in html and "Invalid responses" in html
    figures = figures_of(html)
    hidden = [k for k, v in figures.items() if not v.isdigit()]
    assert hidden and set(re.findall(r'data-hidden="(\w+)"', html)) == {"1"}  # one mark, whatever the reason
    # What the page hides is what was stored as suppressed (this campaign and the earlier ones it compares with).
    stored = {f"c:{c}:{u}:{i}:{d}:{k}:{m}" for c, u, i, d, k, m in cf.CampaignFigure.objects.filter(
        suppressed=True).values_list("campaign_id", "unit_id", "instrument_code", "dimension", "key", "measure")}
    assert set(hidden) <= stored
    assert 'data-hidden="1"' in html and 'id="legend"' in html
    for name in key_names(city, city.school) | key_names(city, city.school2):
        assert name not in html
    assert not ReadEvent.objects.filter(user=city.city_admin).exists()
    # The districts link to their reports, which the city administrator may open too.
    assert url("screening_report", city.campaign, city.east) in html
    assert client_for(city.city_admin).get(url("screening_report", city.campaign, city.east)).status_code == 200


def test_the_school_psychology_teacher_sees_exact_figures_and_the_key_students_by_name(city, client_for, english):
    response = client_for(city.psych).get(url("screening_report", city.campaign, city.school))
    html = response.content.decode()
    assert response.status_code == 200
    figures = figures_of(html)
    assert figures and all(v.isdigit() for v in figures.values())  # need-to-know: exact
    names = key_names(city, city.school)
    assert names and all(name in html for name in names)
    assert "Key students by name" in html
    # Band labels and critical questions: the psychology teacher may see screening results.
    assert "critical question" in html or "severe" in html.lower()
    others = key_names(city, city.other_school)
    assert not any(name in html for name in others - names)
    audited = set(ReadEvent.objects.filter(user=city.psych, record_type="screening_report.key_students")
                  .values_list("student__name", flat=True))
    assert audited == names
    # The action status: the warning each screening raised, one of them acknowledged.
    assert "Acknowledged" in html or "acknowledged" in html


def test_the_school_leader_sees_the_names_without_the_screening_details(city, client_for, english):
    html = client_for(city.leader).get(url("screening_report", city.campaign, city.school)).content.decode()
    assert all(name in html for name in key_names(city, city.school))
    assert "The screening details (bands, questions) are for the psychology teachers." in html
    assert "high band" in html or "positive critical question" in html


def test_the_district_centre_reads_its_district_exactly_and_no_other(city, client_for, english):
    client = client_for(city.district_centre)
    html = client.get(url("screening_report", city.campaign, city.east)).content.decode()
    assert all(v.isdigit() for v in figures_of(html).values())
    assert city.school2.name in html and city.other_school.name not in html
    assert client.get(url("screening_report", city.campaign, city.west)).status_code == 404
    assert client.get(url("screening_report", city.campaign, city.other_school)).status_code == 404
    assert client.get(url("screening_report", city.campaign, city.city)).status_code == 404


def test_the_supervisor_reads_counts_only(city, client_for, english):
    html = client_for(city.supervisor).get(url("screening_report", city.campaign, city.school)).content.decode()
    assert any(not v.isdigit() for v in figures_of(html).values())
    assert not any(name in html for name in key_names(city, city.school))
    assert "Each school's report lists its key students by name" not in html  # a school's page …
    assert "The names are shown only to those who may see these students' risk levels" in html


@pytest.mark.parametrize("who", ["head", "mentor", "hotline", "outsider", "auditor", "sysadmin"])
def test_people_without_the_report_permission_are_refused(city, client_for, who):
    client = client_for(getattr(city, who))
    for name in ("screening_report", "screening_report_pdf", "screening_report_xlsx"):
        assert client.get(url(name, city.campaign, city.school)).status_code == 403
    assert client.get(reverse("analytics:screening_reports")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(city, client):
    response = client.get(url("screening_report", city.campaign, city.school))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_school_opens_its_own_report_only(city, client_for):
    client = client_for(city.psych)
    assert client.get(url("screening_report", city.campaign, city.school)).status_code == 200
    for unit in (city.school2, city.other_school, city.east, city.city):
        for name in ("screening_report", "screening_report_pdf", "screening_report_xlsx"):
            assert client.get(url(name, city.campaign, unit)).status_code == 404, (name, unit)


def test_bad_parameters_are_404_never_500(city, client_for):
    client = client_for(city.city_centre)
    draft = services.campaign_create(user=city.city_centre, spec=services.CampaignSpec(
        name="草稿", kind=Campaign.Kind.UNIVERSAL, owner=city.city, window_start=city.campaign.window_start,
        window_end=city.campaign.window_end, consent_mode=Campaign.ConsentMode.OPT_OUT,
        versions=[city.mini], grades=[7], groups=[], key_students=False, student_numbers=[]))
    school_campaign = services.campaign_open(user=city.psych, campaign=services.campaign_create(
        user=city.psych, spec=services.CampaignSpec(
            name="校内普测", kind=Campaign.Kind.UNIVERSAL, owner=city.school, window_start=city.campaign.window_start,
            window_end=city.campaign.window_end, consent_mode=Campaign.ConsentMode.OPT_OUT,
            versions=[city.mini], grades=[7], groups=[], key_students=False, student_numbers=[])))
    cases = [
        (city.campaign.pk, city.class1.pk),  # a class: not a report unit
        (city.campaign.pk, OrgUnit.objects.get(pk=city.class1.parent_id).pk),  # a grade
        (draft.pk, city.city.pk),  # a draft has no report
        (school_campaign.pk, city.city.pk),  # a school's campaign has no city report
        (999_999_999, city.city.pk), (city.campaign.pk, 999_999_999), (BIGINT_MAX, BIGINT_MAX),
    ]
    for campaign_id, unit_id in cases:
        for name in ("screening_report", "screening_report_pdf", "screening_report_xlsx"):
            response = client.get(reverse(f"analytics:{name}", args=[campaign_id, unit_id]))
            assert response.status_code == 404, (name, campaign_id, unit_id, response.status_code)
    assert client.get(url("screening_report", school_campaign, city.school)).status_code == 200
    assert client.post(url("screening_report", city.campaign, city.city)).status_code == 405
    # Outside the campaign's reach: the other district's school campaign, for the east district's centre.
    west_campaign = services.campaign_open(user=city.other_psych, campaign=services.campaign_create(
        user=city.other_psych, spec=services.CampaignSpec(
            name="西区校内普测", kind=Campaign.Kind.UNIVERSAL, owner=city.other_school,
            window_start=city.campaign.window_start, window_end=city.campaign.window_end,
            consent_mode=Campaign.ConsentMode.OPT_OUT, versions=[city.mini], grades=[7], groups=[],
            key_students=False, student_numbers=[])))
    east = client_for(city.district_centre)
    assert east.get(url("screening_report", west_campaign, city.other_school)).status_code == 404


def test_the_list_of_reports_and_the_campaign_page_link(city, client_for, english):
    html = client_for(city.psych).get(reverse("analytics:screening_reports") + "?list").content.decode()
    assert url("screening_report", city.campaign, city.school) in html
    assert url("screening_report", city.campaign, city.city) not in html
    page = client_for(city.psych).get(reverse("screening:campaign_detail", args=[city.campaign.pk])).content.decode()
    assert url("screening_report", city.campaign, city.school) in page
    page = client_for(city.city_centre).get(reverse("screening:campaign_detail", args=[city.campaign.pk]))
    assert url("screening_report", city.campaign, city.city) in page.content.decode()
    head = client_for(city.head).get(reverse("screening:campaign_detail", args=[city.campaign.pk])).content.decode()
    assert "/analytics/screening/" not in head  # a head teacher has no report


def test_the_comparison_names_the_earlier_campaigns_and_their_rule(city, client_for, english):
    html = client_for(city.city_centre).get(url("screening_report", city.campaign, city.city)).content.decode()
    assert city.spring.name in html and city.last_year.name in html
    assert "opened closest to the same day one year earlier" in html
    assert f'data-fig="c:{city.last_year.pk}:{city.city.pk}::all::targets"' in html
    assert screening_report.previous_campaign(city.campaign) == city.spring
    assert screening_report.same_season_last_year(city.campaign) == city.last_year
    assert screening_report.same_season_last_year(city.spring) is None


def test_a_report_before_the_figures_are_computed_says_so(city, client_for, english):
    cf.CampaignFigure.objects.filter(campaign=city.campaign).delete()
    cf.RefreshState.objects.filter(name=cf.state_name(city.campaign.pk)).delete()
    html = client_for(city.psych).get(url("screening_report", city.campaign, city.school)).content.decode()
    assert "have not been computed yet" in html
    assert not ReadEvent.objects.filter(user=city.psych).exists()


# ---------------------------------------------------------------------------------------------- PDF, Excel

def test_the_pdf_renders_chinese_text_on_a_page_that_is_not_blank(city, client_for):
    import pypdfium2

    response = client_for(city.psych).get(url("screening_report_pdf", city.campaign, city.school))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert city.campaign.name in text and city.school.name in text  # 秋季开学普测, 东区第一中学
    assert "七年级(1)班" in text
    assert all(name in text for name in key_names(city, city.school))
    assert not set(text) & (NO_GLYPH | {"\u25e6"})  # characters the CID font lacks are written as ones it has
    assert_drawn(response.content, city.campaign.name)  # real glyphs, not blanks or tofu
    image = document[0].render(scale=1.5).to_pil().convert("L")
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SHOTS / "screening_report_school_p1.png")
    dark = image.histogram()[:128]
    dark = sum(dark)
    assert dark > 0.005 * image.width * image.height  # text and bars, not a blank page
    assert ReadEvent.objects.filter(user=city.psych, record_type="screening_report.key_students").exists()


def test_the_city_pdf_names_nobody(city, client_for):
    import pypdfium2

    content = client_for(city.city_admin).get(url("screening_report_pdf", city.campaign, city.city)).content
    document = pypdfium2.PdfDocument(content)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "测试市" in text and "东区" in text and "*" in text
    assert not any(name in text for name in key_names(city, city.school) | key_names(city, city.school2))


def _workbook(client, campaign, unit):
    response = client.get(url("screening_report_xlsx", campaign, unit))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)


def test_the_excel_has_one_sheet_per_table_and_names_only_for_need_to_know(city, client_for, english):
    book = _workbook(client_for(city.district_centre), city.campaign, city.east)
    names = book.sheetnames
    assert names[0].startswith("01 ") and any("Key students" in n for n in names)
    built = screening_report.build(city.district_centre, city.campaign, city.east, language="en", names=False)
    assert len([n for n in names if n[:2].isdigit()]) == len(built.tables) + 1  # + the named key students
    coverage = list(book[names[0]].iter_rows(values_only=True))
    assert coverage[0][:3] == ("Unit", "Students asked", "Handed in")
    assert coverage[1][1] == 81 and coverage[1][0] == "All (东区)"
    key_sheet = [n for n in names if "Key students" in n][-1]
    listed = {row[2] for row in list(book[key_sheet].iter_rows(values_only=True))[1:]}
    assert listed == key_names(city, city.school) | key_names(city, city.school2)
    # The city administrator's workbook of the same district: hidden figures as marks, no names.
    book = _workbook(client_for(city.city_admin), city.campaign, city.east)
    cells = {c for sheet in book.sheetnames for row in book[sheet].iter_rows(values_only=True) for c in row}
    assert "*" in cells
    assert not (cells & (key_names(city, city.school) | key_names(city, city.school2)))
    assert any("Legend" in n for n in book.sheetnames)
