"""Who may answer: the consent rule (consent.py) and how refusals are respected and counted."""

import datetime as dt
import uuid

import pytest

from runxin.screening import consent, selectors, services
from runxin.screening.models import ConsentRecord

from .helpers import open_campaign, phqa_answers, target_of

TODAY = dt.date(2026, 11, 26)
CHILD = dt.date(2013, 5, 3)  # 13 on TODAY
TEEN = dt.date(2012, 11, 26)  # 14 today


def gate(mode, birth, guardian="pending", student=""):
    return consent.gate(mode=mode, birth_date=birth, today=TODAY, guardian_state=guardian, student_decision=student).status


@pytest.mark.parametrize(("mode", "birth", "guardian", "student", "expected"), [
    # opt-out notice: 14 and over take part unless someone declines
    ("opt_out", TEEN, "pending", "", "ok"),
    ("opt_out", TEEN, "declined", "", "declined_guardian"),
    ("opt_out", TEEN, "pending", "declined", "declined_student"),
    # opt-out notice: under 14 the guardian must have been notified, and not declined
    ("opt_out", CHILD, "pending", "", "wait_guardian"),
    ("opt_out", CHILD, "notified", "", "ok"),
    ("opt_out", CHILD, "consented", "", "ok"),
    ("opt_out", CHILD, "declined", "", "declined_guardian"),
    # opt-in: 14 and over give their own consent
    ("opt_in", TEEN, "pending", "", "ask_student"),
    ("opt_in", TEEN, "pending", "consented", "ok"),
    ("opt_in", TEEN, "declined", "consented", "declined_guardian"),
    # opt-in: under 14 need the guardian's explicit consent AND their own
    ("opt_in", CHILD, "notified", "consented", "wait_guardian"),
    ("opt_in", CHILD, "consented", "", "ask_student"),
    ("opt_in", CHILD, "consented", "consented", "ok"),
    ("opt_in", CHILD, "consented", "declined", "declined_student"),
])
def test_the_rule(mode, birth, guardian, student, expected):
    assert gate(mode, birth, guardian, student) == expected


def test_the_fourteenth_birthday_counts():
    assert consent.age_on(TEEN, TODAY) == 14
    assert consent.age_on(TEEN, TODAY - dt.timedelta(days=1)) == 13
    assert gate("opt_out", TEEN + dt.timedelta(days=1), "pending") == "wait_guardian"


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        gate("maybe", TEEN)


@pytest.mark.django_db
def test_under_14_cannot_answer_until_the_guardian_is_notified(world):
    campaign = open_campaign(world)
    target = target_of(campaign, world.a1)
    assert services.gate_for(target).status == "wait_guardian"
    with pytest.raises(services.ScreeningError):
        services.submission_accept(target=target, client_id=uuid.uuid4(), answers={"phqa": phqa_answers()})
    services.consent_mark_notified(user=world.psych, campaign=campaign, school_class=world.class1)
    assert services.gate_for(target_of(campaign, world.a1)).may_answer


@pytest.mark.django_db
def test_opening_the_link_changes_nothing_and_a_refusal_is_respected(world, client):
    campaign = open_campaign(world, consent_mode="opt_in")
    targets = services.consent_links_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    record = next(t.consent for t in targets if t.student == world.a1)
    assert record.state == "pending"
    events = campaign.events.count()
    # A chat app's link preview (or the guardian) opening the link: the page and its choices, no change.
    for _n in range(2):
        response = client.get(f"/screening/consent/{record.token}/")
        body = response.content.decode()
        assert response.status_code == 200 and "张一" in body
        assert 'name="decision" value="consented"' in body and 'name="decision" value="declined"' in body
        assert response["Cache-Control"] == "no-store"
    record.refresh_from_db()
    assert (record.state, record.notified_at, record.decided_at) == ("pending", None, None)
    assert campaign.events.count() == events
    response = client.post(f"/screening/consent/{record.token}/", {"decision": "declined", "guardian_name": "张妈妈"})
    assert response.status_code == 200
    assert "Your child will not take part in this screening." in response.content.decode()
    record.refresh_from_db()
    assert (record.state, record.guardian_name, record.channel) == ("declined", "张妈妈", "link")
    assert services.gate_for(target_of(campaign, world.a1)).status == "declined_guardian"
    completion = selectors.completion(world.psych, campaign)
    row = next(r for r in completion.rows if r.unit_id == world.class1.pk)
    assert row.declined == 1 and row.waiting == 1  # a2 still waits for explicit consent


@pytest.mark.django_db
def test_opt_out_notice_counts_only_when_the_guardian_presses_read(world, client):
    campaign = open_campaign(world)  # opt-out: under 14 needs the guardian notified
    targets = services.consent_links_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    record = next(t.consent for t in targets if t.student == world.a1)
    page = client.get(f"/screening/consent/{record.token}/").content.decode()
    assert 'name="decision" value="read"' in page
    record.refresh_from_db()
    assert record.state == "pending"
    assert services.gate_for(target_of(campaign, world.a1)).status == "wait_guardian"
    response = client.post(f"/screening/consent/{record.token}/", {"decision": "read"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "the school knows you have read this notice" in body and 'value="read"' not in body
    record.refresh_from_db()
    assert record.state == "notified" and record.notified_at and record.channel == "link"
    assert services.gate_for(target_of(campaign, world.a1)).may_answer


@pytest.mark.django_db
def test_an_unknown_consent_token_is_404(world, client):
    assert client.get("/screening/consent/not-a-token/").status_code == 404


@pytest.mark.django_db
def test_guardian_cannot_decide_after_the_child_handed_in(world):
    campaign = open_campaign(world)
    services.consent_mark_notified(user=world.psych, campaign=campaign, school_class=world.class1)
    services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                               answers={"phqa": phqa_answers()})
    record = ConsentRecord.objects.get(target__student=world.a1)
    with pytest.raises(services.ScreeningError):
        services.consent_decide(token=record.token, decision="declined")


@pytest.mark.django_db
def test_student_consent_in_opt_in_and_a_student_refusal_counted(world, client, code_of):
    campaign = open_campaign(world, consent_mode="opt_in")
    for student in (world.a1, world.a2):
        target = target_of(campaign, student)
        services.consent_decide(target=target, decision="consented", channel="paper", user=world.psych)
    client.post("/screening/c/", {"code": code_of(campaign, world.a1)})
    response = client.get("/screening/take/", follow=True)
    assert 'name="decision" value="consented"' in response.content.decode()
    response = client.post("/screening/take/consent/", {"decision": "declined"}, follow=True)
    assert target_of(campaign, world.a1).student_decision == "declined"
    row = next(r for r in selectors.completion(world.psych, campaign).rows if r.unit_id == world.class1.pk)
    assert row.declined == 1
    # The other student agrees and gets to the questionnaire.
    other = client.__class__()
    other.post("/screening/c/", {"code": code_of(campaign, world.a2)})
    other.post("/screening/take/consent/", {"decision": "consented"})
    assert target_of(campaign, world.a2).student_decision == "consented"
    assert other.get("/screening/take/").url.startswith("/screening/take/1/")


@pytest.mark.django_db
def test_staff_record_a_paper_answer(world, client_for):
    campaign = open_campaign(world)
    target = target_of(campaign, world.a2)
    response = client_for(world.psych).post(
        f"/screening/campaigns/{campaign.pk}/classes/{world.class1.pk}/consent/",
        {"target": target.pk, "decision": "consented", "channel": "paper", "guardian_name": "李爸爸"})
    assert response.status_code == 302
    record = ConsentRecord.objects.get(target=target)
    assert (record.state, record.channel, record.recorded_by) == ("consented", "paper", world.psych)
