"""Writing a handed-in questionnaire: the submission, its results, the flags of results that need a warning and the
target's finish time, all at once. services.submission_accept() decides what to write; this module only writes it.

Rows come keyed by field name (`target`, not `target_id`), one dict for the submission and one per result.
PostgreSQL writes them in one statement (one round trip, atomic by itself); other databases (the SQLite demo) in one
short transaction. test_submission.py runs both paths on PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import orjson
from django.db import connection, transaction
from django.db.models import DateTimeField, Value
from django.db.models.functions import Coalesce

from .models import CampaignTarget, Result, ScreeningFlag, Submission

_COLUMNS: dict[type, dict[str, str]] = {}


def _column_of(model) -> dict[str, str]:
    """Field name → column of a model's concrete fields, made once per process (runs on every submission)."""
    found = _COLUMNS.get(model)
    if found is None:
        found = _COLUMNS[model] = {f.name: f.column for f in model._meta.concrete_fields}
    return found


def _json_value(value):
    """What orjson does not write itself (decimals; subclasses of datetime and UUID, which it refuses), written as
    PostgreSQL reads it back into the column's type: the standard encoder this replaced took all of them."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a column value")


def _document(model, rows) -> str:
    """Rows keyed by field name as one JSON text keyed by column: what jsonb_populate_record(set) reads. orjson
    writes a datetime with its full microseconds and offset, as the column keeps it."""
    column = _column_of(model)
    if isinstance(rows, dict):
        keyed = {column[name]: value for name, value in rows.items()}
    else:
        keyed = [{column[name]: value for name, value in row.items()} for row in rows]
    # OPT_NON_STR_KEYS: a key that is not a string is written as one, as the standard encoder did.
    return orjson.dumps(keyed, default=_json_value, option=orjson.OPT_NON_STR_KEYS).decode()


_STATEMENTS: dict[tuple, str] = {}
_LEVEL = re.compile(r"^[a-z_]+$")


def _one_statement_sql(submission_names: tuple[str, ...], result_names: tuple[str, ...],
                       warn_levels: tuple[str, ...]) -> str:
    """The SQL of write_in_one_statement for this shape, built once per process."""
    key = (submission_names, result_names, warn_levels)
    sql = _STATEMENTS.get(key)
    if sql is not None:
        return sql
    if not all(_LEVEL.match(level) for level in warn_levels):
        raise ValueError(f"risk levels are plain words: {warn_levels!r}")
    s_col, r_col = _column_of(Submission), _column_of(Result)
    submission_columns = ", ".join(s_col[name] for name in submission_names)
    result_columns = [r_col[name] for name in result_names]
    levels = ", ".join(f"'{level}'" for level in warn_levels)
    # Table and column names come from the models and the levels are checked words; every value travels in the
    # two JSON documents that PostgreSQL turns into typed rows (jsonb_populate_record[set] with the table's own row
    # type): two text parameters instead of ~40 values psycopg would adapt one by one on every submission. The
    # flags, the student and the times are taken from the rows just written, so nothing is said twice.
    sql = f"""
        WITH s AS (
            INSERT INTO {Submission._meta.db_table} ({submission_columns})
            SELECT {submission_columns} FROM jsonb_populate_record(NULL::{Submission._meta.db_table}, %s::jsonb)
            ON CONFLICT DO NOTHING RETURNING id, target_id, received_at
        ), r AS (
            INSERT INTO {Result._meta.db_table} (submission_id, {", ".join(result_columns)})
            SELECT s.id, {", ".join(f"v.{c}" for c in result_columns)}
            FROM s CROSS JOIN jsonb_populate_recordset(NULL::{Result._meta.db_table}, %s::jsonb) AS v
            RETURNING id, student_id, risk_level, risk_reasons, instrument_code, scored_at
        ), f AS (
            INSERT INTO {ScreeningFlag._meta.db_table} (result_id, student_id, level, reasons, instrument_code,
                                                       created_at, attempts, last_error)
            SELECT r.id, r.student_id, r.risk_level, r.risk_reasons, r.instrument_code, r.scored_at, 0, '' FROM r
            WHERE r.risk_level IN ({levels})
            RETURNING id
        ), t AS (
            UPDATE {CampaignTarget._meta.db_table} AS t
            SET finished_at = s.received_at, started_at = COALESCE(t.started_at, s.received_at)
            FROM s WHERE t.id = s.target_id
        )
        SELECT (SELECT id FROM s), ARRAY(SELECT id FROM f)
    """  # noqa: S608
    _STATEMENTS[key] = sql
    return sql


def write_in_one_statement(*, submission: dict, results: list[dict],
                           warn_levels: Iterable[str]) -> tuple[int, list[int]] | None:
    """The submission, its results, the flags of results whose level is in `warn_levels` and the target's finish
    time in one INSERT … ON CONFLICT DO NOTHING with data-modifying CTEs: one round trip, atomic by itself.
    None when the client id or the target already has a submission (then nothing at all is written)."""
    sql = _one_statement_sql(tuple(submission), tuple(results[0]), tuple(sorted(warn_levels)))
    params = [_document(Submission, submission), _document(Result, results)]
    # A server-side-binding cursor on Django's own connection (same transaction state): psycopg prepares the
    # statement once per connection (settings: DB_PREPARED_STATEMENTS), so PostgreSQL does not plan this CTE again
    # for every student.
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        submission_id, flag_ids = cursor.fetchone()
    return None if submission_id is None else (submission_id, list(flag_ids))


_RESULT_FKS = {"target", "campaign", "student", "instrument_version"}


def write_in_a_transaction(*, submission: dict, results: list[dict],
                           warn_levels: Iterable[str]) -> tuple[int, list[int]] | None:
    """The same writes as write_in_one_statement, as a few statements in one transaction."""
    now = submission["received_at"]
    with transaction.atomic():
        submission_id = _insert_submission(submission)
        if submission_id is None:
            return None
        rows = Result.objects.bulk_create([
            Result(submission_id=submission_id, **{f"{k}_id" if k in _RESULT_FKS else k: v for k, v in row.items()})
            for row in results
        ])
        flags = ScreeningFlag.objects.bulk_create([
            ScreeningFlag(result_id=row.pk, student_id=row.student_id, level=row.risk_level,
                          reasons=row.risk_reasons, instrument_code=row.instrument_code, created_at=now)
            for row in rows if row.risk_level in warn_levels
        ])
        CampaignTarget.objects.filter(pk=submission["target"]).update(
            finished_at=now, started_at=Coalesce("started_at", Value(now, output_field=DateTimeField())))
    return submission_id, [f.pk for f in flags]


def _insert_submission(values: dict) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the id, or None when the client id or the target already has
    a submission. One statement, no read-before-write (PostgreSQL and SQLite ≥ 3.35)."""
    fields = {f.name: f for f in Submission._meta.concrete_fields}
    columns = [fields[name].column for name in values]
    params = [fields[name].get_db_prep_save(value, connection) for name, value in values.items()]
    sql = (f"INSERT INTO {Submission._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING RETURNING id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None

