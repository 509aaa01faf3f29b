"""What each voice says. The professional report carries scores, bands, critical items with their text and the
history of the same instrument; the careful report never does (no band label, no clinical word, no score, no
question text), puts strengths first, matches its steps to the level of concern, names whom to ask, and answers a
positive critical item with "we will talk with you soon" and the help lines first."""

import datetime as dt
import json
import re
import uuid

import pytest
from django.utils import timezone

from runxin.screening import help, individual_report, services
from runxin.screening.core.definition import text_in
from runxin.screening.models import InstrumentVersion, Submission

from .helpers import FREQ, gad7_answers, open_campaign, phqa_answers, target_of

pytestmark = pytest.mark.django_db

# Words a careful report never says, in either language: the clinical names behind the bands.
CLINICAL_WORDS = ["抑郁", "焦虑", "症状", "阳性", "临界", "重度", "中度", "轻度", "患者", "自杀", "诊断为",
                  "depress", "anxiety", "anxious", "symptom", "severe", "moderate", "mild", "suicid", "positive",
                  "cut-off", "cutoff", "disorder"]


def hand_in(campaign, student, *, phqa=None, gad=None) -> Submission:
    accepted = services.submission_accept(target=target_of(campaign, student), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa or phqa_answers(0), "gad7": gad or gad7_answers(0)})
    return Submission.objects.get(pk=accepted.submission_id)


def band_labels() -> set[str]:
    """Every band and outcome label of every published instrument, in both languages."""
    labels = set()
    for version in InstrumentVersion.objects.filter(is_published=True):
        definition = services.definition_of(version)
        for scale in definition.scales:
            for band in scale.bands:
                labels |= set(band.label.values())
        for outcome in definition.outcomes:
            labels |= set(outcome.label.values())
    return labels


def item_texts(code: str, *item_ids: str) -> set[str]:
    definition = services.definition_of(InstrumentVersion.objects.get(instrument__code=code, is_published=True))
    return {text for item in definition.items if item.id in item_ids for text in item.text.values()}


def visible(html: str) -> str:
    """The page's text as a reader sees it (markup and scripts removed)."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def share(client_for, world, submission, *audiences):
    client_for(world.psych).post(f"/screening/results/{submission.pk}/feedback/share/", {"audience": list(audiences)})


def family_page(client_for, world, submission, language: str) -> str:
    response = client_for(world.parent).get(f"/screening/family/reports/{submission.pk}/",
                                            HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return visible(response.content.decode())


def test_the_professional_report_has_scores_bands_critical_items_and_subscales(world, client_for, campaign):
    submission = hand_in(campaign, world.a1, phqa=phqa_answers(2, q9=1), gad=gad7_answers(2))
    phqa = submission.results.get(instrument_code="phqa")
    body = visible(client_for(world.psych).get(f"/screening/results/{submission.pk}/report/").content.decode())
    total = phqa.score["total"]
    assert str(total["value"]) == "17"
    assert "17" in body and text_in(total["band"]["label"], "en") in body
    assert "Thoughts that you would be better off dead" in body  # item 9 as worded, with the answer given
    assert "Several days" in body and "Thoughts of death or self-harm reported" in body
    assert "GAD-7 total score" in body and "14" in body
    assert "No earlier result of this instrument for this student." in body


def test_the_professional_report_shows_the_history_of_the_same_instrument(world, client_for, campaign):
    earlier = open_campaign(world, name="2026 春季普测", window_start=timezone.localdate() - dt.timedelta(days=1))
    from .helpers import notify_guardians

    notify_guardians(world, earlier)
    first = hand_in(earlier, world.a1, phqa=phqa_answers(1))
    now = hand_in(campaign, world.a1, phqa=phqa_answers(2))
    response = client_for(world.psych).get(f"/screening/results/{now.pk}/report/")
    html = response.content.decode()
    assert "2026 春季普测" in html and f"/screening/results/{first.pk}/report/" in html
    charts = json.loads(html.split('id="report-history-data" type="application/json">')[1].split("</script>")[0])
    phqa = next(chart for chart in charts if chart["id"] == "history-phqa")
    assert phqa["values"] == [8, 16]  # oldest first
    # The other school's psychology teacher sees neither (404), so no history leaks across schools.
    assert client_for(world.other_psych).get(f"/screening/results/{first.pk}/report/").status_code == 404


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_careful_report_never_says_a_band_a_score_or_a_critical_question(world, client_for, campaign, language):
    submission = hand_in(campaign, world.a1, phqa=phqa_answers(2, q9=1), gad=gad7_answers(3))
    share(client_for, world, submission, "parents")
    text = family_page(client_for, world, submission, language)
    for label in band_labels():
        assert label not in text, label
    lowered = text.lower()
    for word in CLINICAL_WORDS:
        assert word not in lowered, word
    for question in item_texts("phqa", "q9", "past_month_thoughts", "lifetime_attempt"):
        assert question not in text
    without_dates_and_numbers = re.sub(r"\d{4}-\d{2}-\d{2}|\b1[12][0-9]{3}\b|\b1[12]0\b", " ", text)
    for result in submission.results.all():
        assert not re.search(rf"\b{int(result.total)}\b", without_dates_and_numbers), result.total
    # The PDF the family downloads says no more than the page.
    from .test_individual_report_pdf import pdf_text

    pdf = pdf_text(client_for(world.parent).get(f"/screening/family/reports/{submission.pk}.pdf",
                                                HTTP_ACCEPT_LANGUAGE=language).content)
    for label in band_labels():
        assert label not in pdf
    for question in item_texts("phqa", "q9"):
        assert question not in pdf


def test_a_positive_critical_item_is_never_answered_with_reassurance_alone(world, client_for, campaign):
    """Every other answer at 0, item 9 'several days': the report says the school will talk soon, help lines
    first, and its tone is the supportive one, not 'things are going well'."""
    submission = hand_in(campaign, world.a1, phqa=phqa_answers(0, q9=1))
    report = individual_report.careful(submission)
    assert report.urgent and report.tone == individual_report.SUPPORT
    share(client_for, world, submission, "parents")
    text = family_page(client_for, world, submission, "en")
    soon = text.index("We will talk with you soon")
    assert soon < text.index("What went well")
    number = help.hotlines()[0][0]
    assert text.index(number) < text.index("What went well")  # the help lines come first
    assert "will talk with you in person soon" in text
    assert "things have been going fairly well" not in text
    assert "The school will contact you soon." in text


def test_all_well_gives_strengths_and_everyday_advice(world, client_for, campaign):
    submission = hand_in(campaign, world.a1)
    report = individual_report.careful(submission)
    assert (report.tone, report.urgent, report.look_after) == (individual_report.CALM, False, [])
    assert "Sleep: sleeping well most nights." in report.strengths
    assert "Worries: worries stay manageable." in report.strengths
    share(client_for, world, submission, "parents")
    text = family_page(client_for, world, submission, "en")
    assert text.index("What went well") < text.index("How things are") < text.index("What you can do")
    assert "things have been going fairly well" in text
    assert "We will talk with you soon" not in text
    # Whom to ask: the school's psychology teacher and the class's head teacher by name, and the help lines.
    assert "The school's psychology teacher: psych" in text and "Head teacher: head" in text
    assert all(number in text for number, _label in help.hotlines())


def test_the_steps_follow_the_level_of_concern(world, campaign):
    care = hand_in(campaign, world.a1, gad=gad7_answers(2))  # GAD-7 14: a moderate band
    support = hand_in(campaign, world.a2, phqa=phqa_answers(3))  # PHQ-A 24: a high band
    care_report, support_report = individual_report.careful(care), individual_report.careful(support)
    assert care_report.tone == individual_report.CARE and support_report.tone == individual_report.SUPPORT
    assert any("two weeks or more" in step for step in care_report.student_steps)
    assert any("will ask you for a time to talk" in step for step in support_report.student_steps)
    assert any("medical institution" in step for step in support_report.parent_steps)
    assert not any("medical institution" in step for step in care_report.parent_steps)
    # Strengths are the areas with no difficulty: PHQ-A all 0 for 张一, so mood and sleep went well; worries did not.
    assert "Sleep: sleeping well most nights." in care_report.strengths
    assert "Worries: worries stay manageable." not in care_report.strengths
    assert "worries" in care_report.look_after


def test_one_hard_area_is_named_gently_and_gets_its_tip(world, campaign):
    answers = phqa_answers(0) | {"q3": FREQ[3]}  # sleep: nearly every day; everything else: not at all
    report = individual_report.careful(hand_in(campaign, world.a1, phqa=answers))
    assert report.look_after == ["sleep"]
    assert "Sleep: sleeping well most nights." not in report.strengths
    assert "Mood: in good spirits most of the time lately." in report.strengths
    assert any(step.startswith("Sleep: go to bed") for step in report.student_steps)


def test_invalid_answers_say_little(world, campaign):
    submission = hand_in(campaign, world.a1)
    submission.results.update(validity="invalid")
    report = individual_report.careful(Submission.objects.get(pk=submission.pk))
    assert report.tone == individual_report.UNCLEAR
    assert report.strengths == [report.strengths[-1]]  # only "taking part"


def test_the_professional_report_reads_the_history_in_one_query(world, client_for, campaign):
    """Queries do not grow with the number of earlier campaigns (one history query for all instruments)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .helpers import notify_guardians

    now = hand_in(campaign, world.a1)
    client = client_for(world.psych)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/screening/results/{now.pk}/report/").status_code == 200
        return len(queries)

    before = count()
    for n in range(3):
        earlier = open_campaign(world, name=f"earlier {n}")
        notify_guardians(world, earlier)
        hand_in(earlier, world.a1, phqa=phqa_answers(n))
    assert count() == before
