"""School-year rollover: preview, apply, graduation, history, class teams, idempotence, bulk cost, pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from runxin.access import scope
from runxin.org import rollover
from runxin.org.models import OrgUnit, RolloverRun, SchoolRollover, SchoolYear
from runxin.people.models import Enrollment, RoleAssignment, Student
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def ninth(world):
    """A 九年级 class about to graduate from the junior school, with its head teacher."""
    unit = f.school_class(world.school, 9, 1, world.year)
    students = [f.StudentFactory(name=name, school_class=unit) for name in ("钱九", "孙九")]
    teacher = f.UserFactory(username="head9")
    f.assign(teacher, "head_teacher", unit)
    return {"unit": unit, "students": students, "teacher": teacher}


def apply(world, school=None):
    to_year = rollover.next_year_get_or_create(world.year)
    return rollover.apply_school(school=school or world.school, from_year=world.year, to_year=to_year,
                                 user=world.leader), to_year


def test_preview_lists_every_class_and_who_graduates(world, ninth):
    preview = rollover.preview_school(world.school, world.year)
    lines = [(line.unit.name, line.to_name, line.students, line.head_teachers) for line in preview.lines]
    assert lines == [
        ("七年级(1)班", "八年级(1)班", 2, 1),
        ("七年级(2)班", "八年级(2)班", 1, 0),
        ("九年级(1)班", None, 2, 1),
    ]
    assert (preview.promoted, preview.graduating, preview.classes_created) == (3, 2, 2)
    assert preview.to_year_code == "2027-2028" and not preview.to_year_exists and preview.done is None
    assert not SchoolYear.objects.filter(code="2027-2028").exists()  # previewing creates nothing


@pytest.mark.parametrize(("school_type", "top"), [
    ("primary", 6), ("junior", 9), ("senior", 12), ("nine_year", 9), ("complete", 12), ("vocational", 12),
    ("special", 9),
])
def test_top_grade_depends_on_school_type(world, school_type, top):
    school = f.school(world.east, f"{school_type}学校", school_type=school_type)
    below, at_top = f.school_class(school, top - 1, 1, world.year), f.school_class(school, top, 1, world.year)
    f.StudentFactory(school_class=below)
    f.StudentFactory(school_class=at_top)
    result, _ = apply(world, school)
    assert (result.promoted, result.graduated) == (1, 1)


def test_apply_moves_students_up_with_their_history(world, ninth):
    result, to_year = apply(world)
    assert (result.promoted, result.graduated, result.classes_created) == (3, 2, 2)
    a1 = Student.objects.select_related("school_class", "grade").get(pk=world.a1.pk)
    assert a1.school_class.name == "八年级(1)班" and a1.school_class.school_year == to_year
    assert a1.school_class.previous_id == world.class1.pk
    assert a1.grade.name == "八年级" and a1.grade_id == a1.school_class.parent_id
    assert (a1.school_id, a1.district_id, a1.city_id) == (world.school.pk, world.east.pk, world.city.pk)
    history = list(Enrollment.objects.filter(student=a1).order_by("started_on"))
    assert [(e.school_class_id, e.ended_on, e.reason, e.end_reason) for e in history] == [
        (world.class1.pk, dt.date(2027, 8, 31), "enrolled", "promoted"),
        (a1.school_class_id, None, "promoted", ""),
    ]
    assert history[1].started_on == dt.date(2027, 9, 1) and history[1].school_year == to_year


def test_top_grade_graduates_and_keeps_its_placement(world, ninth):
    apply(world)
    for student in ninth["students"]:
        student.refresh_from_db()
        assert student.status == "graduated" and student.school_class_id == ninth["unit"].pk
        enrollment = Enrollment.objects.get(student=student)
        assert (enrollment.ended_on, enrollment.end_reason) == (dt.date(2027, 8, 31), "graduated")
    assert not OrgUnit.objects.filter(grade_level=10, school=world.school).exists()


def test_old_year_units_are_kept_but_inactive(world, ninth):
    apply(world)
    old = OrgUnit.objects.filter(school=world.school, school_year=world.year)
    assert old.count() == 5 and not old.filter(is_active=True).exists()  # 2 grades, 3 classes
    assert OrgUnit.objects.filter(school=world.school, school_year__code="2027-2028", is_active=True).count() == 3


def test_class_teams_go_up_with_the_class_and_end_with_graduation(world, ninth):
    apply(world)
    head = RoleAssignment.objects.get(user=world.head)
    assert head.org_unit.name == "八年级(1)班" and head.org_unit.previous_id == world.class1.pk
    scope.forget(world.head)
    assert sorted(scope.students(world.head).values_list("name", flat=True)) == ["张一", "李二"]
    committee = RoleAssignment.objects.get(user=world.committee)
    assert committee.org_unit_id == head.org_unit_id
    graduated_head = RoleAssignment.objects.get(user=ninth["teacher"])
    assert not graduated_head.is_active and graduated_head.ends_on == dt.date(2027, 8, 31)


def test_suspended_students_stay_in_their_class(world):
    Student.objects.filter(pk=world.b1.pk).update(status="suspended")
    result, _ = apply(world)
    world.b1.refresh_from_db()
    assert result.promoted == 2 and world.b1.school_class_id == world.class2.pk
    assert Enrollment.objects.get(student=world.b1).ended_on is None


def test_applying_twice_refuses_and_changes_nothing(world, ninth):
    apply(world)
    enrollments = Enrollment.objects.count()
    with pytest.raises(rollover.RolloverError, match="already rolled over"):
        apply(world)
    assert Enrollment.objects.count() == enrollments
    assert OrgUnit.objects.filter(school=world.school, kind="class", school_year__code="2027-2028").count() == 2
    assert SchoolRollover.objects.get(school=world.school).promoted == 3


def test_new_year_becomes_current_when_every_school_has_rolled(world):
    _, to_year = apply(world)
    assert SchoolYear.objects.get(is_current=True) == world.year
    apply(world, world.other_school)
    assert SchoolYear.objects.get(is_current=True) == to_year


def test_classes_of_an_early_import_are_reused(world):
    to_year = rollover.next_year_get_or_create(world.year)
    early = f.school_class(world.school, 8, 1, to_year)
    result, _ = apply(world)
    world.a1.refresh_from_db()
    assert world.a1.school_class_id == early.pk and result.classes_created == 1


def _bulk_students(school_class: OrgUnit, count: int, start: int) -> None:
    from runxin.people.services import placement_fields

    placement = placement_fields(school_class)
    students = Student.objects.bulk_create(
        Student(student_number=f"G{start + n:018d}", name=f"学生{start + n}", sex="MF"[n % 2],
                birth_date=dt.date(2013, 1, 1), **placement) for n in range(count)
    )
    Enrollment.objects.bulk_create(
        Enrollment(student=s, school_class=school_class, school_id=school_class.school_id,
                   school_year_id=school_class.school_year_id, started_on=dt.date(2026, 9, 1), reason="enrolled")
        for s in students
    )


def _apply_queries(world, school) -> int:
    to_year = rollover.next_year_get_or_create(world.year)
    with CaptureQueriesContext(connection) as queries:
        rollover.apply_school(school=school, from_year=world.year, to_year=to_year, user=world.leader)
    return len(queries)


def test_apply_is_set_based_its_queries_do_not_grow_with_students(world):
    small = f.school(world.east, "小学校", school_type="junior")
    big = f.school(world.east, "大学校", school_type="junior")
    for level in (7, 8, 9):
        _bulk_students(f.school_class(small, level, 1, world.year), 2, 10_000 * level)
        _bulk_students(f.school_class(big, level, 1, world.year), 200, 20_000 * level + 1_000_000)
    assert _apply_queries(world, small) == _apply_queries(world, big)


# Pages -------------------------------------------------------------------------------------------------
def test_school_leader_previews_own_school(world, ninth, client_for):
    response = client_for(world.leader).get(reverse("org:rollover"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "八年级(1)班" in body and "2027-2028" in body and "graduates" in body


def test_school_leader_applies_and_watches_the_run(world, ninth, client_for, django_capture_on_commit_callbacks):
    client = client_for(world.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("org:rollover"), {"unit": world.school.pk})
    run = RolloverRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("org:rollover_run", args=[run.pk])
    assert (run.status, run.schools_done, run.promoted, run.graduated) == ("done", 1, 3, 2)  # eager in tests
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Done" in page.content.decode()
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "hx-trigger" not in partial.content.decode()


def test_second_apply_from_the_page_is_refused_with_a_message(world, client_for, django_capture_on_commit_callbacks):
    client = client_for(world.leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("org:rollover"), {"unit": world.school.pk})
    response = client.post(reverse("org:rollover"), {"unit": world.school.pk}, follow=True)
    assert "already rolled over" in response.content.decode()
    assert RolloverRun.objects.count() == 1
    assert Enrollment.objects.filter(student=world.a1).count() == 2


def test_city_admin_rolls_the_whole_city_in_one_run(world, client_for, django_capture_on_commit_callbacks):
    client = client_for(world.city_admin)
    preview = client.get(reverse("org:rollover"), {"unit": world.city.pk})
    assert "All schools of 测试市" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("org:rollover"), {"unit": world.city.pk})
    run = RolloverRun.objects.get()
    assert (run.status, run.schools_total, run.schools_done, run.promoted) == ("done", 2, 2, 4)
    assert SchoolYear.objects.get(is_current=True).code == "2027-2028"


def test_city_run_skips_schools_already_rolled(world, client_for, django_capture_on_commit_callbacks):
    apply(world)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.city_admin).post(reverse("org:rollover"), {"unit": world.city.pk})
    run = RolloverRun.objects.get()
    assert (run.schools_done, run.schools_skipped, run.promoted) == (1, 1, 1)


def test_leader_cannot_roll_another_school(world, client_for):
    client = client_for(world.leader)
    assert client.post(reverse("org:rollover"), {"unit": world.other_school.pk}).status_code == 404
    assert client.get(reverse("org:rollover"), {"unit": world.other_school.pk}).status_code == 404
    assert not SchoolRollover.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "psych", "head", "supervisor", "district_centre"])
def test_roles_without_rollover_are_refused(world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get(reverse("org:rollover")).status_code == 403
    assert client.post(reverse("org:rollover"), {"unit": world.school.pk}).status_code == 403


def test_run_page_of_another_scope_is_404(world, client_for):
    client_for(world.city_admin).post(reverse("org:rollover"), {"unit": world.city.pk})
    run = RolloverRun.objects.get()
    assert client_for(world.leader).get(reverse("org:rollover_run", args=[run.pk])).status_code == 404


def test_execute_run_twice_does_nothing_the_second_time(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = rollover.run_request(user=world.city_admin, scope_unit=world.city, from_year=world.year)
    assert rollover.execute_run(run.pk) is None  # the eager task already claimed and finished it
    run.refresh_from_db()
    assert run.status == "done" and run.promoted == 4


# The command ----------------------------------------------------------------------------------------------
def test_command_dry_run_changes_nothing(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rollover", school="S-E1", to="2027-2028", dry_run=True, stdout=out)
    assert "七年级(1)班" in out.getvalue() and "→ 八年级(1)班" in out.getvalue() and "dry run" in out.getvalue()
    assert not SchoolRollover.objects.exists() and not SchoolYear.objects.filter(code="2027-2028").exists()


def test_command_rolls_every_school(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rollover", all=True, to="2027-2028", stdout=out)  # runs in the foreground (no commit here)
    assert "2 schools rolled over" in out.getvalue() and "4 students moved up" in out.getvalue()


def test_command_refuses_the_wrong_year(world):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="rolls over into 2027-2028"):
        call_command("rollover", school="S-E1", to="2028-2029")


def test_a_head_teacher_assigned_early_to_the_new_class_keeps_that_one(world):
    to_year = rollover.next_year_get_or_create(world.year)
    early = f.school_class(world.school, 8, 1, to_year)
    f.assign(world.head, "head_teacher", early)
    rollover.apply_school(school=world.school, from_year=world.year, to_year=to_year, user=world.leader)
    rows = RoleAssignment.objects.filter(user=world.head).order_by("pk")
    assert [(r.org_unit_id, r.is_active) for r in rows] == [(world.class1.pk, False), (early.pk, True)]
