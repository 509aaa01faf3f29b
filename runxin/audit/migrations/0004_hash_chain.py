"""A hash chain over every audit table, computed in the database on insert; append-only guards that hold in
replica mode too; retention checkpoints.

PostgreSQL only (SQLite, the embedded demo, keeps no chain). See runxin/audit/chain.py for what is hashed and
why. For each chained table:

* columns `chain_seq` (position, unique) and `chain_hash` (sha256 hex), invisible to the ORM;
* the rows already there are chained in id order;
* a BEFORE INSERT trigger `runxin_audit_chain` fills both columns for every insert, whatever wrote it
  (ORM, bulk_create, raw INSERT, COPY), serialised per table by an advisory lock held to commit;
* the append-only guard `runxin_append_only` (UPDATE and DELETE refused). Both triggers are ENABLE ALWAYS,
  so `session_replication_role = replica` does not switch them off. The guard lets only a member of the
  table's owner role delete, and only with `runxin.audit_purge` set (the retention purge); on axes_accesslog
  it lets axes fill in `logout_time` once (that column is outside the hash).

The warning history keeps its own guard from alerts 0002; it is made ALWAYS too.
"""

from django.db import migrations, models

CHAINED = {  # table → columns outside the hash (a copy of chain.CHAINED at the time of this migration)
    "auditlog_logentry": [],
    "access_readevent": [],
    "axes_accesslog": ["logout_time"],
    "axes_accessfailurelog": [],
    "audit_export": [],
    "alerts_warningevent": [],
}
NEW_GUARDS = {"axes_accesslog": "'logout_time'", "axes_accessfailurelog": "", "audit_export": ""}
OLD_GUARDS = ["auditlog_logentry", "access_readevent"]

FUNCTIONS = [
    r"""
    CREATE OR REPLACE FUNCTION runxin_audit_canonical(row_data jsonb, excluded text[]) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
        SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)::text
        FROM jsonb_each(row_data)
        WHERE key <> 'chain_hash' AND value <> 'null'::jsonb AND NOT (key = ANY (coalesce(excluded, '{}')))
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION runxin_audit_chain() RETURNS trigger
    LANGUAGE plpgsql SET timezone = 'UTC' SET search_path = pg_catalog, public AS $$
    DECLARE
        last_seq bigint;
        last_hash text;
    BEGIN
        PERFORM pg_advisory_xact_lock(7301, TG_RELID::integer);
        EXECUTE format('SELECT chain_seq, chain_hash FROM %I.%I WHERE chain_seq IS NOT NULL '
                       'ORDER BY chain_seq DESC LIMIT 1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            INTO last_seq, last_hash;
        IF last_seq IS NULL THEN
            SELECT seq, chain_hash INTO last_seq, last_hash FROM audit_chaincheckpoint
            WHERE table_name = TG_TABLE_NAME ORDER BY seq DESC LIMIT 1;
        END IF;
        NEW.chain_seq := coalesce(last_seq, 0) + 1;
        NEW.chain_hash := NULL;
        NEW.chain_hash := encode(sha256(convert_to(
            coalesce(last_hash, '') || runxin_audit_canonical(to_jsonb(NEW), coalesce(TG_ARGV, '{}'::text[])),
            'UTF8')), 'hex');
        RETURN NEW;
    END;
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION runxin_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('runxin.audit_purge', true) = 'on'
           AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND TG_NARGS > 0 THEN
            -- columns filled in once (axes' logout time): allowed from NULL, nothing else may change
            IF (to_jsonb(NEW) - TG_ARGV) = (to_jsonb(OLD) - TG_ARGV)
               AND NOT EXISTS (SELECT 1 FROM unnest(TG_ARGV) c WHERE to_jsonb(OLD) -> c <> 'null'::jsonb) THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
]


def chain_table(table: str, excluded: list[str]) -> list[str]:
    args = ", ".join(f"'{c}'" for c in excluded)
    excluded_sql = "ARRAY[" + args + "]::text[]"
    return [
        f"ALTER TABLE {table} ADD COLUMN chain_seq bigint, ADD COLUMN chain_hash char(64)",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"""
        DO $$
        DECLARE r record; n bigint := 0; h text := '';
        BEGIN
            PERFORM set_config('timezone', 'UTC', true);
            FOR r IN SELECT id, to_jsonb(t) AS j FROM {table} t ORDER BY id LOOP
                n := n + 1;
                h := encode(sha256(convert_to(
                    h || runxin_audit_canonical(r.j || jsonb_build_object('chain_seq', n), {excluded_sql}),
                    'UTF8')), 'hex');
                UPDATE {table} SET chain_seq = n, chain_hash = h WHERE id = r.id;
            END LOOP;
        END $$
        """,
        f"ALTER TABLE {table} ENABLE TRIGGER USER",
        f"CREATE UNIQUE INDEX {table}_chain_seq ON {table} (chain_seq)",
        f"CREATE TRIGGER runxin_audit_chain BEFORE INSERT ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION runxin_audit_chain({args})",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER runxin_audit_chain",
    ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = list(FUNCTIONS)
    for table, excluded in CHAINED.items():
        statements += chain_table(table, excluded)
    for table, args in NEW_GUARDS.items():
        statements.append(f"CREATE TRIGGER runxin_append_only BEFORE UPDATE OR DELETE ON {table} "
                          f"FOR EACH ROW EXECUTE FUNCTION runxin_audit_append_only({args})")
    for table in [*OLD_GUARDS, *NEW_GUARDS]:
        statements.append(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER runxin_append_only")
    statements.append("ALTER TABLE alerts_warningevent ENABLE ALWAYS TRIGGER alerts_warningevent_append_only")
    statements += [
        "CREATE TRIGGER runxin_append_only BEFORE UPDATE OR DELETE ON audit_chaincheckpoint "
        "FOR EACH ROW EXECUTE FUNCTION runxin_audit_append_only()",
        "ALTER TABLE audit_chaincheckpoint ENABLE ALWAYS TRIGGER runxin_append_only",
    ]
    for sql in statements:
        schema_editor.execute(sql, None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = ["DROP TRIGGER IF EXISTS runxin_append_only ON audit_chaincheckpoint"]
    for table in NEW_GUARDS:
        statements.append(f"DROP TRIGGER IF EXISTS runxin_append_only ON {table}")
    for table in OLD_GUARDS:
        statements.append(f"ALTER TABLE {table} ENABLE TRIGGER runxin_append_only")
    statements.append("ALTER TABLE alerts_warningevent ENABLE TRIGGER alerts_warningevent_append_only")
    for table in CHAINED:
        statements += [
            f"DROP TRIGGER IF EXISTS runxin_audit_chain ON {table}",
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS chain_seq, DROP COLUMN IF EXISTS chain_hash",
        ]
    statements += ["DROP FUNCTION IF EXISTS runxin_audit_chain()",
                   "DROP FUNCTION IF EXISTS runxin_audit_canonical(jsonb, text[])"]
    for sql in statements:
        schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_filter_indexes"),
        ("alerts", "0002_default_levels"),
        ("axes", "0010_accessattemptexpiration"),
        ("auditlog", "0017_add_actor_email"),
        ("access", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("table_name", models.CharField(max_length=63)),
                ("seq", models.BigIntegerField()),
                ("chain_hash", models.CharField(max_length=64)),
                ("rows_removed", models.BigIntegerField()),
                ("cutoff", models.DateTimeField()),
                ("at", models.DateTimeField()),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("table_name", "seq"), name="audit_checkpoint_table_seq")],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
