"""Results for the psychology teacher: the list, one student's answers (read-audited), the class and grade
summary, the Excel export (no formula) and the FHIR export — and who is refused."""

import io
import json
import uuid

import pytest
from openpyxl import load_workbook

from runxin.access.models import ReadEvent
from runxin.screening import excel, services
from runxin.screening.core.fhir import validate_r4
from runxin.screening.models import Result, Submission
from runxin.testing import factories as f

from .helpers import gad7_answers, open_campaign, phqa_answers, target_of

pytestmark = pytest.mark.django_db


def hand_in(campaign, student, phqa=0, gad=0, q9=0) -> Submission:
    accepted = services.submission_accept(target=target_of(campaign, student), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(phqa, q9=q9), "gad7": gad7_answers(gad)})
    return Submission.objects.get(pk=accepted.submission_id)


def test_results_list_puts_the_most_urgent_first(world, client_for, campaign):
    hand_in(campaign, world.a1)
    hand_in(campaign, world.b1, phqa=0, q9=1)
    body = client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/results/").content.decode()
    assert body.index("王三") < body.index("张一")
    assert "tag red" in body
    attention = client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/results/?attention=1").content.decode()
    assert "王三" in attention and "张一" not in attention


def test_result_detail_shows_answers_and_is_read_audited(world, client_for, campaign):
    submission = hand_in(campaign, world.a1, phqa=1, q9=2)
    response = client_for(world.psych).get(f"/screening/results/{submission.pk}/")
    body = response.content.decode()
    assert response.status_code == 200 and "张一" in body and "精神卫生法" in body
    assert "一半以上的天数" in body or "More than half the days" in body  # the answer to item 9, as worded
    event = ReadEvent.objects.get()
    assert (event.user, event.student, event.record_type, event.record_id, event.via_break_glass) == (
        world.psych, world.a1, "screening.result", str(submission.pk), False)


@pytest.mark.parametrize(("who", "status"), [("other_psych", 404), ("head", 403), ("leader", 403),
                                             ("outsider", 403), ("mentor", 403), ("city_admin", 403)])
def test_results_are_refused_outside_clinical_scope(world, client_for, campaign, who, status):
    submission = hand_in(campaign, world.a1)
    client = client_for(getattr(world, who))
    assert client.get(f"/screening/results/{submission.pk}/").status_code == status
    result = submission.results.first()
    assert client.get(f"/screening/results/{submission.pk}/fhir/{result.pk}.json").status_code == status
    assert client.get(f"/screening/campaigns/{campaign.pk}/export.xlsx").status_code == status
    assert not ReadEvent.objects.exists()


def test_district_centre_sees_the_results_of_its_district(world, client_for, campaign):
    submission = hand_in(campaign, world.a1, phqa=1, q9=2)
    response = client_for(world.district_centre).get(f"/screening/results/{submission.pk}/")
    assert response.status_code == 200
    # The centre sees the same result the school does: the student and the answers as worded (item 9: 2).
    body = response.content.decode()
    assert "张一" in body and "More than half the days" in body
    assert ReadEvent.objects.filter(user=world.district_centre, student=world.a1).exists()


def test_results_list_query_count_does_not_grow(world, client_for, django_assert_max_num_queries):
    campaign = open_campaign(world)
    services.consent_mark_notified(user=world.psych, campaign=campaign, school_class=world.class1)
    extra = [f.StudentFactory(school_class=world.class1, birth_date=world.a1.birth_date.replace(year=2010))
             for _ in range(12)]
    from runxin.screening.services import _materialise_targets

    _materialise_targets(campaign)
    for student in [world.a1, world.a2, *extra]:
        hand_in(campaign, student, phqa=1, gad=1)
    client = client_for(world.psych)
    with django_assert_max_num_queries(15):  # +3: the read-audit rows of the listed students, in the view's own transaction (issue 9)
        response = client.get(f"/screening/campaigns/{campaign.pk}/results/")
    assert response.status_code == 200 and response.content.decode().count("/screening/results/") >= 14


def test_summary_counts_bands_per_class_and_grade(world, client_for, campaign):
    hand_in(campaign, world.a1, phqa=0, gad=0)
    hand_in(campaign, world.a2, phqa=3, gad=3)
    hand_in(campaign, world.b1, phqa=1, gad=2)
    client = client_for(world.psych)
    response = client.get(f"/screening/campaigns/{campaign.pk}/summary/")
    assert response.status_code == 200
    charts = json.loads(response.content.decode().split('id="chart-data" type="application/json">')[1].split("</script>")[0])
    gad = next(c for c in charts if c["id"] == "chart-gad7")
    assert gad["labels"] == ["七年级(1)班", "七年级(2)班"]
    by_level = {s["label"]: s["data"] for s in gad["series"]}
    assert sum(sum(v) for v in by_level.values()) == 3
    grade = client.get(f"/screening/campaigns/{campaign.pk}/summary/?by=grade").content.decode()
    assert "七年级" in grade
    assert client_for(world.head).get(f"/screening/campaigns/{campaign.pk}/summary/").status_code == 403


def test_excel_export_has_every_result_and_no_formula(world, client_for, campaign):
    world.a1.name = "=HYPERLINK(\"http://evil\",\"x\")"
    world.a1.save()
    world.a2.name = "+cmd|' /C calc'!A0"
    world.a2.save()
    hand_in(campaign, world.a1, phqa=2)
    hand_in(campaign, world.a2, q9=1)
    response = client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # streamed from a file
    values = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert not [v for v in values if v.startswith(excel.FORMULA_START)]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in values and "'+cmd|' /C calc'!A0" in values
    assert sheet.max_row == 3
    assert ReadEvent.objects.filter(record_type="screening.export").count() == 2


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_neutralises_every_formula_start(value):
    assert excel.safe_cell(value).startswith("'")


def test_safe_cell_keeps_numbers_and_plain_text():
    assert excel.safe_cell(-3) == -3 and excel.safe_cell(2.5) == 2.5 and excel.safe_cell("张一") == "张一"


def test_fhir_questionnaire_response_is_valid_r4(world, client_for, campaign):
    submission = hand_in(campaign, world.a1, phqa=2, q9=1)
    result = Result.objects.get(submission=submission, instrument_code="phqa")
    response = client_for(world.psych).get(f"/screening/results/{submission.pk}/fhir/{result.pk}.json")
    assert response.status_code == 200
    resource = response.json()
    validate_r4(resource)
    assert resource["resourceType"] == "QuestionnaireResponse" and resource["status"] == "completed"
    assert {i["linkId"] for i in resource["item"]} >= {"q1", "q9"}
    assert ReadEvent.objects.filter(record_type="screening.result.fhir", record_id=str(result.pk)).exists()
