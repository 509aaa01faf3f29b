"""The term's case-analysis report (个案分析报告): prefilled with the term's figures, written and finalised by the
school's psychology teacher, read by its leader and the district centre; one per school and term."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from runxin.counseling import selectors, services
from runxin.counseling.models import CaseAnalysisReport, CounselingSession

pytestmark = pytest.mark.django_db


def _session(world, student, form, minutes):
    session = services.session_record(actor=world.psych, student=student, held_at=timezone.now(),
                                      duration_minutes=minutes, form=form, main_problem="p", measures="m")
    # place it in the first semester of 2026-2027
    held = dt.datetime(2026, 10, 15, 9, 0, tzinfo=timezone.get_current_timezone())
    CounselingSession.objects.filter(pk=session.pk).update(held_at=held)
    return session


def test_the_terms_figures(world):
    _session(world, world.a1, "individual", 50)
    _session(world, world.a1, "phone", 20)
    _session(world, world.b1, "individual", 50)
    services.session_record(actor=world.other_psych, student=world.w1, held_at=timezone.now(), duration_minutes=30,
                            form="group", main_problem="p", measures="m")
    figures = selectors.term_figures(world.school, world.year, 1)
    assert (figures.students, figures.sessions, figures.minutes, figures.hours) == (2, 3, 120, 2.0)
    counts = [n for _label, n in figures.by_form]
    assert counts == [2, 0, 1, 0]  # individual, group, phone, online
    assert selectors.term_figures(world.school, world.year, 2).sessions == 0


def test_the_psych_teacher_writes_and_finalises_the_report(world, client_for, english):
    _session(world, world.a1, "individual", 60)
    client = client_for(world.psych)
    url = reverse("counseling:case_reports", args=[world.school.pk])
    page = client.get(url + f"?year={world.year.pk}&semester=1").content.decode()
    assert "1 students in 1 counseling sessions" in page  # the prefilled figures
    assert client.post(url, {"year": world.year.pk, "semester": 1, "summary": "草稿", "action": "save"}).status_code == 302
    report = CaseAnalysisReport.objects.get()
    assert (report.summary, report.cases_count, report.finalised_at) == ("草稿", 1, None)
    client.post(url, {"year": world.year.pk, "semester": 1, "summary": "本学期个案分析", "action": "finalise"})
    report.refresh_from_db()
    assert report.summary == "本学期个案分析" and report.finalised_at is not None
    # final: no more changes
    again = client.post(url, {"year": world.year.pk, "semester": 1, "summary": "改写", "action": "save"})
    assert again.status_code == 400 and "can no longer be changed" in again.content.decode()
    report.refresh_from_db()
    assert report.summary == "本学期个案分析" and CaseAnalysisReport.objects.count() == 1


def test_the_leader_and_the_district_centre_read_but_do_not_write(world, client_for):
    services.case_report_save(actor=world.psych, school=world.school, school_year=world.year, semester=1,
                              summary="分析内容", cases_count=3, finalise=True)
    url = reverse("counseling:case_reports", args=[world.school.pk]) + f"?year={world.year.pk}&semester=1"
    for user in (world.leader, world.district_centre):
        response = client_for(user).get(url)
        assert response.status_code == 200 and "分析内容" in response.content.decode(), user
        assert client_for(user).post(url, {"summary": "x", "semester": 1}).status_code == 403, user
    assert client_for(world.other_psych).get(url).status_code == 404
    assert client_for(world.head).get(url).status_code == 403
    # a draft is not shown to the readers
    CaseAnalysisReport.objects.update(finalised_at=None)
    assert "分析内容" not in client_for(world.leader).get(url).content.decode()


def test_an_empty_report_is_refused(world, client_for, english):
    response = client_for(world.psych).post(reverse("counseling:case_reports", args=[world.school.pk]),
                                            {"year": world.year.pk, "semester": 2, "summary": "", "action": "save"})
    assert response.status_code == 400 and "Write the analysis." in response.content.decode()
    assert not CaseAnalysisReport.objects.exists()


def test_the_second_semester_starts_in_february(world):
    assert services.term_bounds(world.year, 1) == (dt.date(2026, 9, 1), dt.date(2027, 1, 31))
    assert services.term_bounds(world.year, 2) == (dt.date(2027, 2, 1), dt.date(2027, 8, 31))
    assert selectors.current_semester(world.year, dt.date(2027, 3, 1)) == 2
    assert selectors.current_semester(world.year, dt.date(2026, 12, 1)) == 1
