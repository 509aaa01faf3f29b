"""The student roster import: read, validate, then upsert by 学籍号 in bulk.

Two writers share one contract. On PostgreSQL validated rows stream in batches into a temporary staging
table with COPY, and a handful of set-based statements do the rest (duplicates, other-school conflicts,
classes, the upsert with ON CONFLICT … WHERE … IS DISTINCT FROM, enrollments, guardians, groups), so
memory stays flat and a re-import of the same file writes nothing. Elsewhere (the SQLite demo) the ORM
writer does the same in batches with bulk_create/bulk_update.

A dry run (the preview, `--dry-run`) runs everything and rolls back, so its counts are the real forecast.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from runxin.access import roles, scope
from runxin.org import grades
from runxin.org import services as org_services
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import Enrollment, GroupMembership, Guardian, SpecialGroup, Student

from . import problems as problem_files
from .columns import STUDENTS, HeaderMap, group_header_names, locate_header
from .reading import RowSource
from .validation import (
    DuplicateFinder,
    Problem,
    StudentRecord,
    StudentRowValidator,
    duplicate_problem,
    is_blank,
)
from .values import gettext_noop

ALL = "all"
VALID = "valid"
BATCH_ROWS = 10_000
SAMPLE_ROWS = 10

Progress = Callable[[str, float, int], None]


@dataclass
class Report:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # rejected rows
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first ones, for a page
    sample: list[dict] = field(default_factory=list)
    header_line: int | None = None
    columns: dict = field(default_factory=dict)
    written: bool = False
    refused: bool = False
    seconds: float = 0.0
    secrets: list[dict] = field(default_factory=list)  # staff import: initial passwords
    timings: dict = field(default_factory=dict)  # seconds per phase

    def as_json(self, translate=lambda m: m) -> dict:
        return {
            "rows_read": self.rows_read, "imported": self.created + self.updated + self.unchanged if self.written else 0,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "rejected": self.rejected, "written": self.written, "refused": self.refused,
            "header_line": self.header_line, "seconds": round(self.seconds, 2),
            "timings": {phase: round(seconds, 2) for phase, seconds in self.timings.items()},
        }


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
                    problems_path: Path, progress: Progress | None = None, engine: str = "auto") -> Report:
    """Import a student roster into `school`. Rows with problems are never written; in mode ALL nothing is
    written unless every row is valid. Problems go to `problems_path` (JSON lines, in file order).
    Raises reading.Unreadable / columns.HeaderNotFound when the file cannot be used at all."""
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

    use_sql = engine == "sql" or (engine == "auto" and connection.vendor == "postgresql")
    writer = (SqlWriter if use_sql else OrmWriter)(placement=placement, user=user, validator=validator, header=header)
    row_spill = problem_files.ProblemSpill(problems_path.with_suffix(".rows.jsonl"))
    set_spill_path = problems_path.with_suffix(".sets.jsonl")
    try:
        writer.start()
        progress("reading", 0.0, 0)
        validate = validator.validate
        for line, cells in rows:
            if is_blank(cells):
                continue
            report.rows_read += 1
            record, found = validate(line, cells)
            if found:
                row_spill.extend(found)
                report.rejected += 1
            else:
                writer.add(record)
                if len(report.sample) < SAMPLE_ROWS:
                    report.sample.append(_sample(record))
            if report.rows_read % BATCH_ROWS == 0:
                writer.flush()
                progress("reading", source.progress, report.rows_read)
        writer.flush()
        row_spill.close()
        progress("writing", 1.0, report.rows_read)
        report.timings["read_validate_stage"] = time.monotonic() - started
        with transaction.atomic():
            set_problems = writer.find_set_problems()
            report.timings["duplicates_conflicts"] = time.monotonic() - started - report.timings["read_validate_stage"]
            _write(set_spill_path, sorted(set_problems, key=lambda p: p.line))
            report.rejected += len({p.line for p in set_problems})
            if mode == ALL and report.rejected:
                report.refused = True
            else:
                report.created, report.updated, staged = writer.write()
                report.timings.update({f"write.{k}": v for k, v in getattr(writer, "steps", {}).items()})
                report.unchanged = staged - report.created - report.updated
                report.written = not dry_run
            if dry_run or report.refused:
                transaction.set_rollback(True)
            mark = time.monotonic()
        report.timings["write"] = mark - started - sum(v for k, v in report.timings.items() if "." not in k)
        report.timings["commit"] = time.monotonic() - mark
    finally:
        row_spill.close()
        writer.cleanup()
    report.problem_count, _lines, report.problems = problem_files.merge(
        problems_path, problems_path.with_suffix(".rows.jsonl"), set_spill_path)
    report.seconds = time.monotonic() - started
    return report


def _write(path: Path, found: list[Problem]) -> None:
    spill = problem_files.ProblemSpill(path)
    spill.extend(found)
    spill.close()


def _sample(record: StudentRecord) -> dict:
    return {
        "line": record.line, "student_number": record.student_number, "name": record.name, "sex": record.sex,
        "birth_date": record.birth_date.isoformat(), "class": grades.class_name(record.grade_level, record.class_number),
        "boarding": record.boarding, "groups": sorted(record.groups), "guardians": len(record.guardians),
    }


def _other_school_problem(line: int, column: str, number: str, school_name: str) -> Problem:
    return Problem(line, column, gettext_noop("student number (学籍号) %(number)s is registered at %(school)s; "
                                              "a move between schools goes through a transfer"),
                   {"number": number, "school": school_name})


# ---------------------------------------------------------------- PostgreSQL: COPY + set-based SQL

class SqlWriter:
    def __init__(self, *, placement: Placement, user, validator: StudentRowValidator, header: HeaderMap) -> None:
        self.placement = placement
        self.user = user
        self.header = header
        self.positions = [position for position, _parts in validator.guardian_columns]
        self.managed_groups = sorted(validator.managed_groups)
        self.buffer: list[str] = []
        self.moves: list[str] = []

    def start(self) -> None:
        guardian_columns = "".join(f", g{p}_name text, g{p}_relation text, g{p}_phone text" for p in self.positions)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS import_staging")
            cursor.execute(
                "CREATE TEMP TABLE import_staging (line integer, student_number text, name text, sex text, "
                "birth_date date, id_number text, grade_level smallint, class_number smallint, boarding text, "
                f"groups text[]{guardian_columns})")

    def add(self, r: StudentRecord) -> None:
        text = (f"{r.line}\t{r.student_number}\t{r.name}\t{r.sex}\t{r.birth_date.isoformat()}\t{r.id_number}\t"
                f"{r.grade_level}\t{r.class_number}\t{r.boarding}\t{{{','.join(r.groups)}}}")
        if self.positions:
            by_position = {g[0]: g for g in r.guardians}
            for position in self.positions:
                g = by_position.get(position)
                text += f"\t{g[1]}\t{g[2]}\t{g[3]}" if g else "\t\t\t"
        if "\\" in text:
            text = text.replace("\\", "\\\\")
        self.buffer.append(text)

    def flush(self) -> None:
        if not self.buffer:
            return
        payload = "\n".join(self.buffer) + "\n"
        self.buffer = []
        with connection.cursor() as cursor, cursor.copy("COPY import_staging FROM STDIN") as copy:
            copy.write(payload)

    def find_set_problems(self) -> list[Problem]:
        """Duplicates within the file and numbers registered at another school; removes those rows."""
        column = self.header.field_label("student_number")
        found: list[Problem] = []
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE import_staging")
            cursor.execute(
                "DELETE FROM import_staging s USING (SELECT student_number, min(line) AS first FROM import_staging "
                "GROUP BY student_number HAVING count(*) > 1) d "
                "WHERE s.student_number = d.student_number AND s.line <> d.first RETURNING s.line, s.student_number, d.first")
            found += [duplicate_problem(line, column, number, first) for line, number, first in cursor.fetchall()]
            cursor.execute(
                "SELECT s.line, s.student_number, u.id, u.name, u.path FROM import_staging s "
                "JOIN people_student st ON st.student_number = s.student_number "
                "JOIN org_orgunit u ON u.id = st.school_id WHERE st.school_id <> %s", [self.placement.school.id])
            elsewhere = cursor.fetchall()
            allowed = {
                unit_id for unit_id, path in {(row[2], row[4]) for row in elsewhere}
                if scope.unit_permission(self.user, OrgUnit(id=unit_id, path=path), roles.ROSTER_IMPORT)
            }
            refused_lines = []
            for line, number, unit_id, unit_name, _path in elsewhere:
                if unit_id in allowed:
                    self.moves.append(number)
                else:
                    refused_lines.append(line)
                    found.append(_other_school_problem(line, column, number, unit_name))
            if refused_lines:
                cursor.execute("DELETE FROM import_staging WHERE line = ANY(%s)", [refused_lines])
        return found

    def write(self) -> tuple[int, int, int]:
        """Upsert the staged rows. Returns (created, updated, staged)."""
        p = self.placement
        self.steps: dict[str, float] = {}
        mark = time.monotonic()

        def step(name: str) -> None:
            nonlocal mark
            now = time.monotonic()
            self.steps[name] = now - mark
            mark = now

        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT grade_level, class_number FROM import_staging")
            classes = [p.school_class(level, number) for level, number in cursor.fetchall()]
            self.row_triggers_skipped = _skip_foreign_key_triggers(
                cursor, units=[p.school.id, p.school.district_id, p.city_id, *(c.id for c in classes),
                               *(c.parent_id for c in classes)],
                year_id=p.year.id, groups=self.managed_groups)
            cursor.execute("DROP TABLE IF EXISTS import_classes")
            cursor.execute("CREATE TEMP TABLE import_classes (grade_level smallint, class_number smallint, "
                           "class_id bigint, grade_id bigint)")
            if classes:
                cursor.executemany("INSERT INTO import_classes VALUES (%s, %s, %s, %s)",
                                   [(c.grade_level, c.class_number, c.id, c.parent_id) for c in classes])
            step("classes")
            cursor.execute("DROP TABLE IF EXISTS import_touched")
            cursor.execute("CREATE TEMP TABLE import_touched (student_id bigint PRIMARY KEY, inserted boolean, "
                           "class_id bigint, moved boolean DEFAULT false)")
            cursor.execute("DROP TABLE IF EXISTS import_touched_more")
            cursor.execute("CREATE TEMP TABLE import_touched_more (student_id bigint)")
            params = {"school": p.school.id, "district": p.school.district_id, "city": p.city_id,
                      "now": timezone.now(), "today": p.today, "year": p.year.id}
            cursor.execute(
                """
                WITH up AS (
                  INSERT INTO people_student AS st (student_number, name, sex, birth_date, id_number, boarding,
                      status, is_key_student, school_class_id, grade_id, school_id, district_id, city_id,
                      created_at, updated_at)
                  SELECT s.student_number, s.name, s.sex, s.birth_date, s.id_number, s.boarding, 'enrolled', false,
                      c.class_id, c.grade_id, %(school)s, %(district)s, %(city)s, %(now)s, %(now)s
                  FROM import_staging s
                  JOIN import_classes c ON c.grade_level = s.grade_level AND c.class_number = s.class_number
                  ON CONFLICT (student_number) DO UPDATE SET
                      name = EXCLUDED.name, sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date,
                      id_number = COALESCE(NULLIF(EXCLUDED.id_number, ''), st.id_number),
                      boarding = EXCLUDED.boarding, status = 'enrolled', school_class_id = EXCLUDED.school_class_id,
                      grade_id = EXCLUDED.grade_id, school_id = EXCLUDED.school_id,
                      district_id = EXCLUDED.district_id, city_id = EXCLUDED.city_id, updated_at = EXCLUDED.updated_at
                  WHERE (st.name, st.sex, st.birth_date, st.id_number, st.boarding, st.status, st.school_class_id,
                         st.grade_id, st.school_id, st.district_id, st.city_id)
                    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.sex, EXCLUDED.birth_date,
                         COALESCE(NULLIF(EXCLUDED.id_number, ''), st.id_number), EXCLUDED.boarding, 'enrolled',
                         EXCLUDED.school_class_id, EXCLUDED.grade_id, EXCLUDED.school_id, EXCLUDED.district_id,
                         EXCLUDED.city_id)
                  RETURNING st.id, (st.xmax = 0) AS inserted, st.school_class_id
                )
                INSERT INTO import_touched (student_id, inserted, class_id) SELECT * FROM up
                """, params)
            step("students")
            if self.moves:
                cursor.execute("UPDATE import_touched t SET moved = true FROM people_student st "
                               "WHERE st.id = t.student_id AND st.student_number = ANY(%s)", [self.moves])
            cursor.execute(
                """
                UPDATE people_enrollment e
                SET ended_on = %(today)s, end_reason = CASE WHEN t.moved THEN 'transferred_in' ELSE 'class_changed' END
                FROM import_touched t
                WHERE e.student_id = t.student_id AND NOT t.inserted AND e.ended_on IS NULL
                  AND e.school_class_id <> t.class_id
                """, params)
            cursor.execute(
                """
                INSERT INTO people_enrollment (student_id, school_class_id, school_id, school_year_id, started_on,
                    reason, end_reason)
                SELECT t.student_id, t.class_id, %(school)s, %(year)s, %(today)s,
                    CASE WHEN t.inserted THEN 'imported' WHEN t.moved THEN 'transferred_in' ELSE 'class_changed' END, ''
                FROM import_touched t
                WHERE t.inserted OR NOT EXISTS (
                    SELECT 1 FROM people_enrollment e WHERE e.student_id = t.student_id AND e.ended_on IS NULL)
                """, params)
            step("enrollments")
            if self.positions:
                values = ", ".join(f"({p_}, s.g{p_}_name, s.g{p_}_relation, s.g{p_}_phone)" for p_ in self.positions)
                cursor.execute(
                    f"""
                    WITH up AS (
                      INSERT INTO people_guardian AS g (student_id, position, name, relation, phone)
                      SELECT st.id, v.position, v.name, v.relation, v.phone
                      FROM import_staging s JOIN people_student st ON st.student_number = s.student_number
                      CROSS JOIN LATERAL (VALUES {values}) AS v(position, name, relation, phone)
                      WHERE v.name <> ''
                      ON CONFLICT (student_id, position) DO UPDATE SET name = EXCLUDED.name,
                          relation = COALESCE(NULLIF(EXCLUDED.relation, ''), g.relation),
                          phone = COALESCE(NULLIF(EXCLUDED.phone, ''), g.phone)
                      WHERE (g.name, g.relation, g.phone) IS DISTINCT FROM (EXCLUDED.name,
                          COALESCE(NULLIF(EXCLUDED.relation, ''), g.relation), COALESCE(NULLIF(EXCLUDED.phone, ''), g.phone))
                      RETURNING g.student_id
                    )
                    INSERT INTO import_touched_more SELECT student_id FROM up
                    """)  # noqa: S608 - {values} is built from integer guardian positions only
            step("guardians")
            if self.managed_groups:
                cursor.execute(
                    """
                    WITH added AS (
                      INSERT INTO people_groupmembership (student_id, group_id, note)
                      SELECT st.id, gr.id, ''
                      FROM import_staging s JOIN people_student st ON st.student_number = s.student_number
                      CROSS JOIN LATERAL unnest(s.groups) AS wanted(code) JOIN people_specialgroup gr ON gr.code = wanted.code
                      WHERE cardinality(s.groups) > 0
                      ON CONFLICT (student_id, group_id) DO NOTHING
                      RETURNING student_id
                    ), removed AS (
                      DELETE FROM people_groupmembership m
                      USING import_staging s, people_student st, people_specialgroup gr
                      WHERE st.student_number = s.student_number AND m.student_id = st.id AND gr.id = m.group_id
                        AND gr.code = ANY(%(managed)s) AND NOT gr.code = ANY(s.groups)
                      RETURNING m.student_id
                    )
                    INSERT INTO import_touched_more SELECT student_id FROM added UNION ALL SELECT student_id FROM removed
                    """, {"managed": self.managed_groups})
            step("groups")
            cursor.execute("SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
                           "FROM import_touched")
            created, updated = cursor.fetchone()
            cursor.execute(
                "UPDATE people_student SET updated_at = %(now)s WHERE id IN (SELECT DISTINCT m.student_id "
                "FROM import_touched_more m LEFT JOIN import_touched t USING (student_id) WHERE t.student_id IS NULL)",
                params)
            updated += cursor.rowcount
            cursor.execute("SELECT count(*) FROM import_staging")
            staged = cursor.fetchone()[0]
            step("counts")
        return created, updated, staged

    def cleanup(self) -> None:
        with connection.cursor() as cursor:
            for table in ("import_staging", "import_classes", "import_touched", "import_touched_more"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


_WRITTEN_TABLES = ("people_student", "people_enrollment", "people_guardian", "people_groupmembership")


def _skip_foreign_key_triggers(cursor, *, units: list, year_id: int, groups: list[str]) -> bool:
    """Skip the per-row foreign-key checks for the rest of this transaction, when it is safe and allowed.

    Every foreign key this import writes points at a row it has just read or written in the same
    transaction: the school and its ancestors, the classes and grades, the school year, the special
    groups, and the students it upserted (ON CONFLICT locks each of them, changed or not). Taking a
    FOR KEY SHARE lock on those parent rows once gives the protection the per-row RI triggers give
    (a concurrent delete must wait), without ~10 trigger calls per student, which cost more than the
    inserts themselves. PostgreSQL allows `session_replication_role = replica` only to superusers or to
    a role granted SET on it (GRANT SET ON PARAMETER session_replication_role TO …, PostgreSQL 15+);
    otherwise, or when a table written here carries a trigger of its own, the checks run as usual."""
    if not getattr(settings, "IMPORT_SKIP_ROW_TRIGGERS", True):
        return False
    cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])",
                   [list(_WRITTEN_TABLES)])
    if cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    allowed = bool(cursor.fetchone()[0])
    if not allowed:
        try:
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
            allowed = bool(cursor.fetchone()[0])
        except DatabaseError:
            return False
    if not allowed:
        return False
    cursor.execute("SELECT 1 FROM org_orgunit WHERE id = ANY(%s) FOR KEY SHARE", [[u for u in units if u]])
    cursor.execute("SELECT 1 FROM org_schoolyear WHERE id = %s FOR KEY SHARE", [year_id])
    cursor.execute("SELECT 1 FROM people_specialgroup WHERE code = ANY(%s) FOR KEY SHARE", [groups])
    cursor.execute("SET LOCAL session_replication_role = replica")
    return True


# ---------------------------------------------------------------- any database: the ORM in batches

_COMPARED = ("name", "sex", "birth_date", "id_number", "boarding", "status", "school_class_id", "grade_id",
             "school_id", "district_id", "city_id")


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
                    self.found.append(_other_school_problem(record.line, column, record.student_number,
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
        class_changed: list[Student] = []
        for r in chunk:
            klass = p.school_class(r.grade_level, r.class_number)
            wanted = {"name": r.name, "sex": r.sex, "birth_date": r.birth_date, "boarding": r.boarding,
                      "status": Student.Status.ENROLLED, "school_class_id": klass.id, "grade_id": klass.parent_id,
                      "school_id": p.school.id, "district_id": p.school.district_id, "city_id": p.city_id}
            student = existing.get(r.student_number)
            if student is None:
                new.append(Student(student_number=r.student_number, id_number=r.id_number, created_at=now,
                                   updated_at=now, **wanted))
                continue
            wanted["id_number"] = r.id_number or student.id_number
            if any(getattr(student, name) != wanted[name] for name in _COMPARED):
                if student.school_class_id != klass.id:
                    class_changed.append(student)
                for name, value in wanted.items():
                    setattr(student, name, value)
                student.updated_at = now
                changed.append(student)
        Student.objects.bulk_create(new)
        if changed:
            Student.objects.bulk_update(changed, [*_COMPARED, "updated_at"])
        for student in new:
            existing[student.student_number] = student
        enrollments = [
            Enrollment(student=s, school_class_id=s.school_class_id, school_id=p.school.id, school_year=p.year,
                       started_on=p.today, reason=Enrollment.Reason.IMPORTED) for s in new]
        for student in class_changed:
            reason = "transferred_in" if student.student_number in self.moves else Enrollment.Reason.CLASS_CHANGED
            Enrollment.objects.filter(student=student, ended_on__isnull=True).update(ended_on=p.today, end_reason=reason)
            enrollments.append(Enrollment(student=student, school_class_id=student.school_class_id, school_id=p.school.id,
                                          school_year=p.year, started_on=p.today, reason=reason))
        Enrollment.objects.bulk_create(enrollments)

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
