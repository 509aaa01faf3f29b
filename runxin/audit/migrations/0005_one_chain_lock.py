"""One advisory lock for every audit chain instead of one per table.

With a lock per table, a request that records a read and then a change and another that records a change and
then a read could each hold one chain and wait for the other (a deadlock PostgreSQL breaks by failing one).
Taking the same lock whatever the table makes the order irrelevant. The function is otherwise unchanged.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION runxin_audit_chain() RETURNS trigger
LANGUAGE plpgsql SET timezone = 'UTC' SET search_path = pg_catalog, public AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(7301, {key});
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
        coalesce(last_hash, '') || runxin_audit_canonical(to_jsonb(NEW), coalesce(TG_ARGV, '{{}}'::text[])),
        'UTF8')), 'hex');
    RETURN NEW;
END;
$$
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.format(key="0"), None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.format(key="TG_RELID::integer"), None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_hash_chain")]

    operations = [migrations.RunPython(forward, backward)]
