"""What is stored and what each side reads: encryption at rest, the time-to-first-visit figure, the student's file
entries by detail level, the lists' order."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from runxin.access import scope
from runxin.referrals import selectors, services

from .conftest import SHANGHAI, refer

pytestmark = pytest.mark.django_db

CANARY = "CANARY-7f3a-自伤计划"


def test_what_the_school_and_the_hospital_write_is_encrypted_at_rest(w, clock):
    referral = refer(w, reason=f"理由 {CANARY}")
    clock.advance(hours=2)
    services.record_first_visit(referral=referral, actor=w.hospital, at=clock(), note=f"首诊 {CANARY}")
    services.record_discharge(referral=referral, actor=w.hospital, at=clock(), clinical_summary=f"总结 {CANARY}",
                              return_advice=f"建议 {CANARY}")
    services.return_assessment(referral=referral, actor=w.psych, decision="with_support",
                               arrangements=f"安排 {CANARY}", advice_considered=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason, clinical_summary, return_advice, return_arrangements FROM referrals_referral")
        stored = cursor.fetchall()
        cursor.execute("SELECT note FROM referrals_referralevent")
        notes = cursor.fetchall()
    text = repr(stored) + repr(notes)
    assert "CANARY" not in text and "自伤" not in text
    referral.refresh_from_db()
    assert CANARY in referral.reason and CANARY in referral.return_advice and CANARY in referral.return_arrangements
    # Nowhere in the database (the change audit, the notifications, the follow-ups …): a dump holds no canary.
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT count(*) FROM "{table}" AS t WHERE t::text LIKE %s', ["%CANARY-7f3a%"])
            if cursor.fetchone()[0]:
                found.append(table)
    assert found == []


def test_time_to_first_visit_median_and_p90(w, clock):
    from runxin.testing import factories as f

    # Urgent: seen after 1, 2 and 6 hours; routine: after 24, 48, 72 and 96 hours; one routine still waiting.
    plan = [(True, 1), (True, 2), (True, 6), (False, 24), (False, 48), (False, 72), (False, 96), (False, None)]
    start = clock()
    for urgent, hours in plan:
        clock.current = start
        student = f.StudentFactory(school_class=w.class1)
        referral = refer(w, student=student, urgent=urgent)
        if hours is not None:
            clock.current = start + dt.timedelta(hours=hours)
            services.record_first_visit(referral=referral, actor=w.hospital, at=clock())
    clock.current = start + dt.timedelta(days=5)
    figures = selectors.time_to_first_visit(unit=w.hospital_unit)
    assert (figures.urgent.count, figures.urgent.median, figures.urgent.p90) == (3, 2.0, 6.0)
    assert (figures.routine.count, figures.routine.median, figures.routine.p90, figures.routine.waiting) == (
        4, 60.0, 96.0, 1)
    assert (figures.all.count, figures.all.median, figures.all.waiting) == (7, 24.0, 1)
    # The same figure for the school and its district; none for the other district.
    assert selectors.time_to_first_visit(unit=w.school).all.median == 24.0
    assert selectors.time_to_first_visit(unit=w.east).all.count == 7
    assert selectors.time_to_first_visit(unit=w.west).all.count == 0
    assert selectors.percentile([], 0.9) is None
    assert selectors.percentile([5.0], 0.9) == 5.0


def test_the_lists_show_the_figure_and_put_urgent_and_oldest_first(w, clock, client_for):
    from runxin.testing import factories as f

    old = refer(w, student=w.a1)
    clock.advance(hours=5)
    urgent = refer(w, student=w.a2, urgent=True)
    clock.advance(hours=1)
    newer = refer(w, student=f.StudentFactory(school_class=w.class1))
    assert list(selectors.received(w.hospital)) == [urgent, old, newer]
    page = client_for(w.hospital).get(reverse("referrals:received")).content.decode()
    assert page.index(f'data-referral="{urgent.pk}"') < page.index(f'data-referral="{old.pk}"') \
        < page.index(f'data-referral="{newer.pk}"')
    assert 'id="first-visit-figures"' in page
    services.record_first_visit(referral=old, actor=w.hospital, at=clock())
    page = client_for(w.psych).get(reverse("referrals:sent")).content.decode()
    assert 'id="figure-routine"' in page and "6.0" in page  # seen after 6 hours
    assert w.a1.name in page and w.a2.name in page
    # The sent list of another school's psychology teacher holds none of them.
    other = client_for(w.other_psych).get(reverse("referrals:sent")).content.decode()
    assert w.a1.name not in other


def test_reads_are_audited(w, clock, client_for):
    from runxin.access.models import ReadEvent

    referral = refer(w)
    client_for(w.hospital).get(reverse("referrals:detail", args=[referral.pk]))
    client_for(w.hospital).get(reverse("referrals:received"))
    client_for(w.psych).get(reverse("referrals:sent"))
    kinds = set(ReadEvent.objects.filter(student=w.a1).values_list("user__username", "record_type"))
    assert {("doctor", "referrals.referral"), ("doctor", "referrals.received"), ("psych", "referrals.sent")} <= kinds


def test_file_entries_follow_the_detail_level(w, clock):
    referral = refer(w, reason=f"理由 {CANARY}")
    clock.advance(hours=3)
    services.record_first_visit(referral=referral, actor=w.hospital, at=clock())
    services.record_discharge(referral=referral, actor=w.hospital, at=clock(), clinical_summary="",
                              return_advice=f"建议 {CANARY}")
    services.return_assessment(referral=referral, actor=w.psych, decision="with_support",
                               arrangements="先半天上课", advice_considered=True)

    def entries(user):
        return selectors.file_entries(user, w.a1, scope.permissions_for_student(user, w.a1))

    psych = entries(w.psych)
    assert [e.kind for e in psych] == ["referral"] * 5  # guardian, sent, first visit, discharge, return
    assert psych[0].at >= psych[-1].at  # newest first
    assert any(CANARY in e.detail for e in psych)
    assert all(e.url == reverse("referrals:detail", args=[referral.pk]) for e in psych)
    head = entries(w.head)
    assert len(head) == 5 and not any(CANARY in e.detail for e in head)
    assert any("先半天上课" in e.detail for e in head)  # the arrangements are for the class's teachers too
    # The hospital (still reaching the student until the return) has nothing of this in the file.
    assert selectors.file_entries(w.hospital, w.a1, {"student.roster", "student.profile",
                                                     "referral.receive"}) == []
    # Nobody else either.
    assert entries(w.other_psych) == []


def test_the_head_teacher_sees_dates_not_the_reason(w, clock, client_for):
    referral = refer(w, reason=f"理由 {CANARY}")
    page = client_for(w.head).get(reverse("referrals:detail", args=[referral.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert CANARY not in text and w.a1.name in text and 'id="actions"' not in text
    assert client_for(w.head).get(reverse("referrals:detail", args=[referral.pk]) + "x").status_code == 404
    assert client_for(w.other_psych).get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    # An empty or unknown step is a message, not an error page.
    response = client_for(w.psych).post(reverse("referrals:detail", args=[referral.pk]), {"do": "explode"})
    assert response.status_code == 400


def test_a_postponed_return_keeps_the_referral_open(w, clock, english):
    referral = refer(w)
    services.record_first_visit(referral=referral, actor=w.hospital, at=clock())
    services.record_discharge(referral=referral, actor=w.hospital, at=clock(), clinical_summary="",
                              return_advice="两周后再评估")
    with pytest.raises(services.ReferralError, match="arrangements"):
        services.return_assessment(referral=referral, actor=w.psych, decision="postpone", arrangements="",
                                   advice_considered=True)
    with pytest.raises(services.ReferralError, match="advice"):
        services.return_assessment(referral=referral, actor=w.psych, decision="return", arrangements="",
                                   advice_considered=False)
    referral = services.return_assessment(referral=referral, actor=w.psych, decision="postpone",
                                          arrangements="居家休养两周", advice_considered=True)
    assert referral.status == "discharged" and referral.return_decision == "postpone"
    referral = services.return_assessment(referral=referral, actor=w.leader, decision="return", arrangements="",
                                          advice_considered=True)
    assert referral.status == "returned"
    assert referral.first_visit_at.tzinfo is not None
    assert dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI) == referral.first_visit_at


def test_a_clinicians_detail_level_on_a_list_follows_the_referral(w, clock):
    """scope.detail_permissions (what list pages use) gives a clinician their referred student's roster and
    profile, and nothing for a student referred elsewhere or once the referral is closed."""
    from runxin.access import roles, scope

    referral = refer(w)
    assert {roles.STUDENT_ROSTER, roles.STUDENT_PROFILE} <= scope.detail_permissions(w.hospital, w.a1)
    assert not scope.detail_permissions(w.other_hospital, w.a1)
    services.referral_withdraw(referral=referral, actor=w.psych, reason="家长决定去外地就医")
    w.hospital.__dict__.pop("_runxin_referred", None)
    assert not scope.detail_permissions(w.hospital, w.a1)
