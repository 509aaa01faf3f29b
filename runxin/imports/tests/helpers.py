"""Roster files for tests: the student-status system's columns, written as CSV or .xlsx."""

import csv
import io
from datetime import date
from pathlib import Path

from runxin.imports.values import id_check_digit

NATIONAL_HEADER = ["学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "班级", "就读方式",
                   "是否留守儿童", "是否进城务工人员随迁子女", "是否孤儿", "成员1姓名", "成员1关系", "成员1联系电话"]


def id_number(birth: date, sequence: int, male: bool, region: str = "320502") -> str:
    seq = (sequence % 400) * 2 + (1 if male else 0)  # the sequence digit is odd for a male
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def student_row(n: int, *, name: str | None = None, klass: str = "七年级(1)班", male: bool = True,
                birth: date = date(2013, 5, 3), **overrides) -> list[str]:
    idn = id_number(birth, n, male)
    row = {
        "学籍号": f"G{idn}", "姓名": name or f"学生{n}", "性别": "男" if male else "女", "出生日期": birth.isoformat(),
        "身份证件类型": "居民身份证", "身份证件号": idn, "班级": klass, "就读方式": "走读", "是否留守儿童": "非留守儿童",
        "是否进城务工人员随迁子女": "否", "是否孤儿": "否", "成员1姓名": f"家长{n}", "成员1关系": "母亲",
        "成员1联系电话": f"139{n:08d}",
    }
    row.update(overrides)
    return [row[h] for h in NATIONAL_HEADER]


def write_csv(path: Path, rows: list[list[str]], *, header=NATIONAL_HEADER, encoding="utf-8",
              title: str | None = None) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    if title:
        writer.writerow([title])
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list], *, header=NATIONAL_HEADER, title: str | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path
