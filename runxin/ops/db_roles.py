"""The two database roles: an owner that migrations run as, and the app role that owns nothing.

The app role may read and write ordinary tables, but on the audit tables only INSERT and SELECT (plus filling
in axes' logout time once); it has no TRUNCATE anywhere, cannot ALTER or DISABLE TRIGGER on any table (it
owns none), and cannot SET session_replication_role (not a superuser, no parameter grant). Default
privileges give it the same ordinary rights on tables the owner creates later; `runxin migrate` re-applies
the audit restrictions after every migration, so a new audit table is never left writable.
"""

from __future__ import annotations

from psycopg import sql

from runxin.audit.chain import CHAINED, CHECKPOINT_TABLE

# Audit tables beyond the chained ones: written once, never changed by the app.
READ_ONLY_FOR_APP = [CHECKPOINT_TABLE]
FILL_ONCE = {"axes_accesslog": ["logout_time"]}


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def _execute(cursor, statement) -> None:
    if isinstance(statement, sql.Composable):
        statement = statement.as_string(cursor.connection)
    cursor.execute(statement)


def role_exists(cursor, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def create_roles(cursor, *, owner: str, app: str, owner_password: str | None = None,
                 app_password: str | None = None) -> list[str]:
    """Create both login roles if missing (plain: no superuser, no CREATEROLE; the owner may create the drill's
    scratch database). Returns what was done."""
    done = []
    for role, password, extra in ((owner, owner_password, "CREATEDB"), (app, app_password, "NOCREATEDB")):
        verb = "ALTER" if role_exists(cursor, role) else "CREATE"
        statement = sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS " + extra).format(
            _ident(role))
        if password:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
        _execute(cursor, statement)
        done.append(f"{verb.lower()}d role {role}")
    return done


def transfer_ownership(cursor, *, owner: str) -> int:
    """Make `owner` the owner of every table, sequence, view and function in schema public (not those of an
    extension). Returns the number of objects moved."""
    cursor.execute(
        """
        SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND pg_get_userbyid(c.relowner) <> %s
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
        ORDER BY c.relkind, c.relname
        """,
        [owner],
    )
    relations = cursor.fetchall()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for kind, name in relations:
        _execute(cursor, sql.SQL("ALTER " + kinds[kind] + " {} OWNER TO {}").format(_ident(name), _ident(owner)))
    cursor.execute(
        """
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> %s
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        """,
        [owner],
    )
    functions = [row[0] for row in cursor.fetchall()]
    for signature in functions:  # regprocedure text is already quoted as needed
        _execute(cursor, sql.SQL("ALTER FUNCTION " + signature + " OWNER TO {}").format(_ident(owner)))
    _execute(cursor, sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(_ident(owner)))
    return len(relations) + len(functions)


def _existing(cursor, tables: list[str]) -> list[str]:
    cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind IN ('r', 'p') "
                   "AND relnamespace = 'public'::regnamespace", [tables])
    return [row[0] for row in cursor.fetchall()]


def grant_app(cursor, *, app: str, owner: str | None, database: bool = True) -> None:
    """(Re)apply the app role's privileges. Idempotent; run by `db-roles` and after every `migrate`."""
    a = _ident(app)
    if database:
        cursor.execute("SELECT current_database()", [])
        _execute(cursor, sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            _ident(cursor.fetchone()[0]), a))
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(a),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(a),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(a),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a),
    ]
    audit = _existing(cursor, [*CHAINED, *READ_ONLY_FOR_APP])
    for table in audit:
        statements.append(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(_ident(table), a))
        if table in READ_ONLY_FOR_APP:
            statements.append(sql.SQL("REVOKE INSERT ON {} FROM {}").format(_ident(table), a))
        if table in FILL_ONCE:
            columns = sql.SQL(", ").join(_ident(c) for c in FILL_ONCE[table])
            statements.append(sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(columns, _ident(table), a))
    if owner:
        o = _ident(owner)
        statements += [
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(o, a),
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}").format(o, a),
        ]
    for statement in statements:
        _execute(cursor, statement)


def setup(cursor, *, owner: str, app: str, owner_password: str | None = None, app_password: str | None = None,
          transfer: bool = True) -> list[str]:
    """Everything `runxin db-roles` does, in order: roles, ownership, the app role's grants."""
    if owner == app:
        raise ValueError("the owner role and the app role must differ")
    done = create_roles(cursor, owner=owner, app=app, owner_password=owner_password, app_password=app_password)
    if transfer:
        done.append(f"{transfer_ownership(cursor, owner=owner)} objects now owned by {owner}")
    grant_app(cursor, app=app, owner=owner)
    done.append(f"{app}: DML on ordinary tables, INSERT/SELECT only on the audit tables, default privileges set")
    return done
