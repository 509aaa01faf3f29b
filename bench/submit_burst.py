"""A school lab hands in PHQ-A + GAD-7 at once: submissions per second and latency over HTTP, against the
ceiling of a bare insert on the same server, then a row count (nothing lost, nothing counted twice).

    .venv/bin/python bench/submit_burst.py [--students 12000] [--workers 4] [--connections 16]

What it does:
1. A bench database of its own (runxin_bench_submit, made anew), migrated; N students in a district's
   schools (14 and over, so the guardian notice alone suffices), one open universal campaign with PHQ-A
   and GAD-7, and for each student the questionnaire pass (signed cookie) and CSRF cookie that signing in
   with the printed code leaves in the browser.
2. The production server setup: gunicorn, sync workers (4 by default), DEBUG off, persistent database
   connections, the whole middleware stack (session, CSRF, deny-by-default, audit context).
   The bench's URLconf (bench/submit_burst_server/) adds the bare endpoint; production URLs never have it.
3. wrk (installed from Debian when missing) drives it with --connections concurrent connections:
   - bare:   every request inserts its raw JSON body into one table and answers 201 (the ceiling);
   - submit: every student POSTs the final submission (client-made id, answers for both instruments) to
             /screening/take/submit/ with their pass cookie and CSRF token;
   - twice:  other students, every request sent twice (two connections at once), as a double tap or a
             retry would.
   Bare and submit run back to back on the same server. Each run is a fixed set of students; a thread
   stops when all of its students have an answer.
4. Counts rows: each student who got 201 has exactly one submission with two results; a repeated request
   answered 200 and wrote nothing.
5. Hands the flagged results to the warnings app with a Celery worker on Redis (the production task
   engine): after the burst for --hand-over-seconds by default, reporting how many went and how fast (the
   rest stay in the outbox for the sweep); --worker-during runs it alongside the server on the same cores.

Targets on a 2-core machine: >= 300 submissions/s, p99 <= 250 ms, ratio to the bare ceiling >= 0.6.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, use_database  # noqa: E402

DATABASE = "runxin_bench_submit"
HERE = Path(__file__).resolve().parent
FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
TARGETS = {"rate": 300, "p99_ms": 250, "ratio": 0.6}


# --- set-up --------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing it from Debian (apt-get install wrk)")
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed; install it (apt-get install wrk) and run again")
    return found


def seed(students: int) -> dict:
    """Migrate, then a district with enough schools and classes for `students`, and an open campaign."""
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from runxin.accounts.models import User
    from runxin.org import services as org_services
    from runxin.org.models import OrgUnit, SchoolYear
    from runxin.people.models import RoleAssignment, Student
    from runxin.people.services import placement_fields
    from runxin.screening import services
    from runxin.screening.models import CampaignTarget, InstrumentVersion
    from runxin.screening.views_student import PASS_COOKIE, pass_value

    start = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)  # also stores the shipped instruments
    year = SchoolYear.objects.create(code="2026-2027", starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 8, 31),
                                     is_current=True)
    city = org_services.unit_create(kind=OrgUnit.Kind.CITY, name="基准市", code="BENCH")
    district = org_services.unit_create(kind=OrgUnit.Kind.DISTRICT, name="基准区", parent=city)
    per_class, classes = 50, []
    schools = max(1, students // 2000)
    for n in range(schools):
        school = org_services.unit_create(kind=OrgUnit.Kind.SCHOOL, name=f"基准第{n + 1}中学", parent=district,
                                          school_type=OrgUnit.SchoolType.JUNIOR)
        for level in (7, 8, 9):
            for number in range(1, 15):
                classes.append(org_services.class_get_or_create(school=school, school_year=year, level=level,
                                                                number=number))
    rows = []
    for n in range(students):
        school_class = classes[(n // per_class) % len(classes)]
        rows.append(Student(student_number=f"B{n:09d}", name=f"学生{n}", sex="MF"[n % 2],
                            birth_date=dt.date(2011, 1, 1) - dt.timedelta(days=n % 700),
                            **placement_fields(school_class)))
    Student.objects.bulk_create(rows, batch_size=5000)
    staff = User.objects.create(username="bench_centre", display_name="bench")
    RoleAssignment.objects.create(user=staff, role="centre_staff", org_unit=district)
    spec = services.CampaignSpec(
        name="基准普测", kind="universal", owner=district, window_start=timezone.localdate(),
        window_end=timezone.localdate() + dt.timedelta(days=7), consent_mode="opt_out",
        versions=[InstrumentVersion.objects.get(instrument__code=c, is_published=True) for c in ("phqa", "gad7")],
        grades=[7, 8, 9], groups=[], key_students=False, student_numbers=[])
    campaign = services.campaign_open(user=staff, campaign=services.campaign_create(user=staff, spec=spec))
    # Each student signed in with their code: the pass cookie and a CSRF cookie, as the browser holds them.
    tickets = []
    for target_id in CampaignTarget.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True):
        token = secrets.token_hex(16)
        tickets.append((target_id, f"{PASS_COOKIE}={pass_value(target_id)}; csrftoken={token}", token))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, body jsonb NOT NULL, "
                       "received_at timestamptz NOT NULL DEFAULT now())")
        cursor.execute("ANALYZE")
    print(f"seeded {len(tickets):,} students in {schools} schools, one open campaign, "
          f"in {time.monotonic() - start:.1f} s")
    return {"campaign": campaign.pk, "tickets": tickets}


def answers(rng: random.Random) -> dict:
    """A plausible adolescent answer set: mostly low, some moderate or worse, about 6 % with PHQ-A item 9
    positive (so a realistic share of results is flagged for the warnings app)."""
    level = rng.choices([0, 1, 2, 3], weights=[66, 22, 9, 3])[0]

    def pick() -> str:
        return FREQ[max(0, min(3, level + rng.choices([0, -1, 1], weights=[5, 3, 2])[0]))]

    phqa = {f"q{n}": pick() for n in range(1, 9)}
    phqa["q9"] = FREQ[rng.choice([1, 1, 2])] if rng.random() < 0.04 + 0.04 * level else FREQ[0]
    phqa |= {"past_year": rng.choice(["yes", "no"]), "difficulty": "LA6572-7", "past_month_thoughts": "no",
             "lifetime_attempt": "no"}
    gad7 = {f"q{n}": pick() for n in range(1, 8)} | {"q8": "LA6572-7"}
    return {"phqa": phqa, "gad7": gad7}


def write_lines(path: Path, rows: list[str]) -> None:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


# --- the server and the load ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BROKER = "redis://127.0.0.1:6379/9"  # a Redis database of the bench's own


# Production settings refuse to start without a real key: one for this run, shared by the server and its workers.
RUN_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(64)


def server_env() -> dict:
    return os.environ | {
        "SECRET_KEY": RUN_KEY,
        "DJANGO_SETTINGS_MODULE": "submit_burst_server.settings",
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
        "DEBUG": "0", "LOG_LEVEL": "ERROR", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_BROKER_URL": BROKER,
    }


def ensure_redis() -> None:
    """The production task engine is Celery on Redis: start Redis as CI does when it is not running."""
    import redis

    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.ConnectionError:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                        "--save", "", "--appendonly", "no", "--dir", "/tmp"], check=True)
        time.sleep(0.5)
        client.ping()
    client.flushdb()


def start_worker() -> subprocess.Popen:
    """One Celery worker process on the same machine: it hands flagged results to the warnings app."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "runxin.celery_app", "worker", "--concurrency", "1",
         "--loglevel", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=server_env(), cwd=str(ROOT), start_new_session=True, stdout=subprocess.DEVNULL)


def start_server(port: int, workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    env = server_env()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "runxin.wsgi:application", "--workers", str(workers),
         "--worker-class", worker_class, "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--backlog", "2048", "--log-level", "warning"],
        env=env, cwd=str(ROOT), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/screening/c/", timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    sys.exit("the server did not start")


def wait_for_hand_over(timeout: float) -> tuple[int, int, float]:
    """(flags, handed over, seconds waited) once every flag is handed over, or when `timeout` is up."""
    from django.db import connection

    start = time.monotonic()
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(handed_over_at) FROM screening_screeningflag")
            flags, handed = cursor.fetchone()
        if flags == handed or time.monotonic() - start > timeout:
            return flags, handed, time.monotonic() - start
        time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    """Stop a process group this script started (gunicorn's master and workers, the Celery worker)."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    except ProcessLookupError:
        pass


def load(wrk: str, port: int, data: Path, connections: int, threads: int) -> dict:
    """One wrk run over the lines of `data`. The time is from start to the moment the last thread has an
    answer for every one of its lines (wrk's own clock runs to the end of its duration)."""
    for old in data.parent.glob(f"{data.name}.done.*"):
        old.unlink()
    start = time.time()
    runner = subprocess.Popen(
        [wrk, "-t", str(threads), "-c", str(connections), "-d", "600s", "--timeout", "30s",
         "-s", str(HERE / "submit_burst.lua"), f"http://127.0.0.1:{port}", "--", str(data), str(threads)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finished = None
    while runner.poll() is None:
        marks = list(data.parent.glob(f"{data.name}.done.*"))
        if len(marks) == threads:
            finished = max(mark.stat().st_mtime for mark in marks)
            runner.send_signal(signal.SIGINT)  # wrk prints its summary and calls done() on SIGINT
            break
        time.sleep(0.02)
    out, err = runner.communicate(timeout=120)
    if finished is None:
        sys.exit(f"wrk ended before every request had an answer:\n{out}\n{err}")
    stats = json.loads(next(ln for ln in out.splitlines() if ln.startswith("{")))
    answered = stats["requests"] - stats["noops"]
    stats.update(answered=answered, seconds=finished - start, rate=answered / (finished - start),
                 p50_ms=stats["p50_us"] / 1000, p99_ms=stats["p99_us"] / 1000,
                 errors=sum(stats[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")))
    return stats


# --- counting ------------------------------------------------------------------------------------------


def count_rows(target_ids: list[int]) -> dict:
    """Submissions and results of these students: a student with no submission is lost; a second
    submission for a student, or a submission without exactly one result per instrument, is a duplicate."""
    from django.db.models import Count

    from runxin.screening.models import Result, Submission

    submissions = Submission.objects.filter(target_id__in=target_ids)
    per_submission = list(Result.objects.filter(submission__in=submissions).values("submission_id")
                          .annotate(n=Count("id")).values_list("n", flat=True))
    count = submissions.count()
    students = submissions.values("target_id").distinct().count()
    return {"submissions": count, "results": sum(per_submission), "lost": len(target_ids) - students,
            "duplicated": (count - students) + sum(n - 2 for n in per_submission if n > 2),
            "incomplete": count - len(per_submission) + sum(1 for n in per_submission if n < 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12_000, help="students handing in (each run)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                        help="gunicorn worker class (gthread keeps connections alive; see docs/PERFORMANCE.md)")
    parser.add_argument("--server-threads", type=int, default=8, help="threads per gthread worker")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hand-over-seconds", type=float, default=60,
                        help="how long the Celery worker hands flags to the warnings app after the burst")
    parser.add_argument("--worker-during", action="store_true",
                        help="run the Celery worker during the burst (default: after it, as a queue drains)")
    args = parser.parse_args()
    wrk = ensure_wrk()

    warmup = 1_000
    twice = max(1_000, args.students // 2)
    use_database(DATABASE, fresh=True)
    setup = seed(warmup + args.students + twice)
    from django.db import connection

    connection.close()
    rng = random.Random(args.seed)
    tickets = setup["tickets"]
    groups = {"warmup": tickets[:warmup], "submit": tickets[warmup:warmup + args.students],
              "twice": tickets[warmup + args.students:]}
    work = Path(tempfile.mkdtemp(prefix="submit_burst_"))
    submit_path = "/screening/take/submit/"
    files = {}
    for name, group in groups.items():
        rows = []
        for _target, cookie, token in group:
            body = json.dumps({"client_id": str(uuid.uuid4()), "answers": answers(rng),
                               "elapsed": {"phqa": rng.randint(90, 400), "gad7": rng.randint(40, 200)}},
                              separators=(",", ":"))
            row = f"{submit_path}\t{cookie}\t{token}\t{body}"
            rows += [row, row] if name == "twice" else [row]
        files[name] = work / f"{name}.txt"
        write_lines(files[name], rows)
    files["bare"] = work / "bare.txt"
    write_lines(files["bare"], [
        f"/bench/bare/\t-\t-\t{json.dumps({'client_id': str(uuid.uuid4()), 'answers': answers(rng)}, separators=(',', ':'))}"
        for _ in range(args.students)])

    ensure_redis()
    port = free_port()
    worker = start_worker() if args.worker_during else None
    server = start_server(port, args.workers, args.worker_class, args.server_threads)
    try:
        load(wrk, port, files["warmup"], args.connections, args.threads)
        bare = load(wrk, port, files["bare"], args.connections, args.threads)
        submit = load(wrk, port, files["submit"], args.connections, args.threads)
        double = load(wrk, port, files["twice"], args.connections, args.threads)
        stop_server(server)
        worker = worker or start_worker()
        flags, handed, drained = wait_for_hand_over(args.hand_over_seconds)
    finally:
        stop_server(server)
        if worker is not None:
            stop_server(worker)
        shutil.rmtree(work, ignore_errors=True)

    submit_rows = count_rows([t for t, _s, _k in groups["submit"]])
    twice_rows = count_rows([t for t, _s, _k in groups["twice"]])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_raw")
        bare_rows = cursor.fetchone()[0]

    print(f"\ngunicorn {args.worker_class} × {args.workers} workers"
          f"{f' × {args.server_threads} threads' if args.worker_class == 'gthread' else ''}, wrk {args.threads} threads × {args.connections} connections, "
          f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs shared with the load generator")
    print(f"{'endpoint':<34}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}")
    for label, stats in (("bare insert (ceiling)", bare), ("submission PHQ-A + GAD-7", submit),
                         ("submission, every request twice", double)):
        print(f"{label:<34}{stats['answered']:>9,}{stats['rate']:>9.0f}{stats['p50_ms']:>9.1f}{stats['p99_ms']:>9.1f}"
              f"{stats['other']:>9}{stats['errors']:>8}")
    ratio = submit["rate"] / bare["rate"]
    print(f"ratio submission / bare: {ratio:.2f}")

    for label, group, stats, rows in (("single run", groups["submit"], submit, submit_rows),
                                      ("twice run", groups["twice"], double, twice_rows)):
        times = 2 if label == "twice run" else 1
        print(f"rows, {label}: {len(group):,} students × {times} request(s): {stats['created']:,} answered 201, "
              f"{stats['replayed']:,} answered 200 (the same submission again); {rows['submissions']:,} "
              f"submissions, {rows['results']:,} results → lost {rows['lost']}, duplicated {rows['duplicated']}, "
              f"without both results {rows['incomplete']}")
    print(f"rows, bare run: {bare_rows:,} for {bare['created']:,} answered 201")
    print(f"warning flags: {flags:,} results flagged in the outbox; the Celery worker "
          f"({'running during the burst' if args.worker_during else 'started after the burst'}) handed "
          f"{handed:,} to the warnings app within {drained:.0f} s of the last request"
          f"{'' if handed == flags else '; the rest wait in the outbox for the next worker pass or sweep'}")
    ok = {
        "rate": submit["rate"] >= TARGETS["rate"],
        "p99": submit["p99_ms"] <= TARGETS["p99_ms"],
        "ratio": ratio >= TARGETS["ratio"],
        "nothing lost or twice": all(
            rows["lost"] == rows["duplicated"] == rows["incomplete"] == 0 and stats["errors"] == stats["other"] == 0
            and stats["created"] == len(group)
            for group, stats, rows in ((groups["submit"], submit, submit_rows), (groups["twice"], double, twice_rows))
        ) and double["replayed"] == len(groups["twice"]),
    }
    print("\ntargets: " + ", ".join(f"{name} {'PASS' if passed else 'FAIL'}" for name, passed in ok.items())
          + f"  (≥ {TARGETS['rate']}/s, p99 ≤ {TARGETS['p99_ms']} ms, ratio ≥ {TARGETS['ratio']})")
    sys.exit(0 if all(ok.values()) else 1)


if __name__ == "__main__":
    main()
