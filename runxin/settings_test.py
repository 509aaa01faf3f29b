"""Test settings: PostgreSQL by default (as in CI), fast hashing, in-process tasks."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/runxin")
# Tests run with DEBUG off, so they need a key the production check accepts (any key: nothing real is signed).
os.environ.setdefault("SECRET_KEY", "test-only-key-" + "0123456789abcdefghijklmnopqrstuvwxyz" * 2)

from .settings import *  # noqa: E402,F403
from .settings import DATABASES, MIDDLEWARE  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Several developers (or agents) on one machine each set their own test database name.
DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DB_NAME", "test_runxin")
MIDDLEWARE = list(MIDDLEWARE)
# Each request decides what to hide from the figures as they are (the tests that reuse a decision turn it on).
REPORT_DECISION_SECONDS = 0

# Audit tables are append-only (a trigger refuses UPDATE, issue 9): a transactional (browser) test's serialized
# rollback must not try to re-save their rows, which it does as UPDATE first. They hold nothing a test needs.
TEST_NON_SERIALIZED_APPS = ["auditlog", "axes", "audit"]
