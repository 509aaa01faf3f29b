"""The set-based form of placing students in classes: the one writer of enrollment rows and of the students'
placement columns for the bulk paths (the PostgreSQL roster import, the school-year rollover, and the ORM
import and `student_place` through people.services.place_students).

The caller stages who goes where in the temporary table `people_placing` (one row per student: the class,
the reason, whether the student row was just created), and `place_staged` applies the rules, which live
only here:

* placement: the student's `school_class`, `grade`, `school`, `district` and `city` columns are those of the
  class (`placement_sql`, the SQL twin of people.services.placement_fields; a test holds them equal);
* history: an open enrollment in another class ends on `on` with the reason as its end reason; a student
  left without an open enrollment gets one in the new class, starting on `starts_on` (default `on`), with
  the reason, in the class's school and school year. A placement into the class a student is already in
  writes no history.

The SQL is plain enough for SQLite too (the embedded demo rolls over and imports through the ORM path).
Every statement reaches the big tables from the staged rows by index lookups (EXISTS per staged row,
never a join the planner could turn into a scan of all enrollments: right after a bulk load the
statistics lag far behind, and a scan per batch makes an import quadratic in the file).
"""

# ruff: noqa: S608 - the SQL here formats in only module constants and the callers' constant relations
from datetime import date, datetime

STAGE = "people_placing"
PLACEMENT = ("school_class_id", "grade_id", "school_id", "district_id", "city_id")

# The placement columns of a student in class unit `c`, in PLACEMENT's order. A class's district is its
# school's parent, and the city is the district's parent.
_CITY_OF = "(SELECT d.parent_id FROM org_orgunit d WHERE d.id = {c}.district_id)"


def placement_sql(c: str = "c") -> str:
    """SQL expressions for PLACEMENT, given the alias `c` of the class's org_orgunit row."""
    return f"{c}.id, {c}.parent_id, {c}.school_id, {c}.district_id, {_CITY_OF.format(c=c)}"


def stage(cursor) -> None:
    """(Re)create the empty staging table for this connection's transaction."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(f"CREATE TEMP TABLE {STAGE} (student_id bigint PRIMARY KEY, class_id bigint NOT NULL, "
                   "reason varchar(20) NOT NULL, is_new boolean NOT NULL DEFAULT false)")


def clear(cursor) -> None:
    cursor.execute(f"TRUNCATE {STAGE}" if cursor.db.vendor == "postgresql" else f"DELETE FROM {STAGE}")


def unstage(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")


def stage_rows(cursor, rows: list[tuple[int, int, str, bool]]) -> None:
    """Stage (student id, class id, reason, is_new) rows given in Python."""
    if rows:
        cursor.executemany(f"INSERT INTO {STAGE} (student_id, class_id, reason, is_new) VALUES (%s, %s, %s, %s)",
                           rows)


def stage_query(cursor, sql: str, params) -> int:
    """Stage the rows of a query returning (student id, class id, reason, is_new); returns how many."""
    cursor.execute(f"INSERT INTO {STAGE} (student_id, class_id, reason, is_new) {sql}", params)
    return cursor.rowcount


def upsert_students(cursor, *, source: str, params: dict, moved: list[str]) -> None:
    """The roster's student rows, inserted or updated by 学籍号, placed in their class, and staged
    (PostgreSQL: the COPY path of the roster import; follow with place_staged(moves=…)).

    `source` is a relation with line, student_number, name, sex, birth_date, id_number, boarding and class_id
    (a class unit of the current year). New students are numbered in the order of `line` (the file's), not in
    whatever order the join returned them. A row that changes nothing is not written (a re-import of the same
    file writes nothing); an empty id_number keeps the one on file. Every student written is staged with
    the reason "imported" when new, "transferred_in" when its number is in `moved`, else "class_changed"
    (it only counts when the class did change). `params` holds `now`."""
    cursor.execute(
        f"""
        WITH up AS (
          INSERT INTO people_student AS st (student_number, name, sex, birth_date, id_number, boarding,
              status, is_key_student, {", ".join(PLACEMENT)}, created_at, updated_at)
          SELECT r.student_number, r.name, r.sex, r.birth_date, r.id_number, r.boarding, 'enrolled', false,
              {", ".join(f"p.{column}" for column in PLACEMENT)}, %(now)s, %(now)s
          FROM {source} r JOIN (SELECT {placement_sql("c")} FROM org_orgunit c
                                WHERE c.id IN (SELECT DISTINCT s.class_id FROM {source} s))
                              AS p ({", ".join(PLACEMENT)}) ON p.school_class_id = r.class_id
          ORDER BY r.line
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
          RETURNING st.id, st.school_class_id, (st.xmax = 0) AS inserted, st.student_number
        )
        INSERT INTO {STAGE} (student_id, class_id, reason, is_new)
        SELECT id, school_class_id,
            CASE WHEN inserted THEN 'imported' WHEN student_number = ANY(%(moved)s) THEN 'transferred_in'
                 ELSE 'class_changed' END, inserted
        FROM up
        """, {**params, "moved": moved})


def _ids(cursor, sql: str) -> str:
    """`IN (sql)`, which PostgreSQL must compute first: `= ANY(ARRAY(sql))` cannot become a join that scans."""
    return f"= ANY(ARRAY({sql}))" if cursor.db.vendor == "postgresql" else f"IN ({sql})"


def _open_enrollments(cursor) -> str:
    """The ids of the staged students' open enrollments in another class than the staged one."""
    if cursor.db.vendor == "postgresql":  # LATERAL … OFFSET 0: one index lookup per staged row, in that order
        return (f"SELECT o.id FROM {STAGE} t CROSS JOIN LATERAL (SELECT e.id FROM people_enrollment e "
                "WHERE e.student_id = t.student_id AND e.ended_on IS NULL AND e.school_class_id <> t.class_id "
                "OFFSET 0) o WHERE NOT t.is_new")
    return (f"SELECT e.id FROM {STAGE} t JOIN people_enrollment e ON e.student_id = t.student_id "
            "AND e.ended_on IS NULL AND e.school_class_id <> t.class_id WHERE NOT t.is_new")


def _without_open_enrollment(cursor) -> str:
    """A FROM/WHERE tail keeping the staged rows whose student has no open enrollment (left)."""
    if cursor.db.vendor == "postgresql":
        return (f"FROM {STAGE} t JOIN org_orgunit c ON c.id = t.class_id LEFT JOIN LATERAL (SELECT true AS found "
                "FROM people_enrollment e WHERE NOT t.is_new AND e.student_id = t.student_id AND e.ended_on IS NULL "
                "LIMIT 1) open ON true WHERE open.found IS NULL")
    return (f"FROM {STAGE} t JOIN org_orgunit c ON c.id = t.class_id WHERE t.is_new OR NOT EXISTS ("
            "SELECT 1 FROM people_enrollment e WHERE e.student_id = t.student_id AND e.ended_on IS NULL)")


def place_staged(cursor, *, on: date, starts_on: date | None = None, now: datetime | None = None,
                 moves: bool = True) -> None:
    """Apply the placement rules to the staged students (see the module docstring). With `now`, the
    students' placement columns are set from their class (the rollover, `student_place`); without, the
    caller wrote them (the roster import writes each student row once, placement included). `moves=False`
    says no staged student existed before (a first import): nothing can close."""
    if now is not None:
        cursor.execute(
            f"UPDATE people_student SET ({', '.join(PLACEMENT)}, updated_at) = "
            f"(SELECT {placement_sql('c')}, %s FROM {STAGE} t JOIN org_orgunit c ON c.id = t.class_id "
            f"WHERE t.student_id = people_student.id) "
            f"WHERE id {_ids(cursor, f'SELECT student_id FROM {STAGE} WHERE NOT is_new')}", [now])
    if moves:
        cursor.execute(
            f"UPDATE people_enrollment SET ended_on = %s, end_reason = (SELECT t.reason FROM {STAGE} t "
            f"WHERE t.student_id = people_enrollment.student_id) WHERE id {_ids(cursor, _open_enrollments(cursor))}",
            [on])
    cursor.execute(
        "INSERT INTO people_enrollment (student_id, school_class_id, school_id, school_year_id, started_on, "
        "ended_on, reason, end_reason) "
        f"SELECT t.student_id, t.class_id, c.school_id, c.school_year_id, %s, NULL, t.reason, '' "
        f"{_without_open_enrollment(cursor)}", [starts_on or on])
