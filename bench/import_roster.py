"""Roster import bench: generate N students as a student-status-system CSV, import them into PostgreSQL
through the same code path as `runxin import-roster`, and compare with the ceiling measured in the same run.

    .venv/bin/python bench/import_roster.py --rows 1000000 --compare-rows 200000

The ceiling (issue 10) is COPY of the very rows the import wrote — students, enrollments, guardians and
group memberships — into scratch copies of the same tables with the same indexes, constraints and foreign
keys (schema bench_ceiling, `LIKE … INCLUDING ALL`), in one transaction with its commit: what PostgreSQL
needs to store them, before any reading, validating, placing or history. Prints the import's time (inside
the import process, and wall time of the whole command), its peak memory (ru_maxrss of the import process,
which runs as a child so generating the file does not count), the ceiling, and the ratio. Targets on the
2-core machine: ≤ 1.5× the ceiling for 1 M students, peak memory not growing with the file (--compare-rows
runs a smaller file too). A second import of the same file is timed as well: it must report every row
unchanged.
"""

import argparse
import csv
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# Production settings refuse to start without a real key; the bench (and its subprocesses) make one for the run.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
DB = "runxin_bench_import"
SCHOOL_CODE = "BENCH-S1"
USERNAME = "bench_psych"

HEADER = ["学籍号", "姓名", "性别", "出生日期", "民族", "身份证件类型", "身份证件号", "年级", "班级", "就读方式",
          "是否留守儿童", "是否进城务工人员随迁子女", "是否孤儿", "残疾类型", "成员1姓名", "成员1关系", "成员1联系电话",
          "成员2姓名", "成员2关系", "成员2联系电话", "现住址"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "子涵浩宇欣怡梓轩一诺雨桐俊熙思远佳怡宇航诗琪博文雅婷晨阳嘉怡明哲若曦天佑语嫣皓然可馨"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def database_url() -> str:
    return f"{PG}/{DB}"


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "runxin.settings"}
    subprocess.run([sys.executable, "-m", "runxin.cli", "migrate", "--skip-checks", "-v", "0"], check=True,
                   env=env, cwd=ROOT)
    setup = (
        "from runxin.testing import factories as f\n"
        "year = f.school_year()\n"
        "city = f.city('基准市', 'BENCH-C')\n"
        "district = f.district(city, '基准区', 'BENCH-D')\n"
        f"school = f.school(district, '基准中学', '{SCHOOL_CODE}')\n"
        f"user = f.UserFactory(username='{USERNAME}')\n"
        "f.assign(user, 'psych_teacher', school)\n"
    )
    subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + setup], check=True, env=env, cwd=ROOT)


def id_number(rng: random.Random, birth: date, male: bool) -> str:
    region = rng.choice(("320502", "320505", "320506", "320507", "320508", "320509", "320581"))
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first + CHECK[sum(int(d) * w for d, w in zip(first, WEIGHTS, strict=True)) % 11]


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    """A realistic national-system export with the variety schools produce: codes and names mixed, three
    date formats, two guardians, a few group flags. Every row is valid and every 学籍号 unique."""
    rng = random.Random(seed)
    seen: set[str] = set()
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["基准中学学生名单（全国中小学生学籍信息管理系统导出）"])
        writer.writerow(HEADER)
        for n in range(rows):
            male = rng.random() < 0.52
            grade = rng.choice((7, 8, 9))
            birth = date(2020 - grade, 1, 1) + timedelta(days=rng.randrange(365))
            idn = id_number(rng, birth, male)
            while idn in seen:
                idn = id_number(rng, birth, male)
            seen.add(idn)
            style = n % 10
            born = birth.isoformat() if style < 8 else (f"{birth:%Y%m%d}" if style == 8 else f"{birth.year}.{birth.month}.{birth.day}")
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            left = rng.random()
            writer.writerow([
                f"G{idn}", name, ("男" if male else "女") if style != 9 else ("1" if male else "2"), born, "汉族",
                "居民身份证", idn, f"{grade}年级" if style else "初" + "一二三"[grade - 7],
                f"{grade}年级({rng.randrange(1, 100)})班" if style else f"（{rng.randrange(1, 100)}）班",
                "走读" if rng.random() < 0.8 else "住校",
                "非留守儿童" if left < 0.9 else ("单亲留守儿童" if left < 0.97 else "双亲留守儿童"),
                "是" if rng.random() < 0.1 else "否", "否", "非残疾" if rng.random() < 0.99 else "肢体残疾",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "父亲", f"13{rng.randrange(900000000, 999999999)}",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "母亲", f"15{rng.randrange(900000000, 999999999)}",
                f"苏州市姑苏区{rng.randrange(1, 300)}号",
            ])


def run_import(path: Path) -> dict:
    """The CLI in a child process; returns its JSON summary, wall time and peak RSS."""
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "runxin.settings",
           "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "runxin.cli", "import_roster", str(path), "--school",
                                  SCHOOL_CODE, "--as", USERNAME], stdout=out, cwd=ROOT, env=env)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"import failed with exit status {child.returncode}:\n{text[-3000:]}")
    summary = json.loads(text)
    summary.pop("rejections", None)
    return {"summary": summary, "wall": wall, "peak_mb": usage.ru_maxrss / 1024}


WRITTEN = ("people_student", "people_enrollment", "people_guardian", "people_groupmembership")
SCRATCH = "bench_ceiling"


def ceiling(workdir: Path) -> tuple[float, dict]:
    """The ceiling: COPY of the rows the import wrote, as they are, into scratch copies of the same tables
    (schema bench_ceiling: LIKE … INCLUDING ALL, so the same columns, defaults, indexes and check/unique
    constraints, plus the same foreign keys, pointing at the scratch students and at the real org units,
    school years and groups), in one transaction with its commit, as the import runs. What writing these
    rows costs PostgreSQL before any reading, validating, placing or history."""
    import psycopg

    dumps: dict[str, Path] = {}
    counts: dict[str, int] = {}
    with psycopg.connect(database_url(), autocommit=True) as conn:
        for table in WRITTEN:  # the same rows: dumped after the import, outside the timing
            dumps[table] = workdir / f"{table}.copy"
            with conn.cursor() as cursor, open(dumps[table], "wb") as out:
                with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                    for data in copy:
                        out.write(data)
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        conn.execute(f"DROP SCHEMA IF EXISTS {SCRATCH} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCRATCH}")
        for table in WRITTEN:
            conn.execute(f"CREATE TABLE {SCRATCH}.{table} (LIKE public.{table} INCLUDING ALL)")
        for table in WRITTEN:
            for name, definition in conn.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
                    "AND conrelid = %s::regclass", [f"public.{table}"]).fetchall():
                for parent in WRITTEN:
                    definition = definition.replace(f"REFERENCES {parent}(", f"REFERENCES {SCRATCH}.{parent}(")
                conn.execute(f"ALTER TABLE {SCRATCH}.{table} ADD CONSTRAINT {name} {definition}")
        conn.execute("ANALYZE")
    with psycopg.connect(database_url()) as conn:
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for table in WRITTEN:
                with open(dumps[table], "rb") as source, cursor.copy(f"COPY {SCRATCH}.{table} FROM STDIN") as copy:
                    while data := source.read(1 << 20):
                        copy.write(data)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute(f"DROP SCHEMA {SCRATCH} CASCADE")
        conn.commit()
    for dump in dumps.values():
        dump.unlink()
    return seconds, counts


def measure(rows: int, workdir: Path) -> dict:
    path = workdir / f"roster-{rows}.csv"
    print(f"generating {rows:,} rows …", flush=True)
    # In a process of its own: a child forked from a big parent inherits the parent's peak RSS in its
    # ru_maxrss, and the generator's set of a million ID numbers would then count against the import.
    subprocess.run([sys.executable, __file__, "--generate", str(path), "--rows", str(rows)], check=True)
    print(f"  {path.stat().st_size / 1e6:.0f} MB", flush=True)
    fresh_database()
    first = run_import(path)
    ceiling_seconds, copied = ceiling(workdir)
    again = run_import(path)
    path.unlink()
    return {"rows": rows, "ceiling": ceiling_seconds, "copied": copied, "first": first, "again": again}


def show(result: dict) -> None:
    first, again = result["first"], result["again"]
    s = first["summary"]
    print(f"\n== {result['rows']:,} students")
    print(f"import          {s['seconds']:7.1f} s in the import   {first['wall']:7.1f} s wall (with Django start-up)"
          f"   peak RSS {first['peak_mb']:6.0f} MB")
    print(f"                created {s['created']:,}  updated {s['updated']:,}  unchanged {s['unchanged']:,}  "
          f"rejected {s['rejected']:,}")
    print("                phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in s.get("timings", {}).items()))
    a = again["summary"]
    print(f"re-import       {a['seconds']:7.1f} s   peak RSS {again['peak_mb']:6.0f} MB   created {a['created']:,}  "
          f"updated {a['updated']:,}  unchanged {a['unchanged']:,}")
    print("                phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in a.get("timings", {}).items()))
    copied = ", ".join(f"{table} {n:,}" for table, n in result["copied"].items())
    print(f"ceiling COPY    {result['ceiling']:7.1f} s   (the same rows into the same tables, indexes, constraints "
          f"and foreign keys, in a scratch schema, with commit: {copied})")
    print(f"ratio           {s['seconds'] / result['ceiling']:7.2f} × the ceiling (target ≤ 1.5; "
          f"wall with Django start-up: {first['wall'] / result['ceiling']:.2f} ×)")
    print(f"rows per second {result['rows'] / s['seconds']:9,.0f} (import)   {result['rows'] / result['ceiling']:9,.0f} "
          f"(ceiling)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--compare-rows", type=int, default=0, help="also run this many rows to compare memory")
    parser.add_argument("--generate", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(Path(args.generate), args.rows)
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores; other work on the machine slows every figure)")
    with tempfile.TemporaryDirectory(prefix="runxin-bench-") as tmp:
        results = [measure(n, Path(tmp)) for n in ([args.compare_rows] if args.compare_rows else []) + [args.rows]]
    for result in results:
        show(result)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    if len(results) == 2:
        small, big = results
        print(f"\npeak RSS {small['first']['peak_mb']:.0f} MB at {small['rows']:,} rows vs "
              f"{big['first']['peak_mb']:.0f} MB at {big['rows']:,} rows")


if __name__ == "__main__":
    main()
