"""A row → a clean record or every problem of the row, by line and column. No database."""

from datetime import date

from runxin.imports.columns import STAFF, STUDENTS, match_header
from runxin.imports.validation import DuplicateFinder, StaffRowValidator, StudentRowValidator

from .helpers import NATIONAL_HEADER, student_row

GROUPS = {"left_behind_one", "left_behind_both", "migrant", "orphan", "single_parent", "poor", "disabled", "bullied"}


def _validator(header=NATIONAL_HEADER, groups=None):
    h = match_header(header, kind=STUDENTS, line=1, group_names=groups or {})
    return StudentRowValidator(h, today=date(2026, 9, 1), active_groups=GROUPS), h


def test_a_clean_row():
    validator, _h = _validator()
    record, problems = validator.validate(2, student_row(1, name="张 三", klass="初一（3）班", 是否留守儿童="双亲留守儿童",
                                                         是否进城务工人员随迁子女="是"))
    assert problems == []
    assert (record.name, record.sex, record.birth_date, record.grade_level, record.class_number) == (
        "张三", "M", date(2013, 5, 3), 7, 3)
    assert record.groups == {"left_behind_both", "migrant"}
    assert record.guardians == ((1, "家长1", "母亲", "13900000001"),)
    assert validator.managed_groups == {"left_behind_one", "left_behind_both", "migrant", "orphan"}


def test_every_problem_of_a_row_is_reported_with_its_column():
    validator, _h = _validator()
    row = student_row(1, 性别="3", 出生日期="2011-02-30", 班级="火星班", 就读方式="半住")
    row[0] = "1.2E+17"
    record, problems = validator.validate(7, row)
    assert record is None
    assert [(p.line, p.column) for p in problems] == [
        (7, "学籍号 (A)"), (7, "性别 (C)"), (7, "出生日期 (D)"), (7, "班级 (G)"), (7, "就读方式 (H)")]
    assert "scientific notation" in problems[0].render()
    assert "unknown sex code 3" in problems[1].render()


def test_id_number_checked_against_birth_date_and_sex():
    validator, _h = _validator()
    row = student_row(1)
    row[5] = row[5][:17] + ("0" if row[5][17] != "0" else "1")
    _record, problems = validator.validate(2, row)
    assert [p.column for p in problems] == ["身份证件号 (F)"] and "check digit" in problems[0].render()
    _record, problems = validator.validate(3, student_row(2, 出生日期="2013-05-04"))
    assert "the ID number says born 2013-05-03" in problems[0].render()


def test_a_passport_is_not_checked_as_a_resident_id():
    validator, _h = _validator()
    record, problems = validator.validate(2, student_row(1, 身份证件类型="护照", 身份证件号="E12345678"))
    assert problems == [] and record.id_number == "E12345678"


def test_guardian_with_a_phone_but_no_name():
    validator, _h = _validator()
    _record, problems = validator.validate(2, student_row(1, 成员1姓名=""))
    assert "member 1 has a phone number but no name" in problems[0].render()
    record, problems = validator.validate(3, student_row(2, 成员1姓名="", 成员1联系电话="", 成员1关系=""))
    assert problems == [] and record.guardians == ()


def test_extra_group_columns_named_after_a_special_group():
    validator, _h = _validator(NATIONAL_HEADER + ["遭受欺凌"], groups={"遭受欺凌": "bullied"})
    record, _p = validator.validate(2, student_row(1) + ["是"])
    assert record.groups == {"bullied"}
    assert "bullied" in validator.managed_groups


def test_short_rows_are_read_as_empty_cells():
    validator, _h = _validator()
    _record, problems = validator.validate(2, ["G320502201305030011", "张三"])
    assert {p.column for p in problems} >= {"性别 (C)", "出生日期 (D)", "班级 (G)"}


def test_duplicates_within_the_file():
    validator, header = _validator()
    finder = DuplicateFinder()
    first, _ = validator.validate(2, student_row(1))
    again, _ = validator.validate(9, student_row(1, name="另一个"))
    assert finder.check(first, header) is None
    problem = finder.check(again, header)
    assert problem.line == 9 and "already on line 2" in problem.render()


def test_staff_rows():
    header = match_header(["姓名", "工号/用户名", "手机", "角色", "任职单位"], kind=STAFF, line=1)
    validator = StaffRowValidator(header, role_names={"班主任": "head_teacher", "mentor": "mentor"}, school_name="东区第一中学")
    record, problems = validator.validate(2, ["陈老师", "T2026", "13700001111", "班主任", "七年级（3）班"])
    assert problems == [] and (record.username, record.role, record.unit) == ("t2026", "head_teacher", (7, 3))
    record, _ = validator.validate(3, ["李老师", "li.x", "", "mentor", "东区第一中学"])
    assert record.unit == ()
    record, _ = validator.validate(4, ["赵老师", "zhao", "", "班主任", "八年级"])
    assert record.unit == (8,)
    _record, problems = validator.validate(5, ["钱老师", "t2026", "123", "校工", "火星"])
    reasons = " | ".join(p.render() for p in problems)
    assert "duplicate user name t2026" in reasons and "unknown role" in reasons and "not a phone number" in reasons
    assert "neither this school" in reasons
