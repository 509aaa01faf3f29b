"""The app connects as a role that owns nothing: on the audit tables it may INSERT and SELECT and nothing
else (no TRUNCATE, no DISABLE TRIGGER, no ALTER, no session_replication_role, no UPDATE or DELETE), while
ordinary tables work as before. The roles are made by `runxin.ops.db_roles` (`runxin db-roles`) in this test
database, and the test connects as the app role with psycopg, as production would."""

from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections

from runxin.audit import chain
from runxin.ops import db_roles
from runxin.ops.db import connect

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's")

AUDIT_TABLES = sorted([*chain.CHAINED, chain.CHECKPOINT_TABLE])


def _drop_roles(admin, owner: str, app: str) -> None:
    with admin.cursor() as cursor:
        if db_roles.role_exists(cursor, owner):
            cursor.execute(f'REASSIGN OWNED BY "{owner}" TO CURRENT_USER')
            cursor.execute(f'DROP OWNED BY "{owner}"')
        if db_roles.role_exists(cursor, app):
            cursor.execute(f'DROP OWNED BY "{app}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{app}", "{owner}"')


@pytest.fixture(scope="module")
def roles(django_db_setup, django_db_blocker):
    """(settings, owner, app, admin connection): both roles made by db_roles.setup in the test database, whose
    tables now belong to the owner role; everything is given back to the superuser afterwards."""
    with django_db_blocker.unblock():
        connection.close()  # hold no lock while ownership moves
        settings_dict = dict(connection.settings_dict)
        # Outside a django_db test the connection may still name the configured database: use the test one.
        settings_dict["NAME"] = name = connection.creation._get_test_db_name()
    assert name.startswith("test_"), name  # never touch a real database
    owner, app = f"{name}_owner", f"{name}_app"
    admin = connect(settings_dict, autocommit=True)
    _drop_roles(admin, owner, app)
    with admin.cursor() as cursor:
        done = db_roles.setup(cursor, owner=owner, app=app)
    assert done[0] == f"created role {owner}"
    yield settings_dict, owner, app, admin
    _drop_roles(admin, owner, app)
    admin.close()


@pytest.fixture
def as_app(roles):
    settings_dict, _owner, app, _admin = roles
    conn = psycopg.connect(**{**_info(settings_dict), "user": app})
    yield conn
    conn.rollback()
    conn.close()


def _info(settings_dict):
    from runxin.ops.db import conninfo

    return conninfo(settings_dict)


def refused(conn, statement: str) -> str:
    """Run `statement` as the app role; it must fail. Returns the error message."""
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(statement)
    conn.rollback()
    return str(caught.value)


ATTACKS = {
    "truncate": "TRUNCATE {t}",
    "truncate_cascade": "TRUNCATE {t} CASCADE",
    "disable_trigger": "ALTER TABLE {t} DISABLE TRIGGER ALL",
    "disable_guard": "ALTER TABLE {t} DISABLE TRIGGER runxin_append_only",
    "alter_table": "ALTER TABLE {t} ADD COLUMN x integer",
    "drop_table": "DROP TABLE {t}",
    "update": "UPDATE {t} SET id = id",
    "delete": "DELETE FROM {t}",
}


@pytest.mark.parametrize("table", AUDIT_TABLES)
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_app_role_cannot_empty_or_alter_an_audit_table(as_app, table, attack):
    message = refused(as_app, ATTACKS[attack].format(t=table))
    assert "permission denied" in message or "must be owner" in message


def test_the_app_role_cannot_switch_triggers_off_by_other_means(as_app):
    assert "permission denied" in refused(as_app, "SET session_replication_role = replica")
    # The purge switch is a custom setting anyone may set, but DELETE needs a privilege the app lacks.
    as_app.execute("SET runxin.audit_purge = 'on'")
    assert "permission denied" in refused(as_app, "DELETE FROM access_readevent")
    assert "permission denied" in refused(
        as_app, "CREATE OR REPLACE FUNCTION runxin_audit_append_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
    assert "must be owner" in refused(as_app, "ALTER FUNCTION runxin_audit_chain() SECURITY DEFINER")
    assert "permission denied" in refused(as_app, "CREATE TABLE public.mine (id int)")
    owned = as_app.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
        "AND relnamespace = 'public'::regnamespace").fetchone()[0]
    assert owned == 0


def test_the_app_role_appends_and_reads_audit_rows_and_they_are_chained(as_app):
    row = as_app.execute(
        "INSERT INTO axes_accessfailurelog (user_agent, username, http_accept, path_info, attempt_time, locked_out) "
        "VALUES ('ua', 'head', '*/*', '/accounts/login/', now(), true) RETURNING id, chain_seq").fetchone()
    assert row[1] is not None
    entry = as_app.execute(
        "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_repr, action, changes_text, changes, "
        "timestamp, additional_data, serialized_data) "
        "SELECT id, '1', 'x', 1, '', '{}'::jsonb, now(), NULL, NULL FROM django_content_type LIMIT 1 "
        "RETURNING chain_seq").fetchone()
    assert entry[0] is not None
    assert as_app.execute("SELECT username FROM axes_accessfailurelog WHERE id = %s", [row[0]]).fetchone() == ("head",)
    # axes fills in the logout time of a sign-in, once.
    login = as_app.execute(
        "INSERT INTO axes_accesslog (user_agent, username, http_accept, path_info, attempt_time, session_hash) "
        "VALUES ('ua', 'psych', '*/*', '/accounts/login/', now(), 'h') RETURNING id").fetchone()[0]
    as_app.execute("UPDATE axes_accesslog SET logout_time = now() WHERE id = %s", [login])
    # The app role can run the verification itself.
    with as_app.cursor() as cursor:
        report = chain.verify(cursor)
    assert report.ok, [t.problems for t in report.tables]
    assert {t.table for t in report.tables} == set(chain.CHAINED)


def test_ordinary_tables_work_as_before(as_app):
    as_app.execute("INSERT INTO django_session (session_key, session_data, expire_date) VALUES ('k', 'd', now())")
    as_app.execute("UPDATE django_session SET session_data = 'e' WHERE session_key = 'k'")
    assert as_app.execute("SELECT session_data FROM django_session WHERE session_key = 'k'").fetchone() == ("e",)
    as_app.execute("DELETE FROM django_session WHERE session_key = 'k'")
    as_app.execute("CREATE TEMP TABLE import_batch (n int)")  # the roster import's staging tables
    assert as_app.execute("SELECT count(*) FROM org_orgunit").fetchone()[0] >= 0


def test_migrate_runs_as_the_owner_and_puts_the_app_role_back_in_its_place(roles, settings, django_db_blocker):
    settings_dict, owner, app, admin = roles
    admin.execute(f'GRANT UPDATE, DELETE ON auditlog_logentry TO "{app}"')  # as default privileges would
    settings.MIGRATE_DATABASE_URL = (f"postgres://{owner}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
                                     f"{settings_dict['NAME']}")
    django_connection = connections["default"]
    saved = dict(django_connection.settings_dict)
    try:
        with django_db_blocker.unblock():
            django_connection.close()
            django_connection.settings_dict["USER"] = app  # the app's own DATABASE_URL
            django_connection.settings_dict["NAME"] = settings_dict["NAME"]
            out = StringIO()
            call_command("migrate", verbosity=1, stdout=out)
            assert django_connection.settings_dict["USER"] == owner
            assert django_connection.settings_dict["NAME"] == settings_dict["NAME"]
    finally:
        django_connection.close()
        django_connection.settings_dict.clear()
        django_connection.settings_dict.update(saved)
    assert f"Privileges of {app} re-applied (owner: {owner})." in out.getvalue()
    granted = admin.execute(
        "SELECT has_table_privilege(%s, 'auditlog_logentry', 'UPDATE'), "
        "has_table_privilege(%s, 'auditlog_logentry', 'DELETE'), "
        "has_table_privilege(%s, 'auditlog_logentry', 'INSERT')", [app, app, app]).fetchone()
    assert granted == (False, False, True)
