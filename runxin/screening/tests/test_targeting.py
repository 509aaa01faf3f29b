"""Who a campaign targets: universal by grades, targeted by group or list, monitoring of key students."""

import datetime as dt

import pytest
from django.utils import timezone

from runxin.people.models import GroupMembership, SpecialGroup
from runxin.screening import services
from runxin.screening.models import Campaign, CampaignTarget
from runxin.testing import factories as f

from .helpers import make_spec, open_campaign, version

pytestmark = pytest.mark.django_db


def targeted(campaign):
    return sorted(CampaignTarget.objects.filter(campaign=campaign).values_list("student__name", flat=True))


def test_universal_targets_the_chosen_grades_of_the_school_only(world):
    grade8 = f.school_class(world.school, 8, 1, world.year)
    f.StudentFactory(name="八年级生", school_class=grade8)
    campaign = open_campaign(world, grades=[7])
    assert targeted(campaign) == ["张一", "李二", "王三"]
    target = CampaignTarget.objects.get(campaign=campaign, student=world.a1)
    assert (target.school_class, target.school, target.district, target.grade_level) == (
        world.class1, world.school, world.east, 7)


def test_a_district_campaign_reaches_every_school_of_the_district(world):
    campaign = services.campaign_create(user=world.district_centre, spec=make_spec(world, owner=world.east))
    services.campaign_open(user=world.district_centre, campaign=campaign)
    assert targeted(campaign) == ["张一", "李二", "王三"]


def test_a_city_campaign_by_the_city_admin_reaches_the_city(world):
    campaign = services.campaign_create(user=world.city_admin, spec=make_spec(world, owner=world.city))
    services.campaign_open(user=world.city_admin, campaign=campaign)
    assert targeted(campaign) == ["张一", "李二", "王三", "赵四"]


def test_instrument_grades_limit_the_targets(world):
    grade3 = f.school_class(world.school, 3, 1, world.year)
    f.StudentFactory(name="三年级生", school_class=grade3)
    # GAD-7 and PHQ-A are for grades 6/7 and up: a grade-3 pupil is never asked.
    campaign = open_campaign(world, grades=[3, 7])
    assert "三年级生" not in targeted(campaign)


def test_targeted_by_group_and_by_list(world):
    group = SpecialGroup.objects.get(code="left_behind_both")
    GroupMembership.objects.create(student=world.b1, group=group)
    campaign = open_campaign(world, kind=Campaign.Kind.TARGETED, grades=[], groups=[group],
                             student_numbers=[world.a2.student_number])
    assert targeted(campaign) == ["李二", "王三"]


def test_a_listed_student_of_another_school_is_refused(world):
    with pytest.raises(services.ScreeningError) as exc:
        services.campaign_create(user=world.psych, spec=make_spec(
            world, kind=Campaign.Kind.TARGETED, grades=[], student_numbers=[world.w1.student_number]))
    assert world.w1.student_number in exc.value.message


def test_monitoring_opens_rounds_for_key_students(world):
    world.a1.is_key_student = True
    world.a1.save()
    today = timezone.localdate()
    series = services.campaign_create(user=world.psych, spec=make_spec(
        world, kind=Campaign.Kind.MONITORING, grades=[], key_students=True, interval_days=14, round_days=3,
        window_end=today + dt.timedelta(days=60)))
    from django.utils import translation

    with translation.override("zh-hans"):  # the round is named in the language of the moment it opens
        services.campaign_open(user=world.psych, campaign=series)
    series.refresh_from_db()
    first = series.rounds.get()
    assert first.round_number == 1 and first.status == "open" and targeted(first) == ["张一"]
    assert first.name == f"{series.name} · 第 1 轮"  # "round" had no translation: "… · round 1" in Chinese
    assert first.window_end == today + dt.timedelta(days=2)
    assert series.next_run == today + dt.timedelta(days=14)
    assert targeted(series) == []  # the series itself targets nobody
    # Two weeks on, a new key student: the monitor opens round 2 for who is key then, and closes round 1.
    world.b1.is_key_student = True
    world.b1.save()
    report = services.monitoring_run(today=today + dt.timedelta(days=14))
    assert report == {"rounds_opened": 1, "campaigns_closed": 1}
    second = series.rounds.get(round_number=2)
    assert targeted(second) == ["张一", "王三"]
    first.refresh_from_db()
    assert first.status == "closed"
    assert services.monitoring_run(today=today + dt.timedelta(days=14))["rounds_opened"] == 0  # idempotent


def test_only_a_draft_opens_and_only_once(world):
    campaign = open_campaign(world)
    with pytest.raises(services.ScreeningError):
        services.campaign_open(user=world.psych, campaign=campaign)
    assert CampaignTarget.objects.filter(campaign=campaign).count() == 3


def test_another_schools_psych_teacher_cannot_run_this_school(world):
    with pytest.raises(services.ScreeningError):
        services.campaign_create(user=world.other_psych, spec=make_spec(world))
    campaign = services.campaign_create(user=world.psych, spec=make_spec(world))
    with pytest.raises(services.ScreeningError):
        services.campaign_open(user=world.other_psych, campaign=campaign)


def test_a_parent_instrument_runs_alone_never_mixed_with_students_ones(world):
    psc = version("psc17")
    with pytest.raises(services.ScreeningError):
        services.campaign_create(user=world.psych, spec=make_spec(world, versions=[version("phqa"), psc]))
    assert services.campaign_create(user=world.psych, spec=make_spec(world, versions=[psc])).pk


def test_open_changes_nothing_when_window_passed(world):
    today = timezone.localdate()
    campaign = services.campaign_create(user=world.psych, spec=make_spec(
        world, window_start=today - dt.timedelta(days=10), window_end=today - dt.timedelta(days=1)))
    with pytest.raises(services.ScreeningError):
        services.campaign_open(user=world.psych, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == "draft" and not CampaignTarget.objects.filter(campaign=campaign).exists()


def test_codes_are_unique_readable_and_stable(world):
    campaign = open_campaign(world)
    first = services.codes_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    codes = [t.access_code for t in first]
    assert len(codes) == 2 and len(set(codes)) == 2
    assert all(len(c) == 8 and set(c) <= set(services.CODE_ALPHABET) for c in codes)
    again = services.codes_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    assert [t.access_code for t in again] == codes  # reprinting shows the same codes
    with pytest.raises(services.ScreeningError):
        services.codes_for_class(user=world.other_psych, campaign=campaign, school_class=world.class1)


def test_targets_are_numbered_in_the_order_of_their_students(world):
    # Rewriting the first students' rows moves them to the end of the table: a scan then returns them last, and
    # targets numbered in scan order came out of student order (the demo city, which walks targets by id, then
    # played a different semester from the same seed).
    extra = [f.StudentFactory(name=f"七年级{n}", school_class=world.class1) for n in range(6)]
    for student in [world.a1, world.a2, *extra[:3]]:
        for n in range(3):
            student.name = f"{student.name[:2]}{n}"
            student.save(update_fields=["name"])
    campaign = open_campaign(world, grades=[7])
    students = list(CampaignTarget.objects.filter(campaign=campaign).order_by("id").values_list("student_id", flat=True))
    assert len(students) >= 9
    assert students == sorted(students)
