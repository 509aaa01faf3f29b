"""The student import against PostgreSQL: create, re-import, update by 学籍号, modes, conflicts, guardians,
groups. Both writers (set-based SQL and the ORM one the SQLite demo uses) must agree."""

import datetime as dt

import pytest
from django.utils import timezone

from runxin.imports import roster
from runxin.imports.problems import read
from runxin.people.models import Enrollment, GroupMembership, Guardian, SpecialGroup, Student

from .helpers import NATIONAL_HEADER, student_row, write_csv, write_xlsx

pytestmark = pytest.mark.django_db
ENGINES = ["sql", "orm"]


def run(world, tmp_path, rows, *, engine, mode=roster.VALID, dry_run=False, user=None, school=None, **kw):
    path = write_csv(tmp_path / f"roster-{len(list(tmp_path.iterdir()))}.csv", rows, **kw)
    return roster.import_students(path=path, school=school or world.school, user=user or world.psych, mode=mode,
                                  dry_run=dry_run, problems_path=tmp_path / "problems.jsonl", engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_new_students_are_placed_with_history_guardians_and_groups(world, tmp_path, engine):
    rows = [student_row(1, name="周一", klass="七年级(3)班", 是否留守儿童="双亲留守儿童"),
            student_row(2, name="吴二", klass="初二（1）班", male=False, 是否进城务工人员随迁子女="是")]
    report = run(world, tmp_path, rows, engine=engine)
    assert (report.rows_read, report.created, report.updated, report.unchanged, report.rejected) == (2, 2, 0, 0, 0)
    zhou = Student.objects.get(name="周一")
    assert zhou.school_class.name == "七年级(3)班" and zhou.school_class.school_year == world.year
    assert (zhou.school_id, zhou.district_id, zhou.city_id, zhou.grade_id) == (
        world.school.id, world.east.id, world.city.id, zhou.school_class.parent_id)
    assert zhou.id_number == rows[0][5] and zhou.birth_date == dt.date(2013, 5, 3)
    assert list(zhou.enrollments.values_list("reason", "school_class_id", "ended_on")) == [
        ("imported", zhou.school_class_id, None)]
    assert list(zhou.guardians.values_list("position", "name", "relation", "phone")) == [
        (1, "家长1", "母亲", "13900000001")]
    assert set(zhou.groups.values_list("code", flat=True)) == {"left_behind_both"}
    wu = Student.objects.get(name="吴二")
    assert wu.sex == "F" and wu.school_class.name == "八年级(1)班"
    assert set(wu.groups.values_list("code", flat=True)) == {"migrant"}


@pytest.mark.parametrize("engine", ENGINES)
def test_reimporting_the_same_file_changes_nothing(world, tmp_path, engine):
    rows = [student_row(n, 是否留守儿童="单亲留守儿童") for n in range(1, 6)]
    run(world, tmp_path, rows, engine=engine)
    stamps = dict(Student.objects.filter(school=world.school).values_list("student_number", "updated_at"))
    counts = (Enrollment.objects.count(), Guardian.objects.count(), GroupMembership.objects.count())
    report = run(world, tmp_path, rows, engine=engine)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 5, 0)
    assert dict(Student.objects.filter(school=world.school).values_list("student_number", "updated_at")) == stamps
    assert (Enrollment.objects.count(), Guardian.objects.count(), GroupMembership.objects.count()) == counts


@pytest.mark.parametrize("engine", ENGINES)
def test_an_updated_file_updates_by_student_number(world, tmp_path, engine):
    run(world, tmp_path, [student_row(n) for n in range(1, 5)], engine=engine)
    s2 = Student.objects.get(name="学生2")
    before = {s.student_number: s.updated_at for s in Student.objects.filter(school=world.school)}
    rows = [
        student_row(1),  # unchanged
        student_row(2, name="学生二", klass="七年级(5)班"),  # renamed and moved to another class
        student_row(3, 成员1联系电话="13811112222"),  # a guardian's phone changed
        student_row(4, 是否孤儿="是"),  # a group flag changed
        student_row(5),  # new
    ]
    report = run(world, tmp_path, rows, engine=engine)
    assert (report.created, report.updated, report.unchanged) == (1, 3, 1)
    s2.refresh_from_db()
    assert s2.name == "学生二" and s2.school_class.name == "七年级(5)班"
    history = list(s2.enrollments.order_by("id").values_list("reason", "ended_on", "end_reason"))
    assert history == [("imported", timezone.localdate(), "class_changed"), ("class_changed", None, "")]
    assert Guardian.objects.get(student__name="学生3").phone == "13811112222"
    assert list(Student.objects.get(name="学生4").groups.values_list("code", flat=True)) == ["orphan"]
    after = {s.student_number: s.updated_at for s in Student.objects.filter(school=world.school)}
    unchanged_number = rows[0][0]
    assert after[unchanged_number] == before[unchanged_number]
    assert all(after[r[0]] > before[r[0]] for r in rows[1:4])


@pytest.mark.parametrize("engine", ENGINES)
def test_groups_without_a_column_are_left_alone(world, tmp_path, engine):
    run(world, tmp_path, [student_row(1)], engine=engine)
    student = Student.objects.get(name="学生1")
    GroupMembership.objects.create(student=student, group=SpecialGroup.objects.get(code="bullied"))
    GroupMembership.objects.create(student=student, group=SpecialGroup.objects.get(code="orphan"))
    report = run(world, tmp_path, [student_row(1)], engine=engine)  # 是否孤儿 = 否 in the file
    assert set(student.groups.values_list("code", flat=True)) == {"bullied"}
    assert report.updated == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_an_admin_added_group_column_marks_members(world, tmp_path, engine):
    SpecialGroup.objects.create(code="exam_stress", name_zh="考试焦虑", name_en="Exam stress")
    header = NATIONAL_HEADER + ["是否考试焦虑"]
    run(world, tmp_path, [student_row(1) + ["是"], student_row(2) + ["否"]], header=header, engine=engine)
    assert list(Student.objects.filter(groups__code="exam_stress").values_list("name", flat=True)) == ["学生1"]


@pytest.mark.parametrize("engine", ENGINES)
def test_valid_rows_mode_imports_the_rest_and_records_problems(world, tmp_path, engine):
    rows = [student_row(1), student_row(2, 出生日期="2011-02-30"), student_row(3), student_row(1, name="重复")]
    report = run(world, tmp_path, rows, engine=engine, title="东区第一中学 2026 学生名单")
    assert (report.rows_read, report.created, report.rejected) == (4, 2, 2)
    problems = list(read(tmp_path / "problems.jsonl"))
    assert [(p.line, p.column) for p in problems] == [(4, "出生日期 (D)"), (6, "学籍号 (A)")]
    assert "already on line 3" in problems[1].render()
    assert not Student.objects.filter(name="重复").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_all_or_nothing_writes_nothing_when_a_row_is_bad(world, tmp_path, engine):
    before = Student.objects.count()
    report = run(world, tmp_path, [student_row(1), student_row(2, 性别="9")], mode=roster.ALL, engine=engine)
    assert report.refused and not report.written and report.rejected == 1
    assert Student.objects.count() == before
    report = run(world, tmp_path, [student_row(1), student_row(2)], mode=roster.ALL, engine=engine)
    assert report.written and report.created == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_dry_run_counts_but_writes_nothing(world, tmp_path, engine):
    before = (Student.objects.count(), Enrollment.objects.count(), world.school.__class__.objects.count())
    report = run(world, tmp_path, [student_row(1, klass="九年级(9)班"), student_row(2)], dry_run=True, engine=engine)
    assert report.created == 2 and not report.written
    assert (Student.objects.count(), Enrollment.objects.count(), world.school.__class__.objects.count()) == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_student_of_another_school_is_not_silently_moved(world, tmp_path, engine):
    row = student_row(1, name="赵四")
    row[0] = world.w1.student_number
    report = run(world, tmp_path, [row, student_row(2)], engine=engine)
    assert report.rejected == 1 and report.created == 1
    problem = next(read(tmp_path / "problems.jsonl"))
    assert "registered at 西区实验学校" in problem.render() and "transfer" in problem.render()
    world.w1.refresh_from_db()
    assert world.w1.school_id == world.other_school.id


@pytest.mark.parametrize("engine", ENGINES)
def test_a_user_whose_scope_covers_both_schools_moves_the_student(world, tmp_path, engine):
    row = student_row(1, name="赵四", klass="七年级(2)班")
    row[0] = world.w1.student_number
    report = run(world, tmp_path, [row], user=world.city_centre, engine=engine)
    assert report.rejected == 0 and report.updated == 1
    world.w1.refresh_from_db()
    assert world.w1.school_id == world.school.id and world.w1.district_id == world.east.id
    assert list(world.w1.enrollments.order_by("id").values_list("school_id", "reason", "end_reason")) == [
        (world.other_school.id, "enrolled", "transferred_in"), (world.school.id, "transferred_in", "")]


@pytest.mark.parametrize("engine", ENGINES)
def test_guardians_upserted_by_position_and_blank_cells_keep_what_is_saved(world, tmp_path, engine):
    header = NATIONAL_HEADER + ["成员2姓名", "成员2关系", "成员2联系电话"]
    run(world, tmp_path, [student_row(1) + ["王伯", "祖父", "13700000000"]], header=header, engine=engine)
    student = Student.objects.get(name="学生1")
    assert list(student.guardians.values_list("position", "relation")) == [(1, "母亲"), (2, "祖父")]
    run(world, tmp_path, [student_row(1, 成员1关系="") + ["王伯", "爷爷", ""]], header=header, engine=engine)
    assert list(student.guardians.values_list("position", "relation", "phone")) == [
        (1, "母亲", "13900000001"), (2, "爷爷", "13700000000")]


def test_xlsx_gbk_and_school_made_variants_import_alike(world, tmp_path):
    header = ["学生姓名", "性 别", "全国学籍号", "出生日期", "年级", "班级", "是否住校"]
    base = student_row(1)
    school_made = [["张 三", "1", base[0], "2013.5.3", "初一", "（3）班", "是"]]
    path = write_xlsx(tmp_path / "r.xlsx", school_made, header=header, title="东区第一中学七年级名单")
    report = roster.import_students(path=path, school=world.school, user=world.psych, problems_path=tmp_path / "p.jsonl")
    assert report.created == 1 and report.header_line == 2
    student = Student.objects.get(student_number=base[0])
    assert (student.name, student.sex, student.boarding, student.school_class.name) == ("张三", "M", "boarding", "七年级(3)班")
    gbk = write_csv(tmp_path / "gbk.csv", school_made, header=header, encoding="gbk")
    report = roster.import_students(path=gbk, school=world.school, user=world.psych, problems_path=tmp_path / "p.jsonl")
    assert (report.created, report.unchanged) == (0, 1)


def test_classes_created_once_per_batch_in_the_current_year(world, tmp_path):
    from runxin.org.models import OrgUnit

    rows = [student_row(n, klass="九年级(4)班") for n in range(1, 30)]
    run(world, tmp_path, rows, engine="sql")
    classes = OrgUnit.objects.filter(school=world.school, kind="class", grade_level=9, class_number=4)
    assert classes.count() == 1 and classes.get().school_year == world.year
    assert Student.objects.filter(school_class=classes.get()).count() == 29


def test_sql_writer_query_count_does_not_grow_with_rows(world, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [student_row(n, klass=f"七年级({n % 3 + 1})班") for n in range(1, 400)]
    run(world, tmp_path, rows[:5], engine="sql")  # the classes exist now
    with CaptureQueriesContext(connection) as few:
        run(world, tmp_path, rows[5:40], engine="sql")
    with CaptureQueriesContext(connection) as many:
        report = run(world, tmp_path, rows[40:], engine="sql")
    assert report.created == 359
    assert len(many.captured_queries) == len(few.captured_queries) <= 60


def test_the_worker_process_path_gives_the_same_result(world, tmp_path):
    """Large files are read and validated in a forked worker while this process writes."""
    rows = [student_row(n, klass=f"八年级({n % 4 + 1})班") for n in range(1, 60)]
    rows.insert(10, student_row(99, 性别="未知"))
    rows.append(student_row(5, name="重复"))
    path = write_csv(tmp_path / "big.csv", rows)
    report = roster.import_students(path=path, school=world.school, user=world.psych, problems_path=tmp_path / "p.jsonl",
                                    engine="sql", parallel=True)
    assert (report.rows_read, report.created, report.rejected) == (61, 59, 2)
    assert [p.line for p in read(tmp_path / "p.jsonl")] == [12, 62]
    assert Student.objects.filter(school_class__grade_level=8).count() == 59


def test_many_batches_keep_duplicates_across_batch_boundaries(world, tmp_path, monkeypatch):
    from runxin.imports import bulk

    monkeypatch.setattr(bulk, "BATCH_ROWS", 7)
    rows = [student_row(n) for n in range(1, 30)] + [student_row(3, name="又是三")]
    report = run(world, tmp_path, rows, engine="sql")
    assert (report.created, report.rejected) == (29, 1)
    again = run(world, tmp_path, rows, engine="sql")
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 29, 1)


def test_with_the_foreign_key_shortcut_off_the_checks_run_and_the_result_is_the_same(world, tmp_path, settings):
    settings.IMPORT_SKIP_ROW_TRIGGERS = False
    rows = [student_row(n, klass="七年级(6)班") for n in range(1, 8)]
    report = run(world, tmp_path, rows, engine="sql")
    assert report.created == 7
    assert Enrollment.objects.filter(student__school_class__name="七年级(6)班", reason="imported").count() == 7


def test_the_foreign_key_shortcut_does_not_outlive_the_import(world, tmp_path):
    from django.db import connection

    run(world, tmp_path, [student_row(1)], engine="sql")
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


@pytest.mark.parametrize("engine", ENGINES)
def test_new_students_are_numbered_in_the_order_of_the_file(world, tmp_path, engine):
    # Classes interleaved and numbers descending: ids in the join's order would group them by class.
    classes = ["七年级(3)班", "八年级(1)班", "七年级(1)班"]
    rows = [student_row(n, klass=classes[n % 3]) for n in range(12, 0, -1)]
    run(world, tmp_path, rows, engine=engine)
    numbers = [row[0] for row in rows]
    by_id = list(Student.objects.filter(student_number__in=numbers).order_by("id")
                 .values_list("student_number", flat=True))
    assert by_id == numbers
