"""Home visits and family contact (issue 12, item 6): the services' rules, the coverage rules with real rows, the
head teacher's names, the leaders' rates, the pages and who is refused."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from runxin.access import roles
from runxin.access.models import ReadEvent
from runxin.people.models import Student
from runxin.testing import factories as f
from runxin.visits import selectors, services
from runxin.visits.models import FamilyContact

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


def _home(actor, student, day=None, **extra):
    return services.contact_record(actor=actor, student=student, kind="home_visit", done_on=day or _today(),
                                   summary="看了学习环境，和家长谈了作息", visitors="班主任", met_with="母亲", **extra)


def _phone(actor, student, day=None):
    return services.contact_record(actor=actor, student=student, kind="phone", done_on=day or _today(),
                                   summary="电话沟通", agreed="每周五电话联系")


# ------------------------------------------------------------------------------------------------ services

def test_a_home_visit_needs_who_went_whom_they_met_and_what_was_seen(world):
    for missing, field in (({"visitors": ""}, "visitors"), ({"met_with": ""}, "met_with"),
                           ({"summary": ""}, "summary")):
        values = {"visitors": "班主任", "met_with": "母亲", "summary": "谈了作息"} | missing
        with pytest.raises(services.VisitError) as refused:
            services.contact_record(actor=world.head, student=world.a1, kind="home_visit", done_on=_today(), **values)
        assert refused.value.field == field
    assert not FamilyContact.objects.exists()


def test_a_contact_cannot_be_done_in_the_future_and_a_plan_not_in_the_past(world):
    with pytest.raises(services.VisitError) as refused:
        _phone(world.head, world.a1, _today() + timedelta(days=1))
    assert refused.value.field == "done_on"
    with pytest.raises(services.VisitError) as refused:
        services.contact_plan(actor=world.head, student=world.a1, kind="home_visit",
                              planned_on=_today() - timedelta(days=1))
    assert refused.value.field == "planned_on"


def test_a_dormitory_visit_is_for_boarders(world):
    with pytest.raises(services.VisitError):
        services.contact_record(actor=world.head, student=world.a1, kind="dorm_visit", done_on=_today(),
                                summary="宿舍整洁")


def test_only_those_who_record_visits_for_the_student_may(world):
    head2 = f.UserFactory(username="head2")
    f.assign(head2, "head_teacher", world.class2)
    with pytest.raises(PermissionDenied):
        _phone(head2, world.a1)
    with pytest.raises(PermissionDenied):  # the mentor is paired with 王三 (b1) only
        _phone(world.mentor, world.a1)
    assert _phone(world.mentor, world.b1).recorded_by == world.mentor
    with pytest.raises(PermissionDenied):  # the district centre reads files, it does not record visits
        _phone(world.district_centre, world.a1)


def test_a_planned_visit_is_recorded_done_once_and_keeps_the_class_of_the_time(world):
    planned = services.contact_plan(actor=world.head, student=world.a1, kind="home_visit", planned_on=_today())
    assert planned.status == "planned" and planned.school_class_id == world.class1.pk
    done = _home(world.head, world.a1, contact=planned)
    assert done.pk == planned.pk and done.status == "done" and done.agreed == ""
    with pytest.raises(services.VisitError):
        _home(world.head, world.a1, contact=planned)
    with pytest.raises(services.VisitError):
        services.contact_cancel(actor=world.head, contact=done)


def test_planning_a_class_plans_everyone_not_yet_visited_spread_over_school_days(world):
    _home(world.head, world.a1)
    first = _today() + timedelta(days=1)
    planned = services.class_plan_home_visits(actor=world.head, school_class=world.class1, first_day=first,
                                              last_day=first + timedelta(days=13), visitors="班主任")
    assert [c.student for c in planned] == [world.a2]
    assert planned[0].planned_on.weekday() < 5 and planned[0].kind == "home_visit"
    # A second run plans nobody twice.
    assert services.class_plan_home_visits(actor=world.head, school_class=world.class1, first_day=first,
                                           last_day=first + timedelta(days=13)) == []
    with pytest.raises(PermissionDenied):
        services.class_plan_home_visits(actor=world.head, school_class=world.class2, first_day=first,
                                        last_day=first)
    with pytest.raises(services.VisitError) as refused:
        services.class_plan_home_visits(actor=world.head, school_class=world.class1, first_day=first,
                                        last_day=first - timedelta(days=1))
    assert refused.value.field == "last_day"


# ------------------------------------------------------------------------------------------------ periods

def test_semesters_come_from_the_school_year(world):
    assert selectors.semester_bounds(date(2026, 10, 1)) == (date(2026, 9, 1), date(2027, 1, 31), 1)
    assert selectors.semester_bounds(date(2027, 3, 1)) == (date(2027, 2, 1), date(2027, 8, 31), 2)
    assert selectors.year_bounds(date(2027, 3, 1)) == (date(2026, 9, 1), date(2027, 8, 31))
    assert selectors.month_bounds(date(2026, 12, 6)) == (date(2026, 12, 1), date(2026, 12, 31))


# ------------------------------------------------------------------------------------------------ coverage

@pytest.fixture
def visited(world):
    """张一 visited at home; 李二 a key student called by phone only; 王三 a boarder visited in the dormitory a month
    before this month (and not this month)."""
    Student.objects.filter(pk=world.a2.pk).update(is_key_student=True)
    Student.objects.filter(pk=world.b1.pk).update(boarding=Student.Boarding.BOARDING)
    world.b1.refresh_from_db()
    _home(world.head, world.a1)
    _phone(world.head, world.a2)
    p = selectors.periods()
    last_month = p.month[0] - timedelta(days=1)
    FamilyContact.objects.create(student=world.b1, school=world.school, school_class=world.class2, kind="dorm_visit",
                                 status="done", done_on=last_month, summary="宿舍", recorded_by=world.psych)
    return world


def test_class_coverage_names_who_misses_what(visited):
    w = visited
    data = selectors.class_coverage(w.head, w.class1)
    assert [s.name for s in data.missing[selectors.HOME_YEAR]] == ["李二"]
    # A key student called by phone only has not been visited at home.
    assert [s.name for s in data.missing[selectors.KEY_HOME_YEAR]] == ["李二"]
    assert data.missing[selectors.FAMILY_SEMESTER] == []
    assert data.missing[selectors.DORM_MONTH] == []  # nobody in the class boards
    other = selectors.class_coverage(w.psych, w.class2)
    assert [s.name for s in other.missing[selectors.DORM_MONTH]] == ["王三"]
    # A dormitory visit this month covers the boarder; it is not a family contact.
    services.contact_record(actor=w.psych, student=w.b1, kind="dorm_visit", done_on=_today(), summary="宿舍整洁",
                            dormitory="3-201")
    other = selectors.class_coverage(w.psych, w.class2)
    assert other.missing[selectors.DORM_MONTH] == []
    assert [s.name for s in other.missing[selectors.FAMILY_SEMESTER]] == ["王三"]
    # The head teacher of 七年级(1)班 lists nobody of another class.
    assert selectors.class_coverage(w.head, w.class2).rows == []


def test_coverage_rates_per_school_and_class_are_counted_set_wise(visited, django_assert_max_num_queries):
    w = visited
    # The school year, the unit's totals, the grouped counts of its classes and their names: whatever the size.
    with django_assert_max_num_queries(4):
        data = selectors.coverage(w.school)
    assert (data.totals.students, data.totals.home, data.totals.key, data.totals.key_home) == (3, 1, 1, 0)
    assert (data.totals.family, data.totals.boarders, data.totals.dorm) == (2, 1, 0)
    by_class = {row.unit_id: row.figures for row in data.children}
    assert by_class[w.class1.pk].home == 1 and by_class[w.class1.pk].students == 2
    assert by_class[w.class2.pk].boarders == 1 and by_class[w.class2.pk].dorm == 0
    district = selectors.coverage(w.east)
    assert [row.unit_id for row in district.children] == [w.school.pk]
    city = selectors.coverage(w.city)
    assert {row.unit_id: row.figures.students for row in city.children} == {w.east.pk: 3, w.west.pk: 1}


def test_by_teacher_counts_the_contacts_each_recorded(visited):
    rows = {r.name: r for r in selectors.by_recorder(visited.school)}
    assert rows["head"].done == 2 and rows["head"].home == 1
    assert rows["psych"].done == 1


# --------------------------------------------------------------------------------------------------- pages

def test_the_head_teachers_class_page_lists_names_and_records_quickly(visited, client_for):
    w = visited
    client = client_for(w.head)
    body = client.get(reverse("visits:class", args=[w.class1.pk])).content.decode()
    assert 'id="missing-home_year"' in body and "李二" in body
    assert ReadEvent.objects.filter(user=w.head, record_type="visits.class", student=w.a2).exists()
    response = client.post(reverse("visits:class", args=[w.class1.pk]), {
        "do": "record", "student": w.a2.pk, "kind": "home_visit", "done_on": _today().isoformat(),
        "visitors": "班主任", "met_with": "父亲", "summary": "家中学习环境良好", "agreed": "每天按时睡觉"})
    assert response.status_code == 302
    assert FamilyContact.objects.filter(student=w.a2, kind="home_visit", status="done", agreed="每天按时睡觉").exists()
    assert selectors.class_coverage(w.head, w.class1).missing[selectors.KEY_HOME_YEAR] == []


def test_a_bad_quick_record_says_why_and_keeps_what_was_typed(world, client_for, english):
    response = client_for(world.head).post(reverse("visits:class", args=[world.class1.pk]), {
        "do": "record", "student": world.a1.pk, "kind": "home_visit", "done_on": _today().isoformat(),
        "summary": "看望", "agreed": "保持联系 KEEP"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Write who went on the home visit." in body and "保持联系 KEEP" in body
    assert not FamilyContact.objects.exists()


def test_planning_the_class_from_its_page(world, client_for):
    first = _today() + timedelta(days=1)
    response = client_for(world.head).post(reverse("visits:class", args=[world.class1.pk]), {
        "do": "plan", "first_day": first.isoformat(), "last_day": (first + timedelta(days=10)).isoformat(),
        "weekdays_only": "on"})
    assert response.status_code == 302
    assert set(FamilyContact.objects.filter(status="planned").values_list("student__name", flat=True)) == {"张一", "李二"}
    body = client_for(world.head).get(reverse("visits:mine")).content.decode()
    assert "张一" in body and "李二" in body


def test_my_planned_visits_come_overdue_first(world):
    later = services.contact_plan(actor=world.head, student=world.a1, kind="home_visit",
                                  planned_on=_today() + timedelta(days=5))
    overdue = services.contact_plan(actor=world.head, student=world.a2, kind="phone", planned_on=_today())
    FamilyContact.objects.filter(pk=overdue.pk).update(planned_on=_today() - timedelta(days=3))
    assert [c.pk for c in selectors.mine(world.head)] == [overdue.pk, later.pk]


def test_visit_pages_refuse_another_class_and_a_mentor_sees_only_paired_students(world, client_for):
    contact = _phone(world.head, world.a1)
    head2 = f.UserFactory(username="head2")
    f.assign(head2, "head_teacher", world.class2)
    other = client_for(head2)
    assert other.get(reverse("visits:new", args=[world.a1.pk])).status_code == 404
    assert other.get(reverse("visits:detail", args=[contact.pk])).status_code == 404
    assert other.get(reverse("visits:class", args=[world.class1.pk])).status_code == 404
    mentor = client_for(world.mentor)  # paired with 王三 only
    assert mentor.get(reverse("visits:new", args=[world.a1.pk])).status_code == 404
    assert mentor.get(reverse("visits:detail", args=[contact.pk])).status_code == 404
    assert mentor.get(reverse("visits:new", args=[world.b1.pk])).status_code == 200
    assert client_for(world.outsider).get(reverse("visits:coverage")).status_code == 403


def test_contact_page_shows_what_was_agreed_only_to_those_who_contact_the_family(world, client_for):
    contact = _phone(world.head, world.a1)
    assert "每周五电话联系" in client_for(world.head).get(reverse("visits:detail", args=[contact.pk])).content.decode()
    assert ReadEvent.objects.filter(user=world.head, record_type="visits.contact", record_id=str(contact.pk)).exists()
    held = {roles.CASE_FILE, roles.STUDENT_ROSTER}
    entries = selectors.file_entries(world.head, world.a1, held)
    assert len(entries) == 1 and entries[0].detail == "" and entries[0].url
    entries = selectors.file_entries(world.head, world.a1, held | {roles.GUARDIAN_CONTACT})
    assert "每周五电话联系" in entries[0].detail
    assert selectors.file_entries(world.head, world.a1, {roles.STUDENT_ROSTER}) == []


def test_a_planned_visit_is_recorded_from_its_page(world, client_for):
    planned = services.contact_plan(actor=world.head, student=world.a1, kind="home_visit", planned_on=_today())
    client = client_for(world.head)
    response = client.post(reverse("visits:detail", args=[planned.pk]), {
        "do": "record", "kind": "home_visit", "done_on": _today().isoformat(), "visitors": "班主任, 心理老师",
        "met_with": "母亲", "summary": "谈了睡眠", "agreed": "减少手机"})
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.status == "done" and planned.agreed == "减少手机"


def test_leaders_see_rates_and_a_city_administrator_small_counts_hidden(visited, client_for):
    w = visited
    body = client_for(w.leader).get(reverse("visits:coverage")).content.decode()
    assert 'id="by-unit"' in body and reverse("visits:class", args=[w.class1.pk]) in body
    assert "张一" not in body
    city = client_for(w.city_admin).get(reverse("visits:coverage") + f"?unit={w.school.pk}").content.decode()
    assert 'data-hidden="1">*<' in city and 'id="suppression-legend"' in city
    assert reverse("visits:class", args=[w.class1.pk]) not in city
    assert client_for(w.city_admin).get(reverse("visits:class", args=[w.class1.pk])).status_code == 404
    # The head teacher's coverage is the class page.
    response = client_for(w.head).get(reverse("visits:coverage"))
    assert response.status_code == 302 and response["Location"] == reverse("visits:class", args=[w.class1.pk])
