"""`runxin import-units`: the region tree from a spreadsheet, with the roster import's report and exit codes."""

import csv
import io
import json

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from runxin.imports import units
from runxin.org.models import OrgUnit, ServiceGroup, ServiceGroupSchool
from runxin.people.models import Student

pytestmark = pytest.mark.django_db

HEADER = ["类型", "上级代码", "名称", "代码", "学校类型", "寄宿", "地址", "规划规模", "协同单位类型", "片区"]


def cli(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("import_units", *args, stdout=out)
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, json.loads(out.getvalue())


def write(path, rows, header=HEADER):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


GOOD = [
    ["区县", "C01", "南区", "D-S", "", "", "", "", "", ""],
    ["学校", "D-S", "南区实验小学", "3204110001", "小学", "走读", "南区文化路1号", "1,800", "", "南一片"],
    ["学校", "D-S", "南区第一中学", "3204110002", "初中", "部分寄宿", "", "2400", "", "南一片"],
    ["精神卫生中心", "C01", "测试市心理健康中心", "M-1", "", "", "健康路2号", "", "", ""],
    ["社会单位", "D-S", "南区公安分局", "", "", "", "", "", "公安", ""],
]


def test_a_good_file_builds_the_units_and_exits_0(world, tmp_path):
    code, report = cli(str(write(tmp_path / "u.csv", GOOD)), "--as", "city_admin")
    assert code == 0, report
    assert (report["rows_read"], report["created"], report["rejected"], report["written"]) == (5, 5, 0, True)
    assert report["rejections"] == []
    south = OrgUnit.objects.get(code="D-S")
    school = OrgUnit.objects.get(code="3204110001")
    assert (school.parent_id, school.district_id, school.school_type, school.boarding, school.enrolment) == (
        south.pk, south.pk, "primary", "day", 1800)
    assert OrgUnit.objects.get(code="3204110002").boarding == "mixed"
    assert OrgUnit.objects.get(name="南区公安分局").partner_type == "police"
    assert OrgUnit.objects.get(code="M-1").kind == OrgUnit.Kind.MHC
    group = ServiceGroup.objects.get(district=south, name="南一片")
    assert set(ServiceGroupSchool.objects.filter(group=group).values_list("school__code", flat=True)) == {
        "3204110001", "3204110002"}
    assert LogEntry.objects.filter(object_pk=str(school.pk), actor=world.city_admin).exists()  # audited, by whom


def test_a_bad_row_names_its_line_column_and_reason_and_the_good_rows_go_in(world, tmp_path):
    rows = [*GOOD[:2], ["学校", "D-S", "南区第二小学", "320411000", "小学", "", "", "", "", ""],
            ["学校", "D-X", "无名学校", "3204110009", "小学", "", "", "", "", ""],
            ["学校", "D-S", "南区第三小学", "3204110003", "大学", "", "", "", "", ""]]
    code, report = cli(str(write(tmp_path / "u.csv", rows)))
    assert code == 1
    assert (report["rows_read"], report["created"], report["rejected"]) == (5, 2, 3)
    assert report["rejections"][0] == {
        "line": 4, "column": "代码 (D)", "reason": "A school's identifier (学校标识码) is exactly 10 digits, not “320411000”."}
    assert report["rejections"][1]["line"] == 5 and report["rejections"][1]["column"] == "上级代码 (B)"
    assert "D-X" in report["rejections"][1]["reason"]
    assert report["rejections"][2]["column"] == "学校类型 (E)" and "大学" in report["rejections"][2]["reason"]
    assert OrgUnit.objects.filter(code="3204110001").exists()
    assert not OrgUnit.objects.filter(name__in=["南区第二小学", "无名学校", "南区第三小学"]).exists()


def test_a_dry_run_writes_nothing_but_reports_what_would_happen(world, tmp_path):
    before = OrgUnit.objects.count()
    code, report = cli(str(write(tmp_path / "u.csv", GOOD)), "--dry-run")
    assert code == 0 and report["dry_run"] is True
    assert (report["created"], report["written"], report["imported"]) == (5, False, 0)
    assert OrgUnit.objects.count() == before and not ServiceGroup.objects.exists()


def test_mode_all_writes_nothing_when_a_row_is_bad(world, tmp_path):
    rows = [*GOOD, ["学校", "D-S", "坏学校", "12", "小学", "", "", "", "", ""]]
    code, report = cli(str(write(tmp_path / "u.csv", rows)), "--mode", "all")
    assert code == 1 and report["refused"] is True
    assert not OrgUnit.objects.filter(code="D-S").exists()


def test_a_reimport_is_idempotent_and_updates_by_code(world, tmp_path):
    path = write(tmp_path / "u.csv", GOOD)
    cli(str(path))
    count = OrgUnit.objects.count()
    code, report = cli(str(path))
    assert code == 0 and (report["created"], report["updated"], report["unchanged"]) == (0, 0, 5)
    changed = [list(row) for row in GOOD]
    changed[1][6] = "南区新路9号"
    changed[2][1] = "D-E"  # the school moves to 东区
    changed[2][9] = ""
    code, report = cli(str(write(tmp_path / "v.csv", changed)))
    assert code == 0 and (report["created"], report["updated"], report["unchanged"]) == (0, 2, 3)
    assert OrgUnit.objects.count() == count
    assert OrgUnit.objects.get(code="3204110001").address == "南区新路9号"
    moved = OrgUnit.objects.get(code="3204110002")
    assert moved.district_id == world.east.pk and moved.path.startswith(world.east.path)


def test_a_real_looking_workbook(world, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["2026年学校名录"])  # a title line above the header
    sheet.append(["*类型", "*上级代码", "*名称", "学校标识码", "学校类型", "寄宿", "地址", "规划规模", "协同单位类型",
                  "片区"])
    sheet.append(["学校", "D-E", "东区第九中学", 3204120009, "九年一贯制", "寄宿", "东区九路", 1500, None, None])
    sheet.append([None] * 10)
    sheet.append(["医院", "C01", "测试市第四人民医院", "H-4", None, None, None, None, None, None])
    path = tmp_path / "名录.xlsx"
    book.save(path)
    code, report = cli(str(path))
    assert code == 0, report
    assert (report["header_line"], report["rows_read"], report["created"]) == (2, 2, 2)
    school = OrgUnit.objects.get(code="3204120009")
    assert (school.school_type, school.boarding, school.enrolment, school.district_id) == (
        "nine_year", "boarding", 1500, world.east.pk)


def test_a_file_without_a_header_or_a_missing_file_exits_2(world, tmp_path):
    code, report = cli(str(write(tmp_path / "u.csv", [["x"]], header=["foo", "bar"])))
    assert code == 2 and "类型" in report["error"]
    code, report = cli(str(tmp_path / "none.csv"))
    assert code == 2 and "no such file" in report["error"]


def test_a_user_without_org_manage_is_refused(world, tmp_path):
    code, report = cli(str(write(tmp_path / "u.csv", GOOD)), "--as", "leader")
    assert code == 2 and "may not manage" in report["error"]


def test_moving_a_school_by_import_keeps_its_students_placement_right(world, tmp_path):
    from runxin.org import services

    services.unit_edit(unit=world.school, values={"code": "3204000009"})
    write(tmp_path / "u.csv", [["学校", "D-W", "东区第一中学", "3204000009", "初中", "", "", "", "", ""]])
    code, report = cli(str(tmp_path / "u.csv"))
    assert code == 0 and report["updated"] == 1
    assert Student.objects.get(pk=world.a1.pk).district_id == world.west.pk


def test_the_template_holds_every_column():
    header, *examples = units.template_rows()
    assert header == HEADER and all(len(row) == len(header) for row in examples)
