"""Helpers shared by the benches: a bench database of its own, Django set up against it, timing figures."""

import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"


def use_database(name: str, *, fresh: bool) -> None:
    """Point Django at PostgreSQL database `name` (dropped and created anew when `fresh`) and set it up."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if fresh and exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{PG}/{name}"
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    # The bench signs in with force_login; the second factor is not what it measures.
    os.environ["RUNXIN_WAIVE_SECOND_FACTOR"] = "1"
    # Production settings refuse to start without a real key; a bench makes its own for the run.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runxin.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def timed(fn: Callable[[], object], *, repeat: int, warmup: int = 3) -> list[float]:
    """Milliseconds for each of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ordered)})"
