"""The student roster import: read, validate, then upsert by 学籍号 in bulk.

Two writers share one contract. On PostgreSQL (bulk.py) validated rows stream in batches through COPY
into a temporary table, and a handful of set-based statements per batch do the rest (duplicates,
other-school conflicts, classes, the upsert with ON CONFLICT … WHERE … IS DISTINCT FROM, enrollments,
guardians, groups), so memory stays flat and a re-import of the same file writes nothing. Elsewhere (the
SQLite demo) the ORM writer below does the same in batches with bulk_create/bulk_update.

A dry run (the preview, `--dry-run`) runs everything and rolls back, so its counts are the real forecast.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from runxin.access import roles, scope
from runxin.org import grades
from runxin.org import services as org_services
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people import services as people_services
from runxin.people.models import Enrollment, GroupMembership, Guardian, SpecialGroup, Student
from runxin.people.services import Placing

from . import problems as problem_files
from .columns import STUDENTS, HeaderMap, group_header_names, locate_header
from .reading import RowSource
from .validation import (
    DuplicateFinder,
    Problem,
    StudentRecord,
    StudentRowValidator,
    is_blank,
)
from .values import gettext_noop

ALL = "all"
VALID = "valid"
BATCH_ROWS = 10_000
SAMPLE_ROWS = 10

Progress = Callable[[str, float, int], None]


@dataclass
class Counts:
    """What every file import reports (roster, staff, units): the summary keys of its JSON report."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # rejected rows
    header_line: int | None = None
    written: bool = False
    refused: bool = False
    seconds: float = 0.0

    def as_json(self) -> dict:
        return {
            "rows_read": self.rows_read, "imported": self.created + self.updated + self.unchanged if self.written else 0,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "rejected": self.rejected, "written": self.written, "refused": self.refused,
            "header_line": self.header_line, "seconds": round(self.seconds, 2),
        }


@dataclass
class Report(Counts):
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first ones, for a page
    sample: list[dict] = field(default_factory=list)
    columns: dict = field(default_factory=dict)
    secrets: list[dict] = field(default_factory=list)  # staff import: initial passwords
    timings: dict = field(default_factory=dict)  # seconds per phase

    def as_json(self) -> dict:
        return super().as_json() | {
            "timings": {phase: round(seconds, 2) for phase, seconds in self.timings.items()}}


def describe_columns(header: HeaderMap, managed_groups) -> dict:
    return {
        "fields": {name: header.label(index) for name, index in header.fields.items()},
        "guardians": sorted(header.guardians),
        "groups": sorted(managed_groups),
        "ignored": [h for h in header.ignored if h][:60],
    }


@dataclass
class Placement:
    school: OrgUnit
    year: SchoolYear
    today: date
    _classes: dict = field(default_factory=dict)

    @property
    def city_id(self) -> int | None:
        ancestors = self.school.ancestor_ids
        return ancestors[0] if ancestors else None

    def school_class(self, level: int, number: int) -> OrgUnit:
        """The class in the current school year, created with its grade when missing; cached per batch."""
        key = (level, number)
        if key not in self._classes:
            self._classes[key] = org_services.class_get_or_create(
                school=self.school, school_year=self.year, level=level, number=number)
        return self._classes[key]


def import_students(*, path: str | Path, school: OrgUnit, user, mode: str = VALID, dry_run: bool = False,
                    problems_path: Path, progress: Progress | None = None, engine: str = "auto",
                    parallel: bool | None = None) -> Report:
    """Import a student roster into `school`. Rows with problems are never written; in mode ALL nothing is
    written unless every row is valid. Problems go to `problems_path` (JSON lines, in file order).
    Raises reading.Unreadable / columns.HeaderNotFound when the file cannot be used at all.

    `engine` "sql" (PostgreSQL, the default there) streams batches through COPY and set-based SQL, with the
    reading and validating in a forked worker process when `parallel` (the default outside daemonic
    worker processes); "orm" is the portable writer the SQLite demo uses."""
    started = time.monotonic()
    progress = progress or (lambda phase, share, rows: None)
    today = timezone.localdate()
    placement = Placement(school=school, year=org_services.current_year(), today=today)
    group_rows = list(SpecialGroup.objects.filter(is_active=True).values_list("code", "name_zh"))
    source = RowSource(path)
    rows = iter(source)
    header = locate_header(rows, kind=STUDENTS, group_names=group_header_names(group_rows))
    validator = StudentRowValidator(header, today=today, active_groups={code for code, _ in group_rows})
    report = Report(header_line=header.line, columns=describe_columns(header, validator.managed_groups))
    row_spill = problem_files.ProblemSpill(problems_path.with_suffix(".rows.jsonl"))
    set_spill = problem_files.ProblemSpill(problems_path.with_suffix(".sets.jsonl"))
    use_sql = engine == "sql" or (engine == "auto" and connection.vendor == "postgresql")
    try:
        if use_sql:
            from .bulk import import_streaming

            import_streaming(path=Path(path), header=header, validator=validator, placement=placement, user=user,
                             mode=mode, dry_run=dry_run, report=report, row_spill=row_spill, set_spill=set_spill,
                             progress=progress, parallel=parallel)
        else:
            _import_orm(rows=rows, source=source, validator=validator, placement=placement, user=user, mode=mode,
                        dry_run=dry_run, report=report, row_spill=row_spill, set_spill=set_spill, progress=progress,
                        header=header)
    finally:
        row_spill.close()
        set_spill.close()
    report.problem_count, _lines, report.problems = problem_files.merge(
        problems_path, row_spill.path, set_spill.path)
    report.seconds = time.monotonic() - started
    return report


def _import_orm(*, rows, source, validator, placement, user, mode, dry_run, report, row_spill, set_spill, progress,
                header) -> None:
    started = time.monotonic()
    writer = OrmWriter(placement=placement, user=user, validator=validator, header=header)
    progress("reading", 0.0, 0)
    for line, cells in rows:
        if is_blank(cells):
            continue
        report.rows_read += 1
        record, found = validator.validate(line, cells)
        if found:
            row_spill.extend(found)
            report.rejected += 1
        else:
            writer.add(record)
            if len(report.sample) < SAMPLE_ROWS:
                report.sample.append(sample_of(record))
        if report.rows_read % BATCH_ROWS == 0:
            progress("reading", source.progress, report.rows_read)
    progress("writing", 1.0, report.rows_read)
    report.timings["read_validate"] = time.monotonic() - started
    with transaction.atomic():
        set_problems = sorted(writer.find_set_problems(), key=lambda p: p.line)
        set_spill.extend(set_problems)
        report.rejected += len({p.line for p in set_problems})
        if mode == ALL and report.rejected:
            report.refused = True
        else:
            report.created, report.updated, staged = writer.write()
            report.unchanged = staged - report.created - report.updated
            report.written = not dry_run
        if dry_run or report.refused:
            transaction.set_rollback(True)
    report.timings["write"] = time.monotonic() - started - report.timings["read_validate"]


def sample_of(record: StudentRecord) -> dict:
    return {
        "line": record.line, "student_number": record.student_number, "name": record.name, "sex": record.sex,
        "birth_date": record.birth_date.isoformat(), "class": grades.class_name(record.grade_level, record.class_number),
        "boarding": record.boarding, "groups": sorted(record.groups), "guardians": len(record.guardians),
    }


def other_school_problem(line: int, column: str, number: str, school_name: str) -> Problem:
    return Problem(line, column, gettext_noop("student number (学籍号) %(number)s is registered at %(school)s; "
                                              "a move between schools goes through a transfer"),
                   {"number": number, "school": school_name})


# ---------------------------------------------------------------- any database: the ORM in batches

_PERSONAL = ("name", "sex", "birth_date", "id_number", "boarding")


class OrmWriter:
    """For the SQLite demo and small files: keeps the valid records in memory and writes in batches."""

    chunk = 500

    def __init__(self, *, placement: Placement, user, validator: StudentRowValidator, header: HeaderMap) -> None:
        self.placement = placement
        self.user = user
        self.header = header
        self.managed_groups = validator.managed_groups
        self.records: list[StudentRecord] = []
        self.duplicates = DuplicateFinder()
        self.found: list[Problem] = []
        self.moves: set[str] = set()

    def start(self) -> None:
        pass

    def flush(self) -> None:
        pass

    def cleanup(self) -> None:
        self.records = []

    def add(self, record: StudentRecord) -> None:
        problem = self.duplicates.check(record, self.header)
        if problem:
            self.found.append(problem)
        else:
            self.records.append(record)

    def find_set_problems(self) -> list[Problem]:
        column = self.header.field_label("student_number")
        school_id = self.placement.school.id
        kept: list[StudentRecord] = []
        units: dict[int, OrgUnit] = {}
        for start in range(0, len(self.records), self.chunk):
            chunk = self.records[start:start + self.chunk]
            elsewhere = dict(
                Student.objects.filter(student_number__in=[r.student_number for r in chunk], school__isnull=False)
                .exclude(school_id=school_id).values_list("student_number", "school_id"))
            for unit in OrgUnit.objects.filter(id__in=set(elsewhere.values()) - set(units)):
                units[unit.id] = unit
            for record in chunk:
                other = elsewhere.get(record.student_number)
                if other is None:
                    kept.append(record)
                elif scope.unit_permission(self.user, units[other], roles.ROSTER_IMPORT):
                    self.moves.add(record.student_number)
                    kept.append(record)
                else:
                    self.found.append(other_school_problem(record.line, column, record.student_number,
                                                            units[other].name))
        self.records = kept
        return self.found

    def write(self) -> tuple[int, int, int]:
        created = updated = 0
        groups = {g.code: g.id for g in SpecialGroup.objects.filter(code__in=self.managed_groups)}
        for start in range(0, len(self.records), self.chunk):
            c, u = self._write_chunk(self.records[start:start + self.chunk], groups)
            created += c
            updated += u
        return created, updated, len(self.records)

    def _write_chunk(self, chunk: list[StudentRecord], groups: dict[str, int]) -> tuple[int, int]:
        p = self.placement
        now = timezone.now()
        existing = {s.student_number: s for s in Student.objects.filter(student_number__in=[r.student_number for r in chunk])}
        new: list[Student] = []
        changed: list[Student] = []
        placings: list[Placing] = []
        for r in chunk:
            klass = p.school_class(r.grade_level, r.class_number)
            personal = {"name": r.name, "sex": r.sex, "birth_date": r.birth_date, "boarding": r.boarding}
            student = existing.get(r.student_number)
            if student is None:
                student = Student(student_number=r.student_number, id_number=r.id_number, **personal)
                new.append(student)
                placings.append(Placing(student, klass, Enrollment.Reason.IMPORTED))
                continue
            personal["id_number"] = r.id_number or student.id_number
            wanted = {**personal, "status": Student.Status.ENROLLED, **people_services.placement_fields(klass)}
            if any(getattr(student, name) != value for name, value in wanted.items()):
                for name, value in personal.items():
                    setattr(student, name, value)
                changed.append(student)
                moved = student.student_number in self.moves
                placings.append(Placing(student, klass, "transferred_in" if moved else Enrollment.Reason.CLASS_CHANGED))
        # people writes the rows, their placement and their history (one writer of the placement rules)
        people_services.place_students(placings, on=p.today, fields=_PERSONAL)
        for student in new:
            existing[student.student_number] = student

        touched = {s.id for s in changed}
        ids = {r.student_number: existing[r.student_number].id for r in chunk}
        current = {(g.student_id, g.position): g for g in Guardian.objects.filter(student_id__in=ids.values())}
        add_guardians, change_guardians = [], []
        for r in chunk:
            for position, name, relation, phone in r.guardians:
                guardian = current.get((ids[r.student_number], position))
                if guardian is None:
                    add_guardians.append(Guardian(student_id=ids[r.student_number], position=position, name=name,
                                                  relation=relation, phone=phone))
                    touched.add(ids[r.student_number])
                    continue
                wanted = (name, relation or guardian.relation, phone or guardian.phone)
                if (guardian.name, guardian.relation, guardian.phone) != wanted:
                    guardian.name, guardian.relation, guardian.phone = wanted
                    change_guardians.append(guardian)
                    touched.add(ids[r.student_number])
        Guardian.objects.bulk_create(add_guardians)
        if change_guardians:
            Guardian.objects.bulk_update(change_guardians, ["name", "relation", "phone"])

        if groups:
            held = set(GroupMembership.objects.filter(student_id__in=ids.values(), group_id__in=groups.values())
                       .values_list("student_id", "group_id"))
            wanted_pairs = {(ids[r.student_number], groups[code]) for r in chunk for code in r.groups if code in groups}
            GroupMembership.objects.bulk_create(
                [GroupMembership(student_id=s, group_id=g) for s, g in wanted_pairs - held])
            stale = held - wanted_pairs
            for s, g in stale:
                GroupMembership.objects.filter(student_id=s, group_id=g).delete()
            touched |= {s for s, _g in (wanted_pairs - held) | stale}

        new_ids = {s.id for s in new}
        extra = touched - new_ids - {s.id for s in changed}
        if extra:
            Student.objects.filter(id__in=extra).update(updated_at=now)
        return len(new), len(touched - new_ids)
