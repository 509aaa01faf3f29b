"""One roster row → a clean record or the list of its problems (file line, column, reason).

Pure Python, no database. Every problem of a row is reported, not only the first, so a school can fix a
file in one go. Duplicates within the file are found by `DuplicateFinder` here (small files, tests) or by
the database writer in SQL (large files, where a set of a million numbers would grow with the file).
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from . import values
from .columns import HeaderMap
from .values import Bad, gettext_noop


class Problem(NamedTuple):
    line: int
    column: str
    message: str  # English msgid with %(name)s placeholders
    params: dict

    def render(self, translate=lambda m: m) -> str:
        text = translate(self.message)
        return text % self.params if self.params else text


@dataclass(slots=True)
class StudentRecord:
    line: int
    student_number: str
    name: str
    sex: str
    birth_date: date
    id_number: str
    grade_level: int
    class_number: int
    boarding: str
    groups: frozenset[str]
    guardians: tuple[tuple[int, str, str, str], ...]  # (position, name, relation, phone)


# Which group codes each flag column decides: a column present in the file sets those memberships to
# match the file; groups without a column in the file are left as they are.
FLAG_GROUPS = {
    "left_behind": ("left_behind_one", "left_behind_both"),
    "migrant": ("migrant",),
    "orphan": ("orphan",),
    "single_parent": ("single_parent",),
    "poor": ("poor",),
    "disabled": ("disabled",),
    "disability_type": ("disabled",),
}


def _cell(cells: list, index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    value = cells[index]
    return value if isinstance(value, str) else ("" if value is None else str(value))


def is_blank(cells: list) -> bool:
    return all((c is None or (isinstance(c, str) and not c.strip())) for c in cells)


class StudentRowValidator:
    def __init__(self, header: HeaderMap, *, today: date, active_groups: set[str] | frozenset[str]) -> None:
        self.header = header
        f = header.fields
        self.i_number, self.i_name, self.i_sex = f.get("student_number"), f.get("name"), f.get("sex")
        self.i_birth, self.i_id, self.i_id_type = f.get("birth_date"), f.get("id_number"), f.get("id_type")
        self.i_class, self.i_grade, self.i_boarding = f.get("class_name"), f.get("grade_name"), f.get("boarding")
        self.flag_columns = [(name, f[name]) for name in FLAG_GROUPS if name in f]
        self.group_columns = [(i, code) for i, code in header.group_columns.items() if code in active_groups]
        managed: set[str] = set()
        for name, _index in self.flag_columns:
            managed.update(FLAG_GROUPS[name])
        managed.update(code for _i, code in self.group_columns)
        self.managed_groups = frozenset(managed & set(active_groups))
        self.guardian_columns = sorted(header.guardians.items())
        self.earliest = date(today.year - 30, 1, 1)
        self.latest = date(today.year - 2, 12, 31)

    def label(self, index: int | None, fallback: str) -> str:
        return self.header.label(index) if index is not None else self.header.field_label(fallback)

    def _bad(self, problems: list, line: int, index, fallback: str, bad: Bad) -> None:
        problems.append(Problem(line, self.label(index, fallback), bad.message, bad.params))

    def validate(self, line: int, cells: list) -> tuple[StudentRecord | None, list[Problem]]:
        """The hot path of a million-row import: no closures, a try per field, fast paths in values.py."""
        problems: list[Problem] = []
        width = len(cells)

        def get(index):
            return cells[index] if index is not None and index < width else ""

        number = name = sex = birth = placement = None
        try:
            number = values.student_number(get(self.i_number))
        except Bad as bad:
            self._bad(problems, line, self.i_number, "student_number", bad)
        try:
            name = values.clean_name(get(self.i_name))
        except Bad as bad:
            self._bad(problems, line, self.i_name, "name", bad)
        try:
            sex = values.sex(get(self.i_sex))
        except Bad as bad:
            self._bad(problems, line, self.i_sex, "sex", bad)
        try:
            birth = values.parse_date(get(self.i_birth), earliest=self.earliest, latest=self.latest)
        except Bad as bad:
            self._bad(problems, line, self.i_birth, "birth_date", bad)
        id_number = ""
        if self.i_id is not None:
            if self.i_id_type is None or values.is_resident_id_type(get(self.i_id_type)):
                try:
                    id_number = values.id_number(get(self.i_id), birth_date=birth, sex_code=sex)
                except Bad as bad:
                    self._bad(problems, line, self.i_id, "id_number", bad)
            else:
                id_number = values.clean(get(self.i_id)).replace(" ", "")[:18]
        try:
            placement = values.school_class(get(self.i_class), get(self.i_grade))
        except Bad as bad:
            self._bad(problems, line, self.i_class, "class_name", bad)
        boarding = "day"
        if self.i_boarding is not None:
            try:
                boarding = values.boarding(get(self.i_boarding))
            except Bad as bad:
                self._bad(problems, line, self.i_boarding, "boarding", bad)

        groups = []
        for name_, index in self.flag_columns:
            try:
                if name_ == "left_behind":
                    code = values.left_behind(get(index))
                    if code:
                        groups.append(code)
                elif name_ == "disability_type":
                    if values.disability(get(index)):
                        groups.append("disabled")
                elif values.flag(get(index)):
                    groups.append(FLAG_GROUPS[name_][0])
            except Bad as bad:
                self._bad(problems, line, index, name_, bad)
        for index, code in self.group_columns:
            try:
                if values.flag(get(index)):
                    groups.append(code)
            except Bad as bad:
                self._bad(problems, line, index, code, bad)

        guardians = []
        for position, parts in self.guardian_columns:
            i_name, i_relation, i_phone = parts.get("name"), parts.get("relation"), parts.get("phone")
            g_name = get(i_name)
            g_relation = g_phone = ""
            try:
                g_relation = values.relation(get(i_relation))
            except Bad as bad:
                self._bad(problems, line, i_relation, "relation", bad)
            try:
                g_phone = values.phone(get(i_phone))
            except Bad as bad:
                self._bad(problems, line, i_phone, "phone", bad)
            if g_name and (g_name := values.clean(g_name)):
                try:
                    guardians.append((position, values.clean_name(g_name), g_relation, g_phone))
                except Bad as bad:
                    self._bad(problems, line, i_name, "name", bad)
            elif g_phone:
                problems.append(Problem(line, self.label(i_name, "name"),
                                        gettext_noop("member %(position)s has a phone number but no name"),
                                        {"position": position}))

        if problems:
            return None, problems
        return StudentRecord(
            line, number, name, sex, birth, id_number, placement[0], placement[1], boarding,
            frozenset(groups).intersection(self.managed_groups) if groups else _NO_GROUPS, tuple(guardians),
        ), problems


_NO_GROUPS: frozenset[str] = frozenset()


class DuplicateFinder:
    """Remembers each student number's first line (in memory: for files of ordinary size)."""

    def __init__(self) -> None:
        self.first_line: dict[str, int] = {}

    def check(self, record: StudentRecord, header: HeaderMap) -> Problem | None:
        first = self.first_line.setdefault(record.student_number, record.line)
        if first == record.line:
            return None
        return duplicate_problem(record.line, header.field_label("student_number"), record.student_number, first)


def duplicate_problem(line: int, column: str, number: str, first_line: int) -> Problem:
    return Problem(line, column, gettext_noop("duplicate student number (学籍号) %(number)s: already on line %(first)s"),
                   {"number": number, "first": first_line})


# ---------------------------------------------------------------- staff

@dataclass(slots=True)
class StaffRecord:
    line: int
    name: str
    username: str
    phone: str
    role: str
    unit: tuple[int, int] | tuple[int] | tuple[()]  # (level, number) a class, (level,) a grade, () the school


_USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")
_SCHOOL_WORDS = {"本校", "学校", "全校", "校级"}


class StaffRowValidator:
    def __init__(self, header: HeaderMap, *, role_names: dict[str, str], school_name: str) -> None:
        self.header = header
        self.role_names = role_names  # normalised name or code → role code
        self.school_name = values.clean(school_name).replace(" ", "")
        self.usernames: dict[str, int] = {}

    def validate(self, line: int, cells: list) -> tuple[StaffRecord | None, list[Problem]]:
        f = self.header.fields
        problems: list[Problem] = []

        def add(field_name: str, bad: Bad) -> None:
            problems.append(Problem(line, self.header.field_label(field_name), bad.message, bad.params))

        name = username = phone = role = None
        unit: tuple = ()
        try:
            name = values.clean_name(_cell(cells, f.get("name")))
        except Bad as bad:
            add("name", bad)
        raw_username = values.clean(_cell(cells, f.get("username"))).replace(" ", "")
        if raw_username.endswith(".0") and raw_username[:-2].isdigit():
            raw_username = raw_username[:-2]
        if not _USERNAME.match(raw_username):
            add("username", Bad(gettext_noop("%(value)s is not a usable user name: 2–150 letters, digits or . _ - @"),
                                value=raw_username[:40] or "—"))
        else:
            username = raw_username.lower()
            first = self.usernames.setdefault(username, line)
            if first != line:
                add("username", Bad(gettext_noop("duplicate user name %(value)s: already on line %(first)s"),
                                    value=username, first=first))
        try:
            phone = values.phone(_cell(cells, f.get("phone")))
        except Bad as bad:
            add("phone", bad)
        raw_role = values.clean(_cell(cells, f.get("role"))).replace(" ", "")
        role = self.role_names.get(raw_role.lower())
        if role is None:
            add("role", Bad(gettext_noop("unknown role %(value)s"), value=raw_role[:40] or "—"))
        raw_unit = values.clean(_cell(cells, f.get("unit"))).replace(" ", "")
        if raw_unit and raw_unit not in _SCHOOL_WORDS and raw_unit != self.school_name:
            parsed = None
            try:
                parsed = values.school_class(raw_unit)
            except Bad:
                grade_only = values.parse_class_name(f"{raw_unit}(1)班") if not raw_unit.endswith("班") else None
                if grade_only:
                    unit = (grade_only[0],)
                else:
                    add("unit", Bad(gettext_noop("%(value)s is neither this school nor one of its grades or classes"),
                                    value=raw_unit[:40]))
            if parsed:
                unit = parsed
        if problems:
            return None, problems
        return StaffRecord(line=line, name=name, username=username, phone=phone, role=role, unit=unit), problems
