"""Which database role a command runs as, and plain psycopg connections for what Django's cannot do
(connecting as another role, to another database, or creating one)."""

from __future__ import annotations

import os
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections

from runxin.env import database_from_url


def owner_settings() -> dict[str, Any] | None:
    """The owner role's connection settings (MIGRATE_DATABASE_URL), or None when it is not set."""
    url = getattr(settings, "MIGRATE_DATABASE_URL", "")
    return database_from_url(url) if url else None


def use_owner_role(alias: str = "default") -> bool:
    """Point Django's connection at the owner role for the rest of this process (migrate, purge).

    Returns False (and changes nothing) when MIGRATE_DATABASE_URL is not set: then one role does both, as on
    a developer's machine and in the test suite."""
    owner = owner_settings()
    if owner is None:
        return False
    current = connections[alias].settings_dict
    if owner["ENGINE"] != current["ENGINE"]:
        raise CommandError("MIGRATE_DATABASE_URL and DATABASE_URL must name the same kind of database")
    # A test run renames the database (test_…): keep that name, take only the owner's credentials.
    configured = database_from_url(settings_env_database_url()).get("NAME")
    keys = ("NAME", "USER", "PASSWORD", "HOST", "PORT") if current["NAME"] == configured else ("USER", "PASSWORD")
    connections[alias].close()
    for key in keys:
        current[key] = owner[key]
    current.setdefault("OPTIONS", {}).update(owner.get("OPTIONS", {}))
    return True


def settings_env_database_url() -> str:
    return os.environ.get("DATABASE_URL", "sqlite:///")


def conninfo(settings_dict: dict[str, Any], dbname: str | None = None) -> dict[str, Any]:
    """psycopg.connect() keywords for a Django DATABASES entry (optionally another database on that server)."""
    params = {
        "dbname": dbname or settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    return {k: v for k, v in params.items() if v is not None}


def connect(settings_dict: dict[str, Any], dbname: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(**conninfo(settings_dict, dbname), **kwargs)


def libpq_env(settings_dict: dict[str, Any], dbname: str | None = None) -> dict[str, str]:
    """PG* environment variables for pg_dump / pg_restore (the password never on a command line)."""
    info = conninfo(settings_dict, dbname)
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT"}
    return {names[k]: str(v) for k, v in info.items()}
