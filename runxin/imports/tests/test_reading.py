"""Reading .csv in any of the encodings schools produce, and .xlsx, with title lines above the header."""

from datetime import date, datetime

import pytest

from runxin.imports.columns import (
    STAFF,
    STUDENTS,
    HeaderNotFound,
    locate_header,
    match_header,
    normalise_header,
)
from runxin.imports.reading import RowSource, Unreadable, detect_encoding
from runxin.imports.values import looks_scientific

from .helpers import NATIONAL_HEADER, student_row, write_csv, write_xlsx


def _rows(path):
    return list(RowSource(path))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding(tmp_path, encoding):
    path = write_csv(tmp_path / "r.csv", [student_row(1, name="张三")], encoding=encoding)
    rows = _rows(path)
    assert rows[0] == (1, NATIONAL_HEADER)  # the BOM is not part of the first header
    assert rows[1][1][1] == "张三"


def test_detect_encoding():
    assert detect_encoding("姓名".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + "姓名".encode()) == "utf-8-sig"
    assert detect_encoding("姓名".encode("gbk")) == "gb18030"
    assert detect_encoding("姓名".encode()[:-1]) == "utf-8"  # a sample cut in the middle of a character


def test_csv_line_numbers_count_title_lines_and_quoted_newlines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('东区第一中学 学生名单\n\n学籍号,姓名,备注\nG1,"张\n三",x\nG2,李四,y\n', encoding="utf-8")
    assert [line for line, _cells in _rows(path)] == [1, 2, 3, 4, 6]


def test_semicolon_and_tab_separated(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("学籍号\t姓名\t性别\nG1\t张三\t男\n", encoding="utf-8")
    assert _rows(path)[1] == (2, ["G1", "张三", "男"])


def test_xlsx_cells_come_back_as_typed_text(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [["G1", "张三", 1, datetime(2011, 5, 3),  # noqa: DTZ001 - a spreadsheet date has no zone
 320502201105030011, 13912345678,
                                            3.5, None, date(2011, 5, 3), True]],
                      header=["学籍号", "姓名", "性别", "出生日期", "身份证件号", "电话", "x", "y", "z", "b"],
                      title="2026级学生名单")
    rows = _rows(path)
    assert rows[0][0] == 1 and rows[0][1][0] == "2026级学生名单"
    line, cells = rows[2]
    assert line == 3
    assert cells[:4] == ["G1", "张三", "1", "2011-05-03"] and cells[5] == "13912345678"
    assert looks_scientific(cells[4])  # what Excel keeps of an 18-digit number typed into a number cell
    assert cells[6:] == ["3.5", "", "2011-05-03", "是"]


def test_unsupported_and_damaged_files(tmp_path):
    with pytest.raises(Unreadable, match=".xls"):
        RowSource(_touch(tmp_path / "old.xls"))
    with pytest.raises(Unreadable, match="unsupported"):
        RowSource(_touch(tmp_path / "roster.pdf"))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(Unreadable, match="cannot be opened"):
        _rows(broken)


def test_binary_garbage_is_not_text(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(Unreadable):
        _rows(path)


def _touch(path):
    path.write_bytes(b"x")
    return path


# ---- headers

@pytest.mark.parametrize("raw, expected", [
    ("性 别", "性别"), ("成员１姓名", "成员1姓名"), ("*学籍号", "学籍号"), (" Name ", "name"), ("出生日期：", "出生日期"),
    ("姓\u3000名", "姓名"),
])
def test_normalise_header(raw, expected):
    assert normalise_header(raw) == expected


def test_header_synonyms_and_guardians():
    header = match_header(["学生姓名", "性 别", "全国学籍号", "出生日期(yyyymmdd)", "班级", "家长姓名", "家长电话",
                           "成员２姓名", "成员2关系", "成员2联系电话", "民族", "遭受欺凌"],
                          kind=STUDENTS, line=3, group_names={"遭受欺凌": "bullied"})
    assert header.fields == {"name": 0, "sex": 1, "student_number": 2, "birth_date": 3, "class_name": 4}
    assert header.guardians == {1: {"name": 5, "phone": 6}, 2: {"name": 7, "relation": 8, "phone": 9}}
    assert header.ignored == ["民族"]
    assert header.group_columns == {11: "bullied"}
    assert header.label(3) == "出生日期(yyyymmdd) (D)"


def test_locate_header_below_title_lines():
    rows = iter([(1, ["东区第一中学2026级学生名单"]), (2, ["", ""]), (3, NATIONAL_HEADER), (4, ["G1", "张三"])])
    header = locate_header(rows, kind=STUDENTS)
    assert header.line == 3
    assert next(rows) == (4, ["G1", "张三"])  # the data rows follow on the same iterator


def test_header_missing_a_required_column():
    rows = iter([(1, ["学籍号", "姓名", "性别", "出生日期"])])
    with pytest.raises(HeaderNotFound) as caught:
        locate_header(rows, kind=STUDENTS)
    assert "班级" in caught.value.render() and "line 1" in caught.value.render()


def test_no_header_at_all():
    rows = iter([(n, ["foo", "bar"]) for n in range(1, 40)])
    with pytest.raises(HeaderNotFound, match="no header row"):
        locate_header(rows, kind=STUDENTS)


def test_staff_header():
    header = locate_header(iter([(1, ["姓名", "工号/用户名", "手机", "角色", "任职单位"])]), kind=STAFF)
    assert set(header.fields) == {"name", "username", "phone", "role", "unit"}
