"""The student page's warnings and screenings sections, made through the real screening and warnings services."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from runxin.access.models import ReadEvent
from runxin.alerts import intake as alert_intake
from runxin.alerts import services as alerts
from runxin.alerts.models import Warning
from runxin.screening import services as screening
from runxin.screening.models import Campaign, InstrumentVersion, Result

pytestmark = pytest.mark.django_db
FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _phqa() -> InstrumentVersion:
    screening.instruments_load_shipped()
    return InstrumentVersion.objects.filter(instrument__code="phqa", is_published=True).latest("id")


@pytest.fixture
def screened(world):
    """a1 answered a PHQ-A with a moderate total: a result, a flag, a yellow warning."""
    today = timezone.localdate()
    campaign = screening.campaign_create(user=world.psych, spec=screening.CampaignSpec(
        name="秋季普测", kind=Campaign.Kind.UNIVERSAL, owner=world.school, window_start=today,
        window_end=today + timedelta(days=7), consent_mode=Campaign.ConsentMode.OPT_OUT, versions=[_phqa()],
        grades=[7], groups=[], key_students=False, student_numbers=[]))
    campaign = screening.campaign_open(user=world.psych, campaign=campaign)
    screening.consent_mark_notified(user=world.psych, campaign=campaign, school_class=world.class1)
    target = campaign.targets.select_related("campaign", "student", "consent").get(student=world.a1)
    answers = {f"q{n}": FREQ[2] for n in range(1, 7)} | {f"q{n}": FREQ[0] for n in range(7, 10)}
    answers |= {"past_year": "no", "past_month_thoughts": "no", "lifetime_attempt": "no", "difficulty": "LA6573-5"}
    accepted = screening.submission_accept(target=target, client_id=uuid.uuid4(), answers={"phqa": answers},
                                           elapsed={"phqa": 120})
    screening.flags_hand_over_pending()
    return accepted.submission_id


def test_psych_teacher_sees_warnings_screenings_and_the_report_link(world, client_for, screened):
    warning = Warning.objects.get(student=world.a1)
    response = client_for(world.psych).get(reverse("people:student_detail", args=[world.a1.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="warnings"' in html and f'href="/alerts/{warning.pk}/"' in html
    assert "Raised" in html
    assert 'id="screenings"' in html and "秋季普测" in html
    assert reverse("screening:result_detail", args=[screened]) in html
    assert "Moderate" in html  # the band label
    assert f'{reverse("alerts:report")}?student={world.a1.pk}' in html
    # The clinical read is audited along with the profile read.
    kinds = set(ReadEvent.objects.filter(user=world.psych).values_list("record_type", flat=True))
    assert {"student.profile", "screening.results"} <= kinds


def test_head_teacher_sees_the_warning_level_but_no_screening_results(world, client_for, screened):
    response = client_for(world.head).get(reverse("people:student_detail", args=[world.a1.pk]))
    html = response.content.decode()
    assert 'id="warnings"' in html and "Yellow" in html
    assert 'id="screenings"' not in html and "秋季普测" not in html
    assert reverse("screening:result_detail", args=[screened]) not in html
    assert not ReadEvent.objects.filter(user=world.head, record_type="screening.results").exists()
    assert f'{reverse("alerts:report")}?student={world.a1.pk}' in html  # a head teacher reports observations


def test_student_without_warning_or_results_says_so(world, client_for, screened):
    html = client_for(world.psych).get(reverse("people:student_detail", args=[world.b1.pk])).content.decode()
    assert "No warning about this student." in html
    assert "No screening results for this student." in html


def test_other_school_and_outsider_get_nothing(world, client_for, screened):
    url = reverse("people:student_detail", args=[world.a1.pk])
    assert client_for(world.other_psych).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code in (403, 404)


def test_mentor_sees_the_warning_but_no_results(world, client_for, screened):
    # The mentor reaches b1 (mentor pair): level and state yes, clinical results no.
    warning = alert_intake.warning_report(actor=world.psych, student=world.b1, source="observation", summary="哭泣")
    html = client_for(world.mentor).get(reverse("people:student_detail", args=[world.b1.pk])).content.decode()
    assert f'href="/alerts/{warning.pk}/"' in html
    assert 'id="screenings"' not in html


def test_student_page_query_count_is_bounded(world, client_for, screened, django_assert_max_num_queries):
    """The sections cost a fixed number of queries, however many warnings and results the student has."""
    client = client_for(world.psych)
    url = reverse("people:student_detail", args=[world.a1.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    # More history: the open warning is dismissed and two more are raised and dismissed in turn.
    for n in range(2):
        warning = Warning.objects.get(student=world.a1, state__in=["raised", "acknowledged"])
        if warning.state == "raised":
            warning = alerts.warning_acknowledge(warning=warning, actor=world.psych)
        alerts.warning_assess(warning=warning, actor=world.psych, confirm=False, reason=f"访谈后无风险 {n}")
        alert_intake.warning_report(actor=world.psych, student=world.a1, source="observation", summary=f"观察 {n}")
    assert Warning.objects.filter(student=world.a1).count() == 3
    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert response.content.decode().count('href="/alerts/') >= 3
    print(f"student page: {len(one)} queries")
    assert len(one) <= 25, [q["sql"][:80] for q in one.captured_queries]
    assert Result.objects.filter(student=world.a1).count() == 1


def test_in_chinese_the_questionnaire_and_its_band_are_named_in_chinese(world, client_for, screened):
    # Django calls the language "zh-hans", the definitions "zh-Hans": the pages fell back to the English texts.
    with translation.override("zh-hans"):
        client = client_for(world.psych)
        for url in (reverse("people:student_detail", args=[world.a1.pk]),
                    reverse("cases:file", args=[world.a1.pk])):
            html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
            assert "青少年版患者健康问卷（PHQ-A）" in html and "中度抑郁" in html, url
            assert "PHQ-9 modified for Adolescents" not in html and "Moderate depression" not in html, url
