"""Roster headers → canonical fields. Pure Python, no database.

Knows the student-status system's headers (全国中小学生学籍信息管理系统) and the variants schools make of
them: '学生姓名', '性 别', '出生日期(yyyymmdd)', full-width digits in '成员１姓名', a '*' marking a
required column. Finds the header row below any title lines.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .values import Bad, gettext_noop

STUDENTS = "students"
STAFF = "staff"

# canonical field → header spellings (after normalise_header)
STUDENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "student_number": ("学籍号", "全国学籍号", "学籍编号", "学生学籍号", "全国学籍号码", "学籍号码", "studentnumber"),
    "name": ("姓名", "学生姓名", "名字", "学生名称", "name"),
    "sex": ("性别", "学生性别", "sex", "gender"),
    "birth_date": ("出生日期", "出生年月日", "出生年月", "生日", "出生时间", "birthdate"),
    "id_type": ("身份证件类型", "证件类型"),
    "id_number": ("身份证件号", "身份证号", "身份证号码", "身份证件号码", "证件号码", "证件号", "公民身份号码", "idnumber"),
    "class_name": ("班级", "班级名称", "所在班级", "班级名", "年级班级", "班别", "class"),
    "grade_name": ("年级", "所在年级", "年级名称", "grade"),
    "boarding": ("就读方式", "是否住校", "住宿情况", "住宿方式", "是否寄宿", "boarding"),
    "left_behind": ("是否留守儿童", "留守儿童", "留守情况", "是否留守"),
    "migrant": ("是否进城务工人员随迁子女", "随迁子女", "是否随迁子女", "是否流动儿童", "流动儿童", "是否流动人口子女"),
    "orphan": ("是否孤儿", "孤儿"),
    "single_parent": ("是否单亲", "是否单亲家庭", "单亲家庭", "单亲"),
    "poor": ("是否家庭经济困难", "家庭经济困难", "是否贫困", "是否贫困生", "贫困生", "是否建档立卡贫困户"),
    "disabled": ("是否残疾", "残疾"),
    "disability_type": ("残疾类型",),
}
STUDENT_REQUIRED = ("student_number", "name", "sex", "birth_date", "class_name")

# A guardian: 成员1姓名 / 成员1关系 / 成员1联系电话 in the national system; 家长/监护人 … in school-made files.
_GUARDIAN = re.compile(r"^(?:家庭成员|成员|监护人|家长)([1-9])(姓名|关系|与学生关系|联系电话|电话|手机|手机号|手机号码|联系方式)$")
_GUARDIAN_ONE = {
    "家长姓名": "name", "监护人姓名": "name", "监护人": "name", "家长": "name",
    "家长关系": "relation", "监护人关系": "relation", "与学生关系": "relation", "与本人关系": "relation",
    "家长电话": "phone", "家长手机": "phone", "家长联系电话": "phone", "监护人电话": "phone",
    "监护人联系电话": "phone", "监护人手机": "phone", "家长手机号": "phone", "家长手机号码": "phone",
}
_GUARDIAN_PART = {"姓名": "name", "关系": "relation", "与学生关系": "relation"}

STAFF_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "教师姓名", "教职工姓名", "name"),
    "username": ("工号/用户名", "工号", "用户名", "登录名", "账号", "教工号", "username"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "电话", "phone"),
    "role": ("角色", "职务角色", "岗位", "role"),
    "unit": ("任职单位", "任职班级", "所在单位", "单位", "班级", "unit"),
}
STAFF_REQUIRED = ("name", "username", "role", "unit")

FIELD_LABELS = {  # the header shown in messages when a required column is missing
    "student_number": "学籍号", "name": "姓名", "sex": "性别", "birth_date": "出生日期", "class_name": "班级",
    "username": "工号/用户名", "role": "角色", "unit": "任职单位",
}

_STRIP = re.compile(r"[\s*:：_]+")
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]")


def normalise_header(raw: object) -> str:
    """'性 别' → '性别', '成员１姓名' → '成员1姓名', '*学籍号' → '学籍号', 'Name ' → 'name'."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return _STRIP.sub("", text).lower()


def _lookup(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {spelling: canonical for canonical, spellings in synonyms.items() for spelling in spellings}


_STUDENT_LOOKUP = _lookup(STUDENT_SYNONYMS)
_STAFF_LOOKUP = _lookup(STAFF_SYNONYMS)


@dataclass
class HeaderMap:
    """Where each canonical field sits in the row. `headers` are the file's own header texts."""

    kind: str
    line: int
    headers: list[str]
    fields: dict[str, int] = field(default_factory=dict)
    guardians: dict[int, dict[str, int]] = field(default_factory=dict)  # position → part → column
    group_columns: dict[int, str] = field(default_factory=dict)  # column → SpecialGroup code
    ignored: list[str] = field(default_factory=list)

    def label(self, column: int) -> str:
        """'出生日期 (D)': the file's header and the spreadsheet column letter."""
        header = self.headers[column] if column < len(self.headers) else ""
        return f"{header} ({column_letter(column)})" if header else column_letter(column)

    def field_label(self, name: str) -> str:
        return self.label(self.fields[name]) if name in self.fields else FIELD_LABELS.get(name, name)

    @property
    def known_count(self) -> int:
        return len(self.fields) + sum(len(parts) for parts in self.guardians.values()) + len(self.group_columns)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def group_header_names(groups: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(code, Chinese name) of active special-attention groups → normalised header spellings → code.
    A column named '遭受欺凌' or '是否遭受欺凌' with 是/否 marks that group."""
    names: dict[str, str] = {}
    for code, name_zh in groups:
        for variant in {name_zh, _BRACKETED.sub("", unicodedata.normalize("NFKC", name_zh))}:
            key = normalise_header(variant)
            if key:
                names.setdefault(key, code)
                names.setdefault("是否" + key, code)
    return names


def match_header(cells: list, *, kind: str, line: int, group_names: dict[str, str] | None = None) -> HeaderMap:
    lookup = _STUDENT_LOOKUP if kind == STUDENTS else _STAFF_LOOKUP
    headers = ["" if c is None else unicodedata.normalize("NFKC", str(c)).strip() for c in cells]
    result = HeaderMap(kind=kind, line=line, headers=headers)
    for index, raw in enumerate(headers):
        key = normalise_header(raw)
        if not key:
            continue
        canonical = lookup.get(key) or lookup.get(_BRACKETED.sub("", key))
        if canonical is not None and canonical not in result.fields:
            result.fields[canonical] = index
            continue
        if kind == STUDENTS:
            if m := _GUARDIAN.match(key):
                part = _GUARDIAN_PART.get(m.group(2), "phone")
                result.guardians.setdefault(int(m.group(1)), {}).setdefault(part, index)
                continue
            if key in _GUARDIAN_ONE:
                result.guardians.setdefault(1, {}).setdefault(_GUARDIAN_ONE[key], index)
                continue
            if group_names and key in group_names and index not in result.group_columns:
                result.group_columns[index] = group_names[key]
                continue
        result.ignored.append(raw)
    return result


class HeaderNotFound(Bad):
    pass


def locate_header(rows: Iterator[tuple[int, list]], *, kind: str, group_names: dict[str, str] | None = None,
                  scan: int = 20) -> HeaderMap:
    """Consume rows until the header: the first row naming at least three known columns, within the
    first `scan` rows (title lines such as '2026级七年级学生名单' above it are skipped)."""
    required = STUDENT_REQUIRED if kind == STUDENTS else STAFF_REQUIRED
    best: HeaderMap | None = None
    for count, (line, cells) in enumerate(rows):
        candidate = match_header(cells, kind=kind, line=line, group_names=group_names)
        if candidate.known_count >= 3 and "name" in candidate.fields:
            missing = [FIELD_LABELS[name] for name in required if name not in candidate.fields]
            if missing:
                raise HeaderNotFound(gettext_noop("line %(line)s looks like the header but has no column %(missing)s"),
                                     line=line, missing="、".join(missing))
            return candidate
        if best is None or candidate.known_count > best.known_count:
            best = candidate
        if count + 1 >= scan:
            break
    raise HeaderNotFound(gettext_noop("no header row found in the first %(scan)s lines: the file needs a row with "
                                      "the column names %(names)s"),
                         scan=scan, names="、".join(FIELD_LABELS[n] for n in required))
