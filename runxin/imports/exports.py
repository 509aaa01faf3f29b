"""Files the import hands out: the blank templates and the rejected rows with their reasons.

No cell of a file we hand out may start a formula: the rejected rows go through the one export writer
(runxin/exports/writer.py), which puts an apostrophe before = + - @ (or a tab, CR, LF) and names the requester.
"""

import io
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from runxin.exports import writer

from . import problems as problem_files
from .columns import STUDENTS, locate_header
from .models import ImportBatch
from .reading import RowSource
from .selectors import problem_reason
from .services import problems_path

FORMULA_STARTS = writer.FORMULA_START

STUDENT_TEMPLATE_HEADER = [
    "学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "班级", "就读方式", "是否留守儿童",
    "是否进城务工人员随迁子女", "是否孤儿", "残疾类型", "是否单亲家庭", "是否家庭经济困难",
    "成员1姓名", "成员1关系", "成员1联系电话", "成员2姓名", "成员2关系", "成员2联系电话",
]
STUDENT_TEMPLATE_EXAMPLE = [
    "G320502201305030011", "王小明", "男", "2013-05-03", "居民身份证", "320502201305030011", "七年级(3)班", "走读",
    "非留守儿童", "否", "否", "非残疾", "否", "否", "王建国", "父亲", "13912345678", "李红", "母亲", "13812345678",
]
STAFF_TEMPLATE_HEADER = ["姓名", "工号/用户名", "手机", "角色", "任职单位"]
STAFF_TEMPLATE_EXAMPLE = ["陈老师", "t20260101", "13700001111", "班主任", "七年级(3)班"]


safe_cell = writer.safe_text  # the templates' cells are ours; the rule lives in the writer


def template_workbook(kind: str) -> bytes:
    """An .xlsx with the student-status system's headers, one example row and a sheet of instructions.
    Every column is formatted as text so Excel does not turn 学籍号 or ID numbers into 1.2E+17."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    students = kind == STUDENTS
    header = STUDENT_TEMPLATE_HEADER if students else STAFF_TEMPLATE_HEADER
    example = STUDENT_TEMPLATE_EXAMPLE if students else STAFF_TEMPLATE_EXAMPLE
    book = Workbook()
    sheet = book.active
    sheet.title = "学生名单" if students else "教职工名单"
    sheet.append(header)
    sheet.append(example)
    for column, _title in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = 16 if column > 2 else 22
        sheet.column_dimensions[letter].number_format = "@"
        sheet.cell(row=1, column=column).font = Font(bold=True)
        sheet.cell(row=1, column=column).fill = PatternFill("solid", fgColor="DDEBEE")
        sheet.cell(row=2, column=column).number_format = "@"
    help_sheet = book.create_sheet(_("Instructions"))
    for line in (_instructions_students() if students else _instructions_staff()):
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _instructions_students() -> list[str]:
    return [
        _("How to fill in the student roster"),
        _("One row per student below the header row. Title lines above the header are allowed."),
        _("Keep the column names; columns may be in any order. Other columns (民族, 现住址 …) are ignored."),
        _("学籍号: the national student number, e.g. G320502201305030011. Format the column as text: Excel turns long numbers into 1.2E+17 and loses digits."),
        _("性别: 男/女 or the codes 1/2. 出生日期: 2013-05-03, 20130503 or 2013.5.3."),
        _("身份证件号: 18 characters; the check digit and the birth date inside it are checked."),
        _("班级: 七年级(3)班, 初一(3)班 or 7年级3班. Missing classes are created in the current school year."),
        _("就读方式: 走读/住校 or the codes 1/2. 是否留守儿童: 非留守儿童/单亲留守儿童/双亲留守儿童 or 0/1/2."),
        _("Yes/no columns (是否孤儿 …): 是/否 or 1/0. A column named after a special-attention group (e.g. 遭受欺凌) marks that group."),
        _("成员1姓名/成员1关系/成员1联系电话: the first guardian; 成员2 … for more."),
        _("Importing the same file again changes nothing; an updated file updates students by 学籍号."),
        _("Save as .xlsx or as CSV (UTF-8 or GBK)."),
    ]


def _instructions_staff() -> list[str]:
    return [
        _("How to fill in the staff list"),
        _("姓名: the person's name. 工号/用户名: the sign-in name (letters, digits, . _ - @)."),
        _("手机: mobile number (optional). 角色: 班主任, 心理教师, 知心导师, 校长 … or the role code."),
        _("任职单位: a class (七年级(3)班) for head teachers, a grade (七年级), or the school's name / 本校."),
        _("New accounts get an initial password, shown once after the import; they must change it at first sign-in."),
        _("Existing accounts keep their password; the import only adds the role."),
    ]


def rejected_rows(batch: ImportBatch) -> Iterator[tuple[list[str], int | None, list[str]]]:
    """(cells, line, reasons) of every rejected row, first the header (line None), walking the stored
    file and the problems file side by side so memory stays flat."""
    source = iter(RowSource(Path(batch.file.path)))
    header = locate_header(source, kind=batch.kind, group_names={})
    yield header.headers, None, []
    pending = problem_files.by_line(problems_path(batch))
    wanted = next(pending, None)
    for line, cells in source:
        if wanted is None:
            break
        if line < wanted[0]:
            continue
        if line == wanted[0]:
            yield cells, line, [f"{p.column}: {problem_reason(p)}" for p in wanted[1]]
        wanted = next(pending, None)
        while wanted is not None and wanted[0] < line:
            wanted = next(pending, None)


def _rejected_lines(batch: ImportBatch) -> tuple[list, Iterator[list]]:
    """The header (file line, the file's own columns, reasons) and the rows, for the writer."""
    lines = rejected_rows(batch)
    header_cells, _line, _reasons = next(lines)
    header = [_("File line"), *header_cells, _("Reasons")]
    return header, ([line, *cells, "; ".join(reasons)] for cells, line, reasons in lines)


def rejected_response(request, batch: ImportBatch, fmt: str):
    """The rejected rows with their reasons as CSV or xlsx, through the one export writer: every cell
    formula-safe, the requester named in the file, the download recorded in audit.Export. The caller has
    checked that request.user may see the batch."""
    export = writer.start(request, kind="imports.rejected_rows", title=_("Rejected rows"), file_format=fmt,
                          filters={"batch": batch.pk, "file": batch.original_name})
    header, rows = _rejected_lines(batch)
    stem = batch.original_name.rsplit(".", 1)[0]
    if fmt == "csv":
        return writer.csv_response(export, header, rows, filename=f"{stem}-rejected.csv")
    return writer.xlsx_response(export, [writer.Sheet(title=_("Rejected rows"), header=header, rows=rows)],
                                filename=f"{stem}-rejected.xlsx")
