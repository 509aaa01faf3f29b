"""Audit rows are append-only, and the audit search's keyset paging and student lookups stay indexed.

On PostgreSQL a trigger refuses UPDATE and DELETE on the change log (auditlog_logentry) and the read log
(access_readevent). auditlog itself only ever INSERTs; the exceptions are its maintenance commands
(`auditlogflush`, `auditlogmigratejson`), which a database administrator runs with the trigger disabled, and
the foreign keys it declares: deleting a user who acted would set the actor to NULL (an UPDATE) and deleting a
content type would cascade (a DELETE). Both are now refused, which is what an audit trail wants: users are
deactivated, never deleted. TRUNCATE is left alone (row triggers do not fire on it) so test databases can
still be flushed.
"""

from django.db import migrations

GUARDED = ("auditlog_logentry", "access_readevent")

PG_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION runxin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    *(
        f"CREATE TRIGGER runxin_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION runxin_audit_append_only()"
        for table in GUARDED
    ),
    # Changes of a guardian, a group membership, an enrolment … are found by their student's id.
    "CREATE INDEX IF NOT EXISTS runxin_logentry_student_ref "
    "ON auditlog_logentry ((serialized_data #> '{fields,student}'))",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS runxin_logentry_student_ref",
    *(f"DROP TRIGGER IF EXISTS runxin_append_only ON {table}" for table in GUARDED),
    "DROP FUNCTION IF EXISTS runxin_audit_append_only()",
]

# Sign-in events are paged newest first; axes indexes neither column.
INDEXES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS runxin_axes_accesslog_time ON axes_accesslog (attempt_time, id)",
    "CREATE INDEX IF NOT EXISTS runxin_axes_failurelog_time ON axes_accessfailurelog (attempt_time, id)",
    "CREATE INDEX IF NOT EXISTS runxin_readevent_time ON access_readevent (at, id)",
]
INDEXES_BACKWARD = [
    "DROP INDEX IF EXISTS runxin_axes_accesslog_time",
    "DROP INDEX IF EXISTS runxin_axes_failurelog_time",
    "DROP INDEX IF EXISTS runxin_readevent_time",
]


def forward(apps, schema_editor):
    statements = list(INDEXES_FORWARD)
    if schema_editor.connection.vendor == "postgresql":
        statements += PG_FORWARD
    for sql in statements:
        schema_editor.execute(sql, None)


def backward(apps, schema_editor):
    statements = list(INDEXES_BACKWARD)
    if schema_editor.connection.vendor == "postgresql":
        statements += PG_BACKWARD
    for sql in statements:
        schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auditlog", "0017_add_actor_email"),
        ("access", "0002_initial"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(forward, backward)]
