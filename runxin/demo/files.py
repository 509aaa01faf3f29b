"""The demo city as the files a bureau would have, and their import through the import commands.

`units.xlsx` (districts, schools with their 10-digit 学校标识码, the partner hospital, the mental-health centre,
society units, service groups 片区), one roster per school in the national student-status system's columns
(rosters/<学校标识码>.csv) and one staff list per school (staff/<学校标识码>.csv). They are written under
var/demo-files/ so a user can open them, and imported with `runxin import-units`, `import-roster` and
`import-staff` — the same commands, services, batches and audit entries a bureau's import goes through.
"""

import csv
import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from runxin.imports import units as unit_import

# The roster's columns, as the student-status system exports them (see runxin/imports/columns.py).
ROSTER_HEADER = [
    "学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "年级", "班级", "就读方式",
    "是否留守儿童", "是否进城务工人员随迁子女", "是否孤儿", "是否单亲", "是否家庭经济困难", "是否残疾",
    "是否丧亲", "是否遭受欺凌", "是否家庭变故",
    "成员1姓名", "成员1关系", "成员1联系电话", "成员2姓名", "成员2关系", "成员2联系电话",
]
# Group code → its yes/no column above ("是否留守儿童" carries 0/1/2 for none, one or both parents away).
FLAG_COLUMNS = {"migrant": "是否进城务工人员随迁子女", "orphan": "是否孤儿", "single_parent": "是否单亲",
                "poor": "是否家庭经济困难", "disabled": "是否残疾", "bereaved": "是否丧亲", "bullied": "是否遭受欺凌",
                "family_crisis": "是否家庭变故"}
STAFF_HEADER = ["姓名", "工号/用户名", "手机", "角色", "任职单位"]
UNITS_HEADER = [unit_import.HEADERS_ZH[name] for name in unit_import.COLUMNS]


class ImportFailed(RuntimeError):
    """A demo file the import did not take whole: the generator's files and the import format disagree."""


def write_units(path: Path, rows: list[list[str]]) -> Path:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("单位")
    sheet.append(["润州市教育局 单位信息表"])
    sheet.append(UNITS_HEADER)
    for row in rows:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]], title: str = "") -> Path:
    """UTF-8 with a byte-order mark, so a spreadsheet program opens the Chinese text as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        if title:
            writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(command: str, path: Path, **options) -> dict:
    """Run one import command as a user would on the command line; its JSON report. Raises ImportFailed when
    the report rejects any row (the demo's files must import whole)."""
    out = StringIO()
    try:
        call_command(command, str(path), stdout=out, **options)
    except CommandError as error:
        raise ImportFailed(f"{command} {path.name}: {error}\n{out.getvalue()[:2000]}") from None
    report = json.loads(out.getvalue())
    if report.get("rejected"):
        raise ImportFailed(f"{command} {path.name}: {report['rejected']} rows rejected: {report['rejections'][:5]}")
    return report


def clear(directory: Path) -> None:
    """Remove the files an earlier demo city left here (only the kinds this module writes)."""
    for pattern in ("units.xlsx", "rosters/*.csv", "staff/*.csv", "accounts/*.csv"):
        for path in directory.glob(pattern):
            path.unlink()
