"""The warning pages: access and denial, what each role sees, read audit, errors that lose nothing, queries."""

import pytest
from django.urls import reverse

from runxin.access.models import ReadEvent
from runxin.alerts import escalation, intake, services, states
from runxin.alerts.models import Warning

pytestmark = pytest.mark.django_db

ALERT_URLS = [
    ("alerts:queue", {}), ("alerts:report", {}), ("alerts:overview_home", {}), ("alerts:daily_home", {}),
    ("alerts:export", {}), ("alerts:levels", {}), ("alerts:level_new", {}), ("alerts:peer_report", {}),
    ("alerts:parent_report", {}), ("alerts:self_help", {}), ("notify:inbox", {}),
]

# These tests are about other steps: they ask for clearing before the minimum time in monitoring.
EARLY = "Asked early on purpose in this test."


@pytest.fixture
def red(world, frozen):
    return services.warning_raise_from_screening(student=world.a1, result_id="r1", suggested_level="critical",
                                                 reasons=["PHQ-A item 9: several days"], instrument_code="phq-a")


def test_every_alerts_page_refuses_a_stranger_and_an_anonymous_visitor(world, client, client_for, red):
    stranger = client_for(world.outsider)
    urls = [reverse(name, kwargs=kw) for name, kw in ALERT_URLS] + [
        reverse("alerts:detail", args=[red.pk]), reverse("alerts:overview", args=[world.school.pk]),
        reverse("alerts:daily", args=[world.school.pk]), reverse("alerts:daily_pdf", args=[world.school.pk]),
        reverse("alerts:export_file", args=["csv"]), reverse("alerts:level_edit", args=[red.level_id]),
    ]
    for url in urls:
        assert stranger.get(url).status_code in (403, 404), url
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for action in ("acknowledge", "assess"):
        assert stranger.post(reverse("alerts:act", args=[red.pk, action])).status_code in (403, 404)


def test_queue_lists_visible_warnings_with_overdue_marked(world, client_for, red, frozen):
    services.warning_raise_from_screening(student=world.w1, result_id="w", suggested_level="high", reasons=[],
                                          instrument_code="phq-a")
    frozen.advance(minutes=31)
    body = client_for(world.psych).get(reverse("alerts:queue")).content.decode()
    assert "张一" in body and "赵四" not in body
    assert 'class="overdue"' in body


def test_head_teacher_of_another_class_gets_404(world, client_for, red):
    from runxin.testing import factories as f

    head2 = f.UserFactory(username="head2")
    f.assign(head2, "head_teacher", world.class2)
    client = client_for(head2)
    assert client.get(reverse("alerts:detail", args=[red.pk])).status_code == 404
    assert "张一" not in client.get(reverse("alerts:queue")).content.decode()


def test_other_school_psych_gets_404(world, client_for, red):
    assert client_for(world.other_psych).get(reverse("alerts:detail", args=[red.pk])).status_code == 404


def test_warning_page_is_read_audited_and_hides_clinical_detail_from_the_head_teacher(world, client_for, red):
    body = client_for(world.head).get(reverse("alerts:detail", args=[red.pk])).content.decode()
    assert "张一" in body and "PHQ-A item 9" not in body and "Only the care team reads the details." in body
    event = ReadEvent.objects.get()
    assert (event.user, event.student, event.record_type, event.record_id) == (
        world.head, world.a1, "alerts.warning", str(red.pk))
    body = client_for(world.psych).get(reverse("alerts:detail", args=[red.pk])).content.decode()
    assert "PHQ-A item 9" in body


def test_peer_reporter_is_refused_the_queue_and_the_warning(world, client_for, red):
    client = client_for(world.committee)
    assert client.get(reverse("alerts:queue")).status_code == 403
    assert client.get(reverse("alerts:detail", args=[red.pk])).status_code == 403


def test_acting_through_the_page(world, client_for, red):
    leader = client_for(world.leader)
    response = leader.post(reverse("alerts:act", args=[red.pk, "acknowledge"]), {"reason": "On my way."})
    assert response.status_code == 302
    red.refresh_from_db()
    assert red.state == states.ACKNOWLEDGED
    assert red.events.last().reason == "On my way."


def test_a_refused_step_shows_why_and_keeps_what_was_typed(world, client_for, red, levels):
    services.warning_acknowledge(warning=red, actor=world.leader)
    client = client_for(world.psych)
    response = client.post(reverse("alerts:act", args=[red.pk, "assess"]), {
        "outcome": "dismiss", "level": levels["red"].pk, "reason": "", "clinical_note": "Talked for an hour."})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give a reason" in body and "Talked for an hour." in body
    assert Warning.objects.get().state == states.ACKNOWLEDGED
    response = client.post(reverse("alerts:act", args=[red.pk, "monitor"]), {})
    assert response.status_code == 400 and "cannot be moved to monitoring now" in response.content.decode()


def test_head_teacher_cannot_assess_through_the_page(world, client_for, red):
    services.warning_acknowledge(warning=red, actor=world.leader)
    response = client_for(world.head).post(reverse("alerts:act", args=[red.pk, "assess"]),
                                           {"outcome": "confirm", "reason": "x"})
    assert response.status_code == 403


def test_unknown_action_is_404(world, client_for, red):
    assert client_for(world.psych).post(reverse("alerts:act", args=[red.pk, "delete"])).status_code == 404


def test_report_page_raises_then_joins(world, client_for, frozen, levels):
    client = client_for(world.head)
    page = client.get(reverse("alerts:report")).content.decode()
    assert "张一" in page and "王三" not in page  # the picker lists the own class only
    assert world.a1.student_number not in page  # the 学籍号 carries the ID number: masked in the picker (issue 9)
    response = client.post(reverse("alerts:report"), {
        "student_number": world.a1.student_number, "source": "observation", "level": levels["yellow"].pk,
        "summary": "Sleeps in class, bruises on arms.", "urgency": "concern"})
    warning = Warning.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("alerts:detail", args=[warning.pk])
    response = client.post(reverse("alerts:report") + f"?student={world.a1.pk}", {
        "student": world.a1.pk, "source": "parent", "level": levels["yellow"].pk, "summary": "Father called.",
        "urgency": "concern"})
    assert Warning.objects.count() == 1 and warning.reports.count() == 2


def test_the_report_form_leaves_the_level_to_the_urgency_and_leads_back_to_the_student(world, client_for, frozen):
    # The level came preset to the lowest: a head teacher who chose "today" and left it saw two answers disagree.
    client = client_for(world.head)
    url = reverse("alerts:report") + f"?student={world.a1.pk}"
    page = client.get(url).content.decode()
    assert '<option value="" selected>As the urgency says</option>' in page
    assert f'href="{reverse("people:student_detail", args=[world.a1.pk])}"' in page
    response = client.post(url, {"student": world.a1.pk, "source": "observation", "level": "",
                                 "summary": "Cried all morning, would not say why.", "urgency": "today"})
    assert response.status_code == 302 and Warning.objects.get().level.code == "orange"
    # The hotline, whose scope is the city (too many students for a picker), is shown where to find one by name.
    from runxin.testing.factories import StudentFactory

    for _n in range(61):
        StudentFactory(school_class=world.class2)
    hotline = client_for(world.hotline)
    page = hotline.get(reverse("alerts:report")).content.decode()
    assert 'id="pick-student"' not in page and 'id="find-by-name"' in page
    # A caller names the student: the search finds them with school and class, and leads to the form for them.
    page = hotline.get(reverse("alerts:report"), {"q": "张一"}).content.decode()
    assert f'href="?student={world.a1.pk}"' in page and world.school.name in page
    assert world.a1.student_number not in page  # masked, as in the picker
    assert f'href="?student={world.a1.pk}"' in hotline.get(reverse("alerts:report"), {"q": "张"}).content.decode()
    page = hotline.get(reverse("alerts:report"), {"q": "不存在的名字"}).content.decode()
    assert 'id="found-none"' in page
    for odd in ("\x00张", "%", "_", "'; --", "张" * 500):  # bad input is a search like any other, never a 500
        assert hotline.get(reverse("alerts:report"), {"q": odd}).status_code == 200
    # Nobody outside the reporter's scope is found: the east district's centre does not find the west's 赵四.
    page = client_for(world.district_centre).get(reverse("alerts:report"), {"q": "赵四"}).content.decode()
    assert f'?student={world.w1.pk}"' not in page and 'id="found-none"' in page


def test_report_page_errors_keep_the_text(world, client_for, frozen, levels):
    client = client_for(world.head)
    response = client.post(reverse("alerts:report"), {
        "student_number": world.b1.student_number, "source": "observation", "level": levels["yellow"].pk,
        "summary": "Keep this text.", "urgency": "concern"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "No student with this number in your scope." in body and "Keep this text." in body
    assert client.get(reverse("alerts:report"), {"student": world.w1.pk}).status_code == 404


def test_peer_form_shows_only_thanks(world, client_for, frozen):
    client = client_for(world.committee)
    response = client.post(reverse("alerts:peer_report"), {"classmate_name": "张一", "summary": "Gave away her books.",
                                                           "urgency": "today"})
    body = response.content.decode()
    assert response.status_code == 200 and "Thank you" in body and "#" not in body.split("<main")[1].split("</main>")[0]
    assert Warning.objects.get().source == "peer"
    response = client.post(reverse("alerts:peer_report"), {"classmate_name": "不存在", "summary": "Keep me.",
                                                           "urgency": "today"})
    assert response.status_code == 400 and "Keep me." in response.content.decode()


def test_self_help_and_parent_pages(world, client_for, frozen):
    body = client_for(world.student_user).get(reverse("alerts:self_help")).content.decode()
    assert "12356" in body
    # 110 and 120 are numbers to tap, like the hotlines (they were plain text); the box speaks to whoever reads it.
    assert 'href="tel:110"' in body and 'href="tel:120"' in body and "If you are in danger right now" in body
    body = client_for(world.parent).get(reverse("alerts:parent_report")).content.decode()
    assert 'href="tel:110"' in body and "If your child is in danger right now" in body
    assert "If you are in danger right now" not in body
    assert client_for(world.student_user).post(reverse("alerts:self_help"), {"message": ""}).status_code == 200
    parent = client_for(world.parent)
    assert parent.post(reverse("alerts:parent_report"), {"student": world.a1.pk, "summary": "Worried.",
                                                          "urgency": "concern"}).status_code == 200
    response = parent.post(reverse("alerts:parent_report"), {"student": world.b1.pk, "summary": "Not mine.", "urgency": "concern"})
    assert response.status_code == 400
    assert Warning.objects.filter(source="parent").count() == 0  # joined the student's open self-help warning
    assert Warning.objects.get().reports.count() == 2


def test_queue_query_count_does_not_grow_with_rows(world, client_for, frozen, django_assert_max_num_queries):
    from runxin.testing.factories import StudentFactory

    for i in range(40):
        student = StudentFactory(school_class=world.class1 if i % 2 else world.class2)
        services.warning_raise_from_screening(student=student, result_id=f"q{i}", suggested_level="high",
                                              reasons=[], instrument_code="phq-a")
    client = client_for(world.psych)
    # "needs me now", the unread count beside 消息, and the read-audit rows in the view's own transaction.
    with django_assert_max_num_queries(20):
        response = client.get(reverse("alerts:queue"))
    assert response.status_code == 200 and response.content.decode().count('href="/alerts/') >= 80


def test_district_centre_sees_the_escalated_warning_in_its_queue(world, client_for, frozen, levels):
    warning = intake.warning_report(actor=world.psych, student=world.b1, source="observation",
                                      summary="x", level=levels["orange"])
    client = client_for(world.district_centre)
    assert "王三" not in client.get(reverse("alerts:queue")).content.decode()
    assert client.get(reverse("alerts:detail", args=[warning.pk])).status_code == 404
    frozen.advance(hours=5)
    escalation.escalation_sweep()
    body = client.get(reverse("alerts:queue")).content.decode()
    assert "王三" in body and "escalated" in body
    assert client.get(reverse("alerts:detail", args=[warning.pk])).status_code == 200


def test_queue_marks_a_follow_up_that_is_due(world, client_for, frozen):
    warning = intake.warning_report(actor=world.head, student=world.a1, source="observation", summary="x")
    for step in (lambda w: services.warning_acknowledge(warning=w, actor=world.psych),
                 lambda w: services.warning_assess(warning=w, actor=world.psych, confirm=True),
                 lambda w: services.warning_start_intervention(warning=w, actor=world.psych, reason="Weekly counseling."),
                 lambda w: services.warning_monitor(warning=w, actor=world.psych),
                 lambda w: services.warning_request_clear(warning=w, actor=world.psych, reason="ok", early_reason=EARLY),
                 lambda w: services.warning_approve_clear(warning=w, actor=world.leader)):
        warning = step(warning)
    client = client_for(world.head)
    assert "follow-up due" not in client.get(reverse("alerts:queue")).content.decode()
    frozen.advance(days=31)
    assert "follow-up due" in client.get(reverse("alerts:queue")).content.decode()
