"""Overviews with the provincial platform's figures, by level and org unit; the levels admin page."""

import pytest
from django.urls import reverse

from runxin.alerts import intake, selectors_reports, services
from runxin.alerts.models import WarningLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(world, frozen, levels):
    """a1: red, referred; b1: yellow cleared and revisited; w1: orange."""
    red = services.warning_raise_from_screening(student=world.a1, result_id="1", suggested_level="critical",
                                                reasons=[], instrument_code="phq-a")
    red = services.warning_acknowledge(warning=red, actor=world.leader)
    red = services.warning_assess(warning=red, actor=world.psych, confirm=True)
    services.warning_record_referral(warning=red, actor=world.psych, reason="市六院")
    yellow = intake.warning_report(actor=world.psych, student=world.b1, source="observation", summary="x")
    for step in (lambda w: services.warning_acknowledge(warning=w, actor=world.psych),
                 lambda w: services.warning_assess(warning=w, actor=world.psych, confirm=True),
                 lambda w: services.warning_start_intervention(warning=w, actor=world.psych, reason="Weekly counseling."),
                 lambda w: services.warning_monitor(warning=w, actor=world.psych),
                 lambda w: services.warning_request_clear(warning=w, actor=world.psych, reason="ok",
                                                                  early_reason="Misread."),
                 lambda w: services.warning_approve_clear(warning=w, actor=world.leader)):
        yellow = step(yellow)
    services.warning_record_follow_up(warning=yellow, actor=world.psych,
                                      follow_up_id=yellow.follow_ups.first().pk, note="Fine.")
    services.warning_raise_from_screening(student=world.w1, result_id="3", suggested_level="high", reasons=[],
                                          instrument_code="phq-a")
    return world


def test_city_figures_by_level_and_district(figures, levels):
    data = selectors_reports.overview(figures.city)
    totals = data["totals"]
    assert (totals.current, totals.cleared, totals.revisited, totals.referred, totals.total) == (2, 1, 1, 1, 3)
    by_level = {lv.code: f for lv, f in data["levels"]}
    assert (by_level["red"].current, by_level["red"].referred) == (1, 1)
    assert (by_level["yellow"].cleared, by_level["yellow"].revisited) == (1, 1)
    by_district = {c["name"]: c["total"] for c in data["children"]}
    assert (by_district["东区"].current, by_district["东区"].cleared, by_district["西区"].current) == (1, 1, 1)


def test_school_overview_by_class(figures):
    data = selectors_reports.overview(figures.school)
    by_class = {c["name"]: c["total"].total for c in data["children"]}
    assert by_class == {"七年级(1)班": 1, "七年级(2)班": 1}


def test_city_admin_sees_counts_not_names(figures, client_for):
    client = client_for(figures.city_admin)
    response = client.get(reverse("alerts:overview_home"))
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    # Outside need-to-know, counts from 1 to 4 are hidden (a small count can name a student), marked "*".
    assert 'data-hidden="1" id="fig-current">*<' in body and "东区" in body and "张一" not in body
    assert "* hidden: a figure from fewer than 5 students" in body
    assert "chart.umd.min.js" in body
    body = client_for(figures.city_centre).get(response["Location"]).content.decode()
    assert 'id="fig-current">2<' in body


def test_overview_scope(figures, client_for):
    assert client_for(figures.psych).get(reverse("alerts:overview", args=[figures.city.pk])).status_code == 404
    assert client_for(figures.psych).get(reverse("alerts:overview", args=[figures.school.pk])).status_code == 200
    assert client_for(figures.other_psych).get(
        reverse("alerts:overview", args=[figures.school.pk])).status_code == 404
    assert client_for(figures.head).get(reverse("alerts:overview", args=[figures.school.pk])).status_code == 403


def test_overview_query_count(figures, client_for, django_assert_max_num_queries):
    client = client_for(figures.city_admin)
    # Constant, whatever the number of units: four aggregate queries (totals, by level, by unit, currently
    # warned by unit and level) besides the session, the user and the scope.
    with django_assert_max_num_queries(15):
        assert client.get(reverse("alerts:overview", args=[figures.city.pk])).status_code == 200


def test_the_default_levels_mean_what_they_mean_in_chinese(levels):
    # The field holds one text, read and edited in the Chinese interface: 0002 seeded it in English. 0008 turns
    # the seeded texts into Chinese and leaves a city's own text alone.
    import importlib

    from django.apps import apps

    from runxin.alerts.models import WarningLevel

    seeded = {f["code"]: f["description"] for f in importlib.import_module(
        "runxin.alerts.migrations.0002_default_levels").LEVELS}
    for code in ("red", "orange"):
        WarningLevel.objects.filter(code=code).update(description=seeded[code])
    WarningLevel.objects.filter(code="yellow").update(description="本市自定：需班主任关注")
    importlib.import_module("runxin.alerts.migrations.0008_level_meanings_in_chinese").forward(apps, None)
    meanings = dict(WarningLevel.objects.filter(code__in=["red", "orange", "yellow"]).values_list("code", "description"))
    assert meanings == {"red": "一天内存在自伤、自杀或伤人的风险。", "orange": "严重心理困扰，需要专业干预。",
                        "yellow": "本市自定：需班主任关注"}


def test_city_admin_renames_a_level_and_adds_one(world, client_for, levels):
    client = client_for(world.city_admin)
    assert "Red" in client.get(reverse("alerts:levels")).content.decode()
    red = levels["red"]
    form = {
        "code": "red", "name_zh": "一级预警", "name_en": "Level 1", "colour": "red", "severity": red.severity,
        "description": "", "is_active": "on", "ack_tier": 2, "ack_roles": ["school_leader"], "ack_minutes": 20,
        "assess_minutes": 60, "progress_minutes": 120, "clear_tier": 3, "min_monitoring_days": 3, "notify_tiers": [1, 2, 3, 4],
        "channels": ["inbox", "sms"], "follow_up_days": "7，30", "screening_codes": ["critical"],
        "visible_to_centres": "on",
    }
    assert client.post(reverse("alerts:level_edit", args=[red.pk]), form).status_code == 302
    red.refresh_from_db()
    assert (red.name_zh, red.ack_minutes, red.follow_up_days, red.channels) == ("一级预警", 20, [7, 30],
                                                                                ["inbox", "sms"])
    new = dict(form, code="blue", name_zh="蓝色关注", name_en="Blue", colour="", severity=5, follow_up_days="",
               screening_codes=[], ack_tier=1, clear_tier=2, ack_roles=["head_teacher"], visible_to_centres="")
    assert client.post(reverse("alerts:level_new"), new).status_code == 302
    assert WarningLevel.objects.get(code="blue").severity == 5


def test_level_form_refuses_bad_input_and_keeps_it(world, client_for, levels):
    client = client_for(world.city_admin)
    response = client.post(reverse("alerts:level_edit", args=[levels["yellow"].pk]), {
        "code": "yellow", "name_zh": "黄色", "name_en": "Yellow", "severity": 10, "ack_tier": 1, "ack_minutes": 0,
        "assess_minutes": 10, "progress_minutes": 10, "clear_tier": 2, "notify_tiers": [1], "channels": ["email"],
        "follow_up_days": "7, soon"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "soon" in body and "is not a number of days" in body and "keep it ticked" in body
    assert WarningLevel.objects.get(code="yellow").name_zh == "黄色预警"


def test_only_the_city_admin_edits_levels(world, client_for, levels):
    for user in (world.psych, world.district_centre, world.sysadmin):
        assert client_for(user).get(reverse("alerts:levels")).status_code == 403


def _clear(warning, world):
    for step in (lambda w: services.warning_acknowledge(warning=w, actor=world.psych),
                 lambda w: services.warning_assess(warning=w, actor=world.psych, confirm=True),
                 lambda w: services.warning_start_intervention(warning=w, actor=world.psych, reason="Weekly counseling."),
                 lambda w: services.warning_monitor(warning=w, actor=world.psych),
                 lambda w: services.warning_request_clear(warning=w, actor=world.psych, reason="ok",
                                                          early_reason="Misread."),
                 lambda w: services.warning_approve_clear(warning=w, actor=world.leader)):
        warning = step(warning)
    return warning


@pytest.fixture
def repeat_student(world, frozen, levels):
    """a1: a yellow warning cleared, its follow-ups done and closed; then a second, current warning, visited
    while it is being handled. b1: a warning dismissed by the assessment (no risk found)."""
    first = _clear(intake.warning_report(actor=world.psych, student=world.a1, source="observation",
                                           summary="x"), world)
    for follow_up in first.follow_ups.all():
        first = services.warning_record_follow_up(warning=first, actor=world.psych, follow_up_id=follow_up.pk,
                                                  note="Fine.")
    first = services.warning_return_to_normal(warning=first, actor=world.psych)
    frozen.advance(days=40)
    second = intake.warning_report(actor=world.psych, student=world.a1, source="observation", summary="Again.")
    second = services.warning_acknowledge(warning=second, actor=world.psych)
    services.warning_record_visit(warning=second, actor=world.psych, note="Home visit, calmer.")
    dismissed = intake.warning_report(actor=world.psych, student=world.b1, source="observation", summary="y")
    dismissed = services.warning_acknowledge(warning=dismissed, actor=world.psych)
    services.warning_assess(warning=dismissed, actor=world.psych, confirm=False, reason="No risk.")
    assert (first.state, second.pk != first.pk) == ("closed", True)
    return world


def test_figures_count_students_once_and_leave_out_dismissed(repeat_student):
    totals = selectors_reports.overview(repeat_student.school)["totals"]
    # a1 had two warnings (one closed, one current): one student in the cumulative figure; b1's dismissed
    # warning counts nowhere.
    assert (totals.current, totals.cleared, totals.total) == (1, 1, 1)
    # The visit made while the second warning is open counts as revisited, as do the first's follow-ups.
    assert totals.revisited == 1
    by_class = {c["name"]: c["total"] for c in selectors_reports.overview(repeat_student.school)["children"]}
    assert (by_class["七年级(1)班"].total, by_class["七年级(2)班"].total) == (1, 0)


def test_revisited_while_open_counts(world, frozen, levels):
    warning = intake.warning_report(actor=world.psych, student=world.b1, source="observation", summary="x")
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    services.warning_record_visit(warning=warning, actor=world.psych, note="Talked at home.")
    totals = selectors_reports.overview(world.city)["totals"]
    assert (totals.current, totals.revisited, totals.cleared, totals.total) == (1, 1, 0, 1)


def test_overview_page_labels_people_and_shows_the_cumulative_figure(repeat_student, client_for):
    body = client_for(repeat_student.psych).get(
        reverse("alerts:overview", args=[repeat_student.school.pk])).content.decode()
    assert 'id="fig-total">1<' in body and 'id="fig-current">1<' in body and 'id="fig-cleared">1<' in body
    assert "Students ever reported (cumulative)" in body and "counts students (人数), not warnings" in body
    # Outside need-to-know the small counts stay hidden.
    body = client_for(repeat_student.city_admin).get(
        reverse("alerts:overview", args=[repeat_student.city.pk])).content.decode()
    assert 'data-hidden="1" id="fig-total">*<' in body and 'data-hidden="1" id="fig-revisited">*<' in body
