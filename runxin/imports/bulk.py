"""The PostgreSQL roster import: stream batches through COPY and set-based SQL, in one transaction.

A forked worker process reads and validates the file and sends batches of ready COPY text (10,000 rows)
through a pipe, while this process loads each batch into a temporary table and upserts it with a few
statements: drop duplicates of numbers seen earlier in the file, refuse numbers registered at another
school, create missing classes; then people.bulk (the one writer of students' placement and enrollments)
upserts the students with `INSERT … ON CONFLICT (student_number) DO UPDATE … WHERE (…) IS DISTINCT FROM (…)`
and writes their enrollment history, and guardians and groups follow for the batch's students. So the CPU-bound Python
work overlaps PostgreSQL's, memory holds one or two batches whatever the file's size, and a re-import
of the same file writes nothing. Mode ALL and dry runs roll the one transaction back.
"""

import multiprocessing
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people import bulk as people_bulk

from .reading import RowSource
from .validation import Problem, StudentRecord, StudentRowValidator, duplicate_problem, is_blank

BATCH_ROWS = 10_000
PARALLEL_MIN_BYTES = 4 << 20  # below this a worker process costs more than it saves
SAMPLE_ROWS = 10


@dataclass
class Chunk:
    payload: bytes  # COPY text of the valid rows, UTF-8
    valid: int
    problems: list[Problem]
    rows_read: int  # so far, for progress
    rejected: int  # rows rejected by validation in this chunk
    sample: list[dict] = field(default_factory=list)
    share: float = 0.0


def copy_line(r: StudentRecord, positions: list[int]) -> str:
    text = (f"{r.line}\t{r.student_number}\t{r.name}\t{r.sex}\t{r.birth_date.isoformat()}\t{r.id_number}\t"
            f"{r.grade_level}\t{r.class_number}\t{r.boarding}\t{{{','.join(r.groups)}}}")
    if positions:
        by_position = {g[0]: g for g in r.guardians}
        for position in positions:
            g = by_position.get(position)
            text += f"\t{g[1]}\t{g[2]}\t{g[3]}" if g else "\t\t\t"
    # clean() turned tabs and newlines into spaces; only a backslash needs escaping for COPY
    return text.replace("\\", "\\\\") if "\\" in text else text


def produce(path: Path, header_line: int, validator: StudentRowValidator, positions: list[int],
            batch_rows: int = BATCH_ROWS) -> Iterator[Chunk]:
    """Read, validate and encode the rows below the header, a batch at a time."""
    from .roster import sample_of

    source = RowSource(path)
    rows = iter(source)
    for line, _cells in rows:
        if line >= header_line:
            break
    validate = validator.validate
    lines: list[str] = []
    problems: list[Problem] = []
    sample: list[dict] = []
    read = rejected = in_batch = 0
    samples_left = SAMPLE_ROWS
    for line, cells in rows:
        if is_blank(cells):
            continue
        read += 1
        in_batch += 1
        record, found = validate(line, cells)
        if found:
            problems.extend(found)
            rejected += 1
        else:
            lines.append(copy_line(record, positions))
            if samples_left:
                sample.append(sample_of(record))
                samples_left -= 1
        if in_batch == batch_rows:
            yield Chunk(_encode(lines), len(lines), problems, read, rejected, sample, source.progress)
            lines, problems, sample, rejected, in_batch = [], [], [], 0, 0
    yield Chunk(_encode(lines), len(lines), problems, read, rejected, sample, 1.0)


def _encode(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode() if lines else b""


def _work(pipe, path, header_line, validator, positions) -> None:
    """The worker process: never touches the database (it shares the parent's connection socket)."""
    try:
        for chunk in produce(path, header_line, validator, positions):
            pipe.send(chunk)
        pipe.send(None)
    except Exception as error:  # handed to the parent, which raises it
        pipe.send(error)
    finally:
        pipe.close()


def chunks(path: Path, header_line: int, validator: StudentRowValidator, positions: list[int],
           parallel: bool) -> Iterator[Chunk]:
    if not parallel:
        yield from produce(path, header_line, validator, positions)
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(send, path, header_line, validator, positions), daemon=True)
    worker.start()
    send.close()
    try:
        while True:
            try:
                item = receive.recv()
            except EOFError:
                raise RuntimeError("the roster reader process ended unexpectedly") from None
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        receive.close()
        worker.join(timeout=10)
        if worker.is_alive():
            worker.kill()


def use_worker_process(path: Path, parallel: bool | None) -> bool:
    if parallel is not None:
        return parallel
    return (hasattr(os, "fork") and not multiprocessing.current_process().daemon
            and path.stat().st_size >= PARALLEL_MIN_BYTES)


def import_streaming(*, path: Path, header, validator: StudentRowValidator, placement, user, mode: str,
                     dry_run: bool, report, row_spill, set_spill, progress, parallel: bool | None) -> None:
    from .roster import ALL

    started = time.monotonic()
    positions = [position for position, _parts in validator.guardian_columns]
    writer = StreamWriter(placement=placement, user=user, header=header, positions=positions,
                          managed_groups=sorted(validator.managed_groups))
    progress("reading", 0.0, 0)
    with transaction.atomic():
        try:
            writer.start()
            for chunk in chunks(path, header.line, validator, positions, use_worker_process(path, parallel)):
                report.rows_read = chunk.rows_read
                report.rejected += chunk.rejected
                row_spill.extend(chunk.problems)
                if len(report.sample) < SAMPLE_ROWS:
                    report.sample.extend(chunk.sample[:SAMPLE_ROWS - len(report.sample)])
                refusing = mode == ALL and report.rejected > 0
                found = writer.write_batch(chunk.payload, upsert=not refusing) if chunk.valid else []
                set_spill.extend(found)
                report.rejected += len({p.line for p in found})
                progress("importing", chunk.share, chunk.rows_read)
            report.refused = mode == ALL and report.rejected > 0
            if not report.refused:
                report.created, report.updated, report.unchanged = writer.created, writer.updated, writer.unchanged
                report.written = not dry_run
            if dry_run or report.refused:
                transaction.set_rollback(True)
        finally:
            writer.cleanup()
        mark = time.monotonic()
    report.timings.update({"read_validate_write": mark - started, "commit": time.monotonic() - mark,
                           **{f"sql.{k}": round(v, 2) for k, v in writer.steps.items()}})


# Every per-batch statement reaches the big tables only by index lookups driven from the batch's rows:
# a LATERAL subquery with LIMIT/OFFSET cannot be flattened and reordered, and `id = ANY(ARRAY(…))`
# computes the ids first. Right after a bulk load the tables' statistics lag far behind, and a planner
# left to itself scanned the whole enrollment or membership table once per batch: quadratic in the file.
_STUDENT_OF_ROW = ("CROSS JOIN LATERAL (SELECT id, school_id FROM people_student "
                   "WHERE student_number = b.student_number LIMIT 1) st")
_FIRST_LINE = "(SELECT s.line FROM import_seen s WHERE s.student_number = b.student_number)"

_WRITTEN_TABLES = ("people_student", "people_enrollment", "people_guardian", "people_groupmembership")
_TEMP_TABLES = ("import_batch", "import_seen", "import_classes", "import_touched_more")
# The batch's rows with the class each goes to: what people.bulk.upsert_students reads.
_PLACED_ROWS = ("(SELECT b.line, b.student_number, b.name, b.sex, b.birth_date, b.id_number, b.boarding, "
                "c.class_id FROM import_batch b JOIN import_classes c "
                "ON c.grade_level = b.grade_level AND c.class_number = b.class_number)")


class StreamWriter:
    def __init__(self, *, placement, user, header, positions: list[int], managed_groups: list[str]) -> None:
        self.placement = placement
        self.user = user
        self.column = header.field_label("student_number")
        self.positions = positions
        self.managed_groups = managed_groups
        self.created = self.updated = self.unchanged = 0
        self.steps: dict[str, float] = {}
        self.school_decisions: dict[int, bool] = {}
        self.skip_triggers = False
        p = placement
        self.params = {"school": p.school.id, "district": p.school.district_id, "city": p.city_id,
                       "now": None, "today": p.today, "year": p.year.id, "managed": managed_groups}

    def _step(self, name: str, since: float) -> float:
        now = time.monotonic()
        self.steps[name] = self.steps.get(name, 0.0) + now - since
        return now

    def start(self) -> None:
        from django.utils import timezone

        self.params["now"] = timezone.now()
        guardian_columns = "".join(f", g{p}_name text, g{p}_relation text, g{p}_phone text" for p in self.positions)
        with connection.cursor() as cursor:
            for table in _TEMP_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                "CREATE TEMP TABLE import_batch (line integer, student_number text, name text, sex text, "
                "birth_date date, id_number text, grade_level smallint, class_number smallint, boarding text, "
                f"groups text[]{guardian_columns})")
            cursor.execute("CREATE INDEX ON import_batch (student_number)")
            cursor.execute("CREATE TEMP TABLE import_seen (student_number text PRIMARY KEY, line integer)")
            cursor.execute("CREATE TEMP TABLE import_classes (grade_level smallint, class_number smallint, "
                           "class_id bigint, grade_id bigint, PRIMARY KEY (grade_level, class_number))")
            people_bulk.stage(cursor)
            cursor.execute("CREATE TEMP TABLE import_touched_more (student_id bigint)")
            cursor.execute("CREATE INDEX ON import_touched_more (student_id)")
            self.skip_triggers = _may_skip_foreign_key_triggers(cursor)
            if self.skip_triggers:
                p = self.placement
                _lock_parents(cursor, [p.school.id, p.school.district_id, p.city_id], p.year.id, self.managed_groups)
                cursor.execute("SET LOCAL session_replication_role = replica")

    def cleanup(self) -> None:
        """Drop the temporary tables and restore the foreign-key checks (SET LOCAL outlives a savepoint that
        is released, as when the import runs inside a larger transaction). After an error the rollback
        does both, and a statement here would only hide the error."""
        if connection.needs_rollback:
            return
        try:
            with connection.cursor() as cursor:
                if self.skip_triggers:
                    cursor.execute("SET LOCAL session_replication_role = origin")
                for table in _TEMP_TABLES:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
                people_bulk.unstage(cursor)
        except DatabaseError:
            pass

    def write_batch(self, payload: bytes, *, upsert: bool) -> list[Problem]:
        """Load one batch and upsert it. Returns the batch's duplicate and other-school problems."""
        mark = time.monotonic()
        found: list[Problem] = []
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE import_batch, import_touched_more, {people_bulk.STAGE}")
            with cursor.copy("COPY import_batch FROM STDIN") as copy:
                copy.write(payload)
            mark = self._step("copy", mark)
            cursor.execute("INSERT INTO import_seen SELECT student_number, min(line) FROM import_batch "
                           "GROUP BY student_number ON CONFLICT (student_number) DO NOTHING")
            cursor.execute(f"DELETE FROM import_batch b WHERE b.line <> {_FIRST_LINE} "  # noqa: S608 - constants only
                           f"RETURNING b.line, b.student_number, {_FIRST_LINE}")
            found += [duplicate_problem(line, self.column, number, first) for line, number, first in cursor.fetchall()]
            cursor.execute(
                f"SELECT b.line, b.student_number, u.id, u.name, u.path FROM import_batch b {_STUDENT_OF_ROW} "  # noqa: S608
                "JOIN org_orgunit u ON u.id = st.school_id WHERE st.school_id <> %s", [self.placement.school.id])
            refused, moves = [], []
            for line, number, unit_id, unit_name, path in cursor.fetchall():
                if unit_id not in self.school_decisions:
                    self.school_decisions[unit_id] = scope.unit_permission(
                        self.user, OrgUnit(id=unit_id, path=path), roles.ROSTER_IMPORT)
                if self.school_decisions[unit_id]:
                    moves.append(number)
                else:
                    refused.append(line)
                    from .roster import other_school_problem

                    found.append(other_school_problem(line, self.column, number, unit_name))
            if refused:
                cursor.execute("DELETE FROM import_batch WHERE line = ANY(%s)", [refused])
            mark = self._step("duplicates_conflicts", mark)
            if upsert:
                self._upsert(cursor, moves, mark)
        found.sort(key=lambda p: p.line)
        return found

    def _upsert(self, cursor, moves: list[str], mark: float) -> None:
        p, params = self.placement, self.params
        cursor.execute("SELECT DISTINCT b.grade_level, b.class_number FROM import_batch b WHERE NOT EXISTS ("
                       "SELECT 1 FROM import_classes c WHERE c.grade_level = b.grade_level "
                       "AND c.class_number = b.class_number)")
        missing = cursor.fetchall()
        if missing:
            if self.skip_triggers:  # org.services writes the classes: let its own checks and audit run
                cursor.execute("SET LOCAL session_replication_role = origin")
            classes = [p.school_class(level, number) for level, number in missing]
            cursor.executemany("INSERT INTO import_classes VALUES (%s, %s, %s, %s)",
                               [(c.grade_level, c.class_number, c.id, c.parent_id) for c in classes])
            if self.skip_triggers:
                _lock_parents(cursor, [u for c in classes for u in (c.id, c.parent_id)], p.year.id, [])
                cursor.execute("SET LOCAL session_replication_role = replica")
        mark = self._step("classes", mark)
        # people writes the students, their placement and their enrollment history (its rules, once)
        people_bulk.upsert_students(cursor, source=_PLACED_ROWS, params=params, moved=moves)
        mark = self._step("students", mark)
        cursor.execute(f"SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) "  # noqa: S608
                       f"FROM {people_bulk.STAGE}")
        created, updated = cursor.fetchone()
        people_bulk.place_staged(cursor, on=p.today, moves=updated > 0)
        mark = self._step("enrollments", mark)
        if self.positions:
            values = ", ".join(f"({n}, b.g{n}_name, b.g{n}_relation, b.g{n}_phone)" for n in self.positions)
            cursor.execute(
                f"""
                WITH up AS (
                  INSERT INTO people_guardian AS g (student_id, position, name, relation, phone)
                  SELECT st.id, v.position, v.name, v.relation, v.phone
                  FROM import_batch b {_STUDENT_OF_ROW}
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
        mark = self._step("guardians", mark)
        if self.managed_groups:
            cursor.execute(
                f"""
                WITH added AS (
                  INSERT INTO people_groupmembership (student_id, group_id, note)
                  SELECT st.id, gr.id, ''
                  FROM import_batch b {_STUDENT_OF_ROW}
                  CROSS JOIN LATERAL unnest(b.groups) AS wanted(code)
                  JOIN people_specialgroup gr ON gr.code = wanted.code
                  WHERE cardinality(b.groups) > 0
                  ON CONFLICT (student_id, group_id) DO NOTHING
                  RETURNING student_id
                ), removed AS (
                  DELETE FROM people_groupmembership WHERE id = ANY(ARRAY(
                    SELECT m.id FROM import_batch b {_STUDENT_OF_ROW}
                    CROSS JOIN LATERAL (SELECT id, group_id FROM people_groupmembership
                                        WHERE student_id = st.id OFFSET 0) m
                    JOIN people_specialgroup gr ON gr.id = m.group_id
                    WHERE gr.code = ANY(%(managed)s) AND NOT gr.code = ANY(b.groups)))
                  RETURNING student_id
                )
                INSERT INTO import_touched_more SELECT student_id FROM added UNION ALL SELECT student_id FROM removed
                """, params)  # noqa: S608 - only the constant _STUDENT_OF_ROW is formatted in
        mark = self._step("groups", mark)
        cursor.execute("SELECT count(*) FROM import_batch")
        staged = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE people_student SET updated_at = %(now)s WHERE id = ANY(ARRAY(SELECT DISTINCT m.student_id "  # noqa: S608
            f"FROM import_touched_more m WHERE NOT EXISTS (SELECT 1 FROM {people_bulk.STAGE} t "
            "WHERE t.student_id = m.student_id)))", params)
        updated += cursor.rowcount
        self.created += created
        self.updated += updated
        self.unchanged += staged - created - updated
        self._step("counts", mark)


def _may_skip_foreign_key_triggers(cursor) -> bool:
    """Whether this transaction may skip the per-row foreign-key checks on the tables it writes.

    Every foreign key this import writes points at a row it has read or written in the same transaction:
    the school and its ancestors, the classes and grades, the school year, the special groups, and the
    students it upserted (ON CONFLICT locks each of them, changed or not). One FOR KEY SHARE lock on those
    parent rows (_lock_parents) gives the protection the per-row RI triggers give — a concurrent delete
    must wait — without ~10 trigger calls per student, which cost more than the inserts themselves.
    PostgreSQL allows `session_replication_role = replica` to superusers and to a role granted SET on it
    (GRANT SET ON PARAMETER session_replication_role TO …, PostgreSQL 15+); otherwise, or when a table
    written here carries a trigger of its own, or with IMPORT_SKIP_ROW_TRIGGERS off, the checks run."""
    if not getattr(settings, "IMPORT_SKIP_ROW_TRIGGERS", True):
        return False
    cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])",
                   [list(_WRITTEN_TABLES)])
    if cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        return True
    try:
        with transaction.atomic():
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
            return bool(cursor.fetchone()[0])
    except DatabaseError:  # PostgreSQL before 15 has no parameter privileges
        return False


def _lock_parents(cursor, units: list, year_id: int, groups: list[str]) -> None:
    cursor.execute("SELECT 1 FROM org_orgunit WHERE id = ANY(%s) FOR KEY SHARE", [[u for u in units if u]])
    cursor.execute("SELECT 1 FROM org_schoolyear WHERE id = %s FOR KEY SHARE", [year_id])
    if groups:
        cursor.execute("SELECT 1 FROM people_specialgroup WHERE code = ANY(%s) FOR KEY SHARE", [groups])
