"""Triage of human reports (issue 8): urgency and risk phrases decide where a report enters; a statement of
suicidal intent never enters at the lowest level, from any source."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from runxin.alerts import intake, triage
from runxin.alerts.models import RiskPhrase, Warning, WarningReport
from runxin.notify.models import Notification

pytestmark = pytest.mark.django_db
PHRASES = ("不想活", "想死", "割腕", "伤害自己")


@pytest.mark.parametrize("text", ["孩子昨晚说不想活了", "他说 不 想 活", "我想死。", "ｗ说想死", "她手上有割腕的痕迹",
                                  "说要伤害自己"])
def test_a_risk_phrase_enters_at_the_highest_level_whatever_the_urgency(text):
    for urgency in (*triage.URGENCIES, "", "bogus"):
        outcome = triage.triage(urgency=urgency, text=text, phrases=PHRASES)
        assert outcome.rank == triage.HIGHEST and outcome.phrases


# Statements of intent, a method or a plan, written as people write them, with none of the city's phrases: a hotline
# call "from the school roof tonight" entered yellow because the list held 跳楼 and not this shape.
INTENT = ["来电人称学生说今晚要从学校楼顶跳下去。", "他说活着没什么意思，不想再活了", "孩子说要去死", "她说还不如死了算了",
          "书包里发现遗书", "说想一了百了", "手臂上有很多划痕，说用刀割自己", "他在网上查怎么烧炭", "说吃了一瓶药",
          "在天台上徘徊，说想跳", "准备从桥上跳河", "说自己活够了", "打算轻生", "说要喝农药", "She said she wants to kill herself",
          "I want to die"]
# Everyday words that share characters with them: not raised (a false alarm costs a professional's look, and a
# list that cries wolf at 跳绳 and 累得要死 is soon ignored).
ORDINARY = ["最近作业多得要死", "笑死我了", "体育课跳绳比赛", "跳高得了第一", "在楼顶晒被子", "他吃药后好多了",
            "毕业告别会", "成绩下滑，不太开心", "热得要死", "晚上睡不着，想家", "他说想活得开心一点", "跳舞社团",
            "爸爸在地里打农药", "放学路上看到两辆车撞车了"]


@pytest.mark.parametrize("text", INTENT)
def test_a_statement_of_intent_is_highest_without_any_city_phrase(text):
    for urgency in (*triage.URGENCIES, "", "bogus"):
        outcome = triage.triage(urgency=urgency, text=text, phrases=())
        assert outcome.rank == triage.HIGHEST and outcome.phrases, (urgency, text)


@pytest.mark.parametrize("text", ORDINARY)
def test_everyday_words_are_not_taken_for_intent(text):
    assert triage.triage(urgency="concern", text=text, phrases=()) == triage.Triage(rank=triage.ENTRY, phrases=())


def test_the_hotline_call_with_a_plan_enters_red_whatever_the_citys_list(world, frozen, levels):
    intake.risk_phrases_save(actor=world.city_admin, phrases=["想消失"])
    warning = intake.warning_report(actor=world.hotline, student=world.a1, source="hotline", level=levels["yellow"],
                                    summary="来电人称学生说今晚要从学校楼顶跳下去。", urgency="concern")
    assert warning.level.code == "red"
    assert set(WarningReport.objects.get(warning=warning).risk_phrases) == {"跳下去", "楼顶跳"}


def test_urgency_without_phrases():
    assert triage.triage(urgency="now", text="", phrases=PHRASES).rank == triage.HIGHEST
    assert triage.triage(urgency="today", text="不吃饭", phrases=PHRASES).rank == triage.SECOND
    assert triage.triage(urgency="concern", text="成绩下滑", phrases=PHRASES).rank == triage.ENTRY
    # An unknown urgency counts as the caller's default, never lower.
    assert triage.triage(urgency="", text="", phrases=PHRASES, default=triage.TODAY).rank == triage.SECOND


def test_parent_writes_that_the_child_does_not_want_to_live(world, frozen, levels):
    outcome = intake.parent_report(actor=world.parent, student_id=world.a1.pk, summary="孩子昨晚说不想活了",
                                     urgency="concern")
    assert outcome.imminent
    warning = Warning.objects.get()
    assert warning.level.code == "red"
    assert warning.due_at == frozen() + dt.timedelta(minutes=30)  # red's clock, not yellow's 24 hours
    report = WarningReport.objects.get()
    assert report.urgency == "concern" and "不想活" in report.risk_phrases
    told = set(Notification.objects.filter(kind="warning.raised", channel="inbox")
               .values_list("recipient__username", flat=True))
    assert {"psych", "leader", "head", "east_centre", "city_centre"} <= told


@pytest.mark.parametrize("urgency,code", [("now", "red"), ("today", "orange"), ("concern", "yellow")])
def test_parent_urgency_sets_the_level(world, frozen, urgency, code):
    intake.parent_report(actor=world.parent, student_id=world.a1.pk, summary="最近不太对劲", urgency=urgency)
    assert Warning.objects.get().level.code == code


def test_a_student_who_says_it_is_urgent_or_writes_a_phrase(world, frozen):
    intake.self_help_request(actor=world.student_user, message="", urgency="now")
    assert Warning.objects.get().level.code == "red"


def test_a_peer_report_with_a_phrase_is_red_and_the_reporter_learns_only_to_act(world, frozen):
    outcome = intake.peer_report(actor=world.committee, classmate_name="张一", summary="她说想死", urgency="concern")
    assert outcome.imminent and Warning.objects.get().level.code == "red"


def test_staff_choosing_yellow_cannot_keep_a_statement_of_intent_low(world, frozen, levels):
    warning = intake.warning_report(actor=world.head, student=world.a1, source="observation",
                                      summary="课间说想割腕", level=levels["yellow"], urgency="concern")
    assert warning.level.code == "red"
    # A level above the floor is kept.
    other = intake.warning_report(actor=world.head, student=world.a2, source="observation",
                                    summary="最近很低落", level=levels["orange"], urgency="concern")
    assert other.level.code == "orange"


def test_the_city_edits_the_phrases(world, frozen):
    with pytest.raises(PermissionDenied):
        intake.risk_phrases_save(actor=world.psych, phrases=["不想活"])
    intake.risk_phrases_save(actor=world.city_admin, phrases=["不想活", "想消失"])
    assert set(intake.risk_phrases()) == {"不想活", "想消失"}
    assert RiskPhrase.objects.filter(phrase="割腕", is_active=False).exists()  # kept, inactive
    intake.parent_report(actor=world.parent, student_id=world.a1.pk, summary="她说想消失", urgency="concern")
    assert Warning.objects.get().level.code == "red"


def test_the_phrase_page(world, client_for):
    client = client_for(world.city_admin)
    page = client.get(reverse("alerts:risk_phrases")).content.decode()
    assert "不想活" in page and "割腕" in page
    response = client.post(reverse("alerts:risk_phrases"), {"phrases": "不想活\n想\n"})
    assert response.status_code == 400 and "too short" in response.content.decode()
    assert RiskPhrase.objects.filter(phrase="割腕", is_active=True).exists()  # nothing saved
    response = client.post(reverse("alerts:risk_phrases"), {"phrases": "不想活\n想消失"})
    assert response.status_code == 302 and set(intake.risk_phrases()) == {"不想活", "想消失"}
    assert client_for(world.psych).get(reverse("alerts:risk_phrases")).status_code == 403


def test_parent_page_advice_is_written_for_parents(world, client_for, frozen):
    response = client_for(world.parent).post(reverse("alerts:parent_report"), {
        "student": world.a1.pk, "summary": "孩子昨晚说不想活了", "urgency": "concern"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="what-now"' in body
    assert "Stay with your child" in body and "Tell a teacher" not in body
    assert 'href="tel:12356"' in body and 'href="tel:120"' in body
    assert Warning.objects.get().level.code == "red"


def test_the_urgency_question_is_required_for_a_parent_and_nothing_is_lost(world, client_for, frozen):
    response = client_for(world.parent).post(reverse("alerts:parent_report"), {
        "student": world.a1.pk, "summary": "Keep this."})
    body = response.content.decode()
    assert response.status_code == 400 and "Choose how urgent it is." in body and "Keep this." in body
    assert not Warning.objects.exists()


def test_a_student_may_ask_for_help_without_answering_anything(world, client_for, frozen):
    response = client_for(world.student_user).post(reverse("alerts:self_help"), {})
    assert response.status_code == 200 and Warning.objects.get().level.code == "orange"
    assert "Tell a teacher" in response.content.decode()


def test_hotlines_come_from_one_setting(world, client_for, settings):
    settings.HELP_HOTLINES = [("96111", "Local line")]
    body = client_for(world.student_user).get(reverse("alerts:self_help")).content.decode()
    assert 'href="tel:96111"' in body and "12356" not in body
