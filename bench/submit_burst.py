"""A school lab hands in PHQ-A + GAD-7 at once: submissions per second and latency over HTTP, against the
ceiling of a bare insert on the same server, then a row count (nothing lost, nothing counted twice).

    .venv/bin/python bench/submit_burst.py [--students 12000] [--workers 4] [--connections 16]

What it does:
1. A bench database of its own (runxin_bench_submit, made anew), migrated; N students in a district's
   schools (14 and over, so the guardian notice alone suffices), one open universal campaign with PHQ-A
   and GAD-7, and for each student the questionnaire pass (signed cookie) and CSRF cookie that signing in
   with the printed code leaves in the browser.
2. The production server setup: gunicorn (4 workers by default), DEBUG off, persistent database
   connections, the whole middleware stack (session, CSRF, deny-by-default, audit context).
   The bench's URLconf (bench/submit_burst_server/) adds the bare endpoint; production URLs never have it.
3. wrk (installed from Debian when missing) drives it with --connections concurrent connections:
   - stock:  the ceiling, a stock Django project (bench/stock_django/: `startproject` settings, Django's
             default middleware only) on the same gunicorn set-up, one raw INSERT of the body per request;
             run before and again after the project's runs, the faster of the two being the ceiling (the
             machine's speed drifts within a run; the higher ceiling gives the lower, safer ratio);
   - bare:   the project's server, the same INSERT behind the project's own middleware;
   - submit: every student POSTs the final submission (client-made id, answers for both instruments) to
             /screening/take/submit/ with their pass cookie and CSRF token;
   - twice:  other students, every request sent twice (two connections at once), as a double tap or a
             retry would;
   - floor:  other students, the submission's database work alone (bench/submit_burst_server/floor.py: the
             target read and the one-statement write, same middleware and CSRF, no Python work of its own):
             what the submission cannot beat as long as it stores what it stores;
   - answers: --answer-students students answering PHQ-A items 1-9 one by one as the page does (a form POST
             that saves the answer and redirects, then a GET of the next question): most of a real screening's
             requests, about 25 per student for one submission.
   All run back to back in one run. Each run is a fixed set of requests; a thread stops when all of its
   requests have an answer. --profile DIR records every gunicorn worker with py-spy during bare and submit.
4. Counts rows: each student who got 201 has exactly one submission with two results; a repeated request
   answered 200 and wrote nothing.
5. Hands the flagged results to the warnings app with a Celery worker on Redis (the production task
   engine): after the burst for --hand-over-seconds by default, reporting how many went and how fast (the
   rest stay in the outbox for the sweep); --worker-during runs it alongside the server on the same cores.

Targets (ratios to the stock ceiling of the same run, since absolute rates move between machines): the
submission >= 0.6 of stock with p99 <= 100 ms at 16 connections; the project's bare endpoint >= 0.85 of stock.

    .venv/bin/python bench/submit_burst.py --faults 100000

does not measure speed: 100,000 submissions by --connections clients that resend the same client id on an
error or a timeout, while a gunicorn worker, the Celery worker and Redis (a Redis of the bench's own, on its
own port) are each killed -9 once and restarted; then the worker drains, the retry sweep runs, and it
prints answers lost, counted twice and flags lost (all must be 0).
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
# Ratios to the stock-Django ceiling measured in the same run (absolute rates move between machines).
TARGETS = {"ratio": 0.6, "bare_ratio": 0.85, "p99_ms": 100}


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
# The bench signs the passes with it too (use_database keeps a key that is already set).
os.environ["SECRET_KEY"] = RUN_KEY


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


def start_server(port: int, workers: int, worker_class: str, threads: int, *, stock: bool = False) -> subprocess.Popen:
    """gunicorn with the project's settings (its whole middleware stack and the bench's URLconf), or with
    `stock` the minimal stock-Django project in bench/stock_django/ (the ceiling); the same server setup."""
    env = server_env()
    if stock:
        env["DJANGO_SETTINGS_MODULE"] = "stock_django.settings"
    app = "stock_django.wsgi:application" if stock else "runxin.wsgi:application"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), app, "--workers", str(workers),
         "--worker-class", worker_class,
         # gunicorn turns a sync worker given --threads > 1 into a gthread one: threads only where asked for.
         "--threads", str(threads if worker_class == "gthread" else 1), "--bind", f"127.0.0.1:{port}",
         "--backlog", "2048", "--log-level", "warning"],
        env=env, cwd=str(ROOT), start_new_session=True)
    ready = "/bench/noop/" if stock else "/screening/c/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=2) as reply:  # noqa: S310
                if reply.status in (200, 204):
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    sys.exit("the server did not start")


# The floor's submissions write flags but never ask for a hand-over (it measures the database work only): their
# flags stay in the outbox for the sweep and are left out of the hand-over figures.
FLOOR_FLAGS = "s.target_id <> ALL(%s)"


def hand_over_delays(floor_targets: list[int] = ()) -> dict[str, dict]:
    """Per level: flags, how many were handed over, and the delay from the submission's arrival to the commit
    that put the warning in a queue (the flag's handed_over_at is set in that same transaction)."""
    from django.db import connection

    found = {}
    for level, condition in (("critical", "f.level = 'critical'"), ("all", "TRUE")):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(f.handed_over_at), "
                "percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY "
                "  extract(epoch FROM f.handed_over_at - s.received_at)), "
                "max(extract(epoch FROM f.handed_over_at - s.received_at)) "
                "FROM screening_screeningflag f JOIN screening_result r ON r.id = f.result_id "
                f"JOIN screening_submission s ON s.id = r.submission_id WHERE {condition} AND {FLOOR_FLAGS}",
                [list(floor_targets)])
            flags, handed, percentiles, worst = cursor.fetchone()
        p50, p99 = percentiles or (0, 0)
        found[level] = {"flags": flags, "handed": handed, "p50": p50 or 0, "p99": p99 or 0, "max": float(worst or 0)}
    return found


def wait_for_hand_over(timeout: float, floor_targets: list[int] = ()) -> tuple[int, int, float]:
    """(flags, handed over, seconds waited) once every flag is handed over, or when `timeout` is up."""
    from django.db import connection

    start = time.monotonic()
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(f.handed_over_at) FROM screening_screeningflag f "
                           "JOIN screening_result r ON r.id = f.result_id "
                           f"JOIN screening_submission s ON s.id = r.submission_id WHERE {FLOOR_FLAGS}",
                           [list(floor_targets)])
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
    cpu_before = cpu_by_program()
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
            cpu_after = cpu_by_program()  # before wrk ends and its own time leaves /proc
            runner.send_signal(signal.SIGINT)  # wrk prints its summary and calls done() on SIGINT
            break
        time.sleep(0.02)
    out, err = runner.communicate(timeout=120)
    if finished is None:
        sys.exit(f"wrk ended before every request had an answer:\n{out}\n{err}")
    stats = json.loads(next(ln for ln in out.splitlines() if ln.startswith("{")))
    answered = stats["requests"] - stats["noops"]
    stats["cpu_ms"] = {name: (cpu_after.get(name, 0) - cpu_before.get(name, 0)) * 1000 / answered
                       for name in ("gunicorn", "postgres", "wrk")}
    stats.update(answered=answered, seconds=finished - start, rate=answered / (finished - start),
                 p50_ms=stats["p50_us"] / 1000, p99_ms=stats["p99_us"] / 1000,
                 errors=sum(stats[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")))
    return stats


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_program() -> dict[str, float]:
    """CPU seconds used so far by every process of each program on this machine (user + system, children
    reaped included), read from /proc: where a run's time went, per request, beside its rate."""
    totals: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        # fields[11..14]: utime, stime, cutime, cstime (clock ticks)
        totals[name] = totals.get(name, 0) + sum(int(v) for v in fields[11:15]) / _TICK
    return totals


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


def bare_lines(rng: random.Random, n: int) -> list[str]:
    return [f"/bench/bare/\t-\t-\t{json.dumps({'client_id': str(uuid.uuid4()), 'answers': answers(rng)}, separators=(',', ':'))}"
            for _ in range(n)]


def submit_lines(rng: random.Random, group: list, *, twice: bool = False) -> list[str]:
    rows = []
    for _target, cookie, token in group:
        body = json.dumps({"client_id": str(uuid.uuid4()), "answers": answers(rng),
                           "elapsed": {"phqa": rng.randint(90, 400), "gad7": rng.randint(40, 200)}},
                          separators=(",", ":"))
        row = f"{SUBMIT_PATH}\t{cookie}\t{token}\t{body}"
        rows += [row, row] if twice else [row]
    return rows


SUBMIT_PATH = "/screening/take/submit/"


def answer_lines(rng: random.Random, group: list) -> list[str]:
    """Students answering PHQ-A items 1-9 one by one as the questionnaire page does: each answer a form POST
    (htmx; the answer is saved and the reply redirects) and a GET of the next question."""
    rows = []
    for _target, cookie, token in group:
        for n in range(1, 10):
            rows.append(f"/screening/take/1/q{n}/\t{cookie}\t{token}\tanswer={rng.choice(FREQ)}\tform")
            following = f"/screening/take/1/q{n + 1}/" if n < 9 else "/screening/take/2/q1/"
            rows.append(f"{following}\t{cookie}\t{token}\t-\tget")
    return rows


def floor_lines(rng: random.Random, group: list) -> list[str]:
    """The floor endpoint's requests: the same answers and CSRF token, the target named in the body, half of them
    with the flagged result set (the submit run flags about that share of submissions)."""
    rows = []
    for target, cookie, token in group:
        body = json.dumps({"target": target, "client_id": str(uuid.uuid4()), "answers": answers(rng),
                           "flagged": rng.random() < 0.5}, separators=(",", ":"))
        rows.append(f"/bench/floor/\t{cookie}\t{token}\t{body}")
    return rows


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12_000, help="students handing in (each run)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"],
                        help="gunicorn worker class (gthread keeps connections alive; see docs/PERFORMANCE.md)")
    parser.add_argument("--server-threads", type=int, default=8, help="threads per gthread worker")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--answer-students", type=int, default=1_000,
                        help="students answering PHQ-A items 1-9 one by one (a form POST and a GET each)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hand-over-seconds", type=float, default=60,
                        help="how long the Celery worker hands flags to the warnings app after the burst")
    parser.add_argument("--worker-during", action="store_true",
                        help="run the Celery worker during the burst (default: after it, as a queue drains)")
    parser.add_argument("--faults", type=int, metavar="N", default=0,
                        help="instead of the speed runs: N submissions by retrying clients while a gunicorn "
                             "worker, the Celery worker and Redis are each killed -9 once; prints answers lost, "
                             "counted twice and flags lost")
    parser.add_argument("--profile", metavar="DIR", default="",
                        help="record each speed run of the project's server with py-spy into DIR "
                             "(raw collapsed stacks, one file per worker and run)")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.faults:
        sys.exit(run_faults(args))
    wrk = ensure_wrk()

    warmup = 1_000
    twice = max(1_000, args.students // 2)
    use_database(DATABASE, fresh=True)
    sizes = {"warmup": warmup, "submit": args.students, "twice": twice, "floor": args.students,
             "answers": args.answer_students}
    setup = seed(sum(sizes.values()))
    from django.db import connection

    connection.close()
    rng = random.Random(args.seed)
    tickets, groups, start = setup["tickets"], {}, 0
    for name, size in sizes.items():  # each run its own students, in this order
        groups[name], start = tickets[start:start + size], start + size
    work = Path(tempfile.mkdtemp(prefix="submit_burst_"))
    files = {name: work / f"{name}.txt"
             for name in ("warmup", "submit", "twice", "floor", "answers", "bare", "stock", "stock_after",
                          "stock_warmup")}
    write_lines(files["warmup"], submit_lines(rng, groups["warmup"]))
    write_lines(files["submit"], submit_lines(rng, groups["submit"]))
    write_lines(files["twice"], submit_lines(rng, groups["twice"], twice=True))
    write_lines(files["floor"], floor_lines(rng, groups["floor"]))
    write_lines(files["answers"], answer_lines(rng, groups["answers"]))
    write_lines(files["bare"], bare_lines(rng, args.students))
    write_lines(files["stock"], bare_lines(rng, args.students))
    write_lines(files["stock_after"], bare_lines(rng, args.students))
    write_lines(files["stock_warmup"], bare_lines(rng, warmup))

    floor_targets = [t for t, _s, _k in groups["floor"]]
    ensure_redis()
    port = free_port()
    worker = server = None

    def ceiling(name: str) -> dict:
        """Stock Django on the same gunicorn and wrk set-up: warmed up, then the lines of file `name`."""
        nonlocal server
        server = start_server(port, args.workers, args.worker_class, args.server_threads, stock=True)
        load(wrk, port, files["stock_warmup"], args.connections, args.threads)
        stats = load(wrk, port, files[name], args.connections, args.threads)
        stop_server(server)
        return stats

    try:
        # The ceiling first, then the project's server.
        stock_before = ceiling("stock")
        worker = start_worker() if args.worker_during else None
        server = start_server(port, args.workers, args.worker_class, args.server_threads)
        load(wrk, port, files["warmup"], args.connections, args.threads)
        with profiling(args.profile, server, "bare"):
            bare = load(wrk, port, files["bare"], args.connections, args.threads)
        with profiling(args.profile, server, "submit"):
            submit = load(wrk, port, files["submit"], args.connections, args.threads)
        double = load(wrk, port, files["twice"], args.connections, args.threads)
        floor = load(wrk, port, files["floor"], args.connections, args.threads)
        answering = load(wrk, port, files["answers"], args.connections, args.threads)
        stop_server(server)
        # The ceiling again after the project's runs: the machine's speed drifts (other work, CPU frequency), so
        # the faster of the two stock runs is the ceiling every ratio is taken against.
        stock_after = ceiling("stock_after")
        stock = max(stock_before, stock_after, key=lambda stats: stats["rate"])
        worker = worker or start_worker()
        flags, handed, drained = wait_for_hand_over(args.hand_over_seconds, floor_targets)
    finally:
        if server is not None:
            stop_server(server)
        if worker is not None:
            stop_server(worker)
        shutil.rmtree(work, ignore_errors=True)

    submit_rows = count_rows([t for t, _s, _k in groups["submit"]])
    twice_rows = count_rows([t for t, _s, _k in groups["twice"]])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_raw")
        raw_rows = cursor.fetchone()[0]

    print(f"\ngunicorn {args.worker_class} × {args.workers} workers"
          f"{f' × {args.server_threads} threads' if args.worker_class == 'gthread' else ''}, wrk {args.threads} "
          f"threads × {args.connections} connections, PostgreSQL {connection.pg_version // 10000}, "
          f"{os.cpu_count()} CPUs shared with the load generator, load average {os.getloadavg()[0]:.1f}")
    print(f"{'endpoint':<38}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}"
          f"{'/stock':>8}")
    for label, stats in (("stock Django bare insert, before", stock_before),
                         ("stock Django bare insert, after", stock_after), ("project bare insert", bare),
                         ("submission PHQ-A + GAD-7", submit), ("submission, every request twice", double),
                         ("floor: its database work alone", floor),
                         ("answers one by one (POST, next GET)", answering)):
        print(f"{label:<38}{stats['answered']:>9,}{stats['rate']:>9.0f}{stats['p50_ms']:>9.1f}"
              f"{stats['p99_ms']:>9.1f}{stats['other']:>9}{stats['errors']:>8}{stats['rate'] / stock['rate']:>8.2f}")
    print("CPU per request, ms (gunicorn workers / PostgreSQL / wrk): " + "; ".join(
        f"{label} {stats['cpu_ms']['gunicorn']:.2f} / {stats['cpu_ms']['postgres']:.2f} / {stats['cpu_ms']['wrk']:.2f}"
        for label, stats in (("stock", stock), ("bare", bare), ("submission", submit), ("floor", floor),
                             ("answer request", answering))))
    print(f"ratios: submission / stock {submit['rate'] / stock['rate']:.2f}, project bare / stock "
          f"{bare['rate'] / stock['rate']:.2f} (middleware overhead {1 - bare['rate'] / stock['rate']:.0%}), "
          f"submission / project bare {submit['rate'] / bare['rate']:.2f}; floor / stock "
          f"{floor['rate'] / stock['rate']:.2f} (the submission's database work behind the project's middleware with "
          f"no Python work of its own: bench/submit_burst_server/floor.py)")

    print(f"answers one by one: {len(groups['answers']):,} students × 9 answers, {answering['moved']:,} saved "
          f"(302), {answering['replayed']:,} next questions shown (200): {answering['rate'] / 2:.0f} answers a second, "
          f"{2 * answering['cpu_ms']['gunicorn']:.2f} / {2 * answering['cpu_ms']['postgres']:.2f} ms of CPU each "
          f"(gunicorn / PostgreSQL): a screening sends ~25 of these per student for one submission")
    for label, group, stats, rows in (("single run", groups["submit"], submit, submit_rows),
                                      ("twice run", groups["twice"], double, twice_rows)):
        times = 2 if label == "twice run" else 1
        print(f"rows, {label}: {len(group):,} students × {times} request(s): {stats['created']:,} answered 201, "
              f"{stats['replayed']:,} answered 200 (the same submission again); {rows['submissions']:,} "
              f"submissions, {rows['results']:,} results → lost {rows['lost']}, duplicated {rows['duplicated']}, "
              f"without both results {rows['incomplete']}")
    print(f"rows, bare runs: {raw_rows:,} for "
          f"{stock_before['created'] + stock_after['created'] + bare['created'] + 2 * warmup:,} answered 201 "
          f"(stock warm-ups, stock before and after, project)")
    print(f"warning flags: {flags:,} results of the submissions flagged in the outbox (the floor's are left to the "
          f"sweep); the Celery worker "
          f"({'running during the burst' if args.worker_during else 'started after the burst'}) handed "
          f"{handed:,} to the warnings app within {drained:.0f} s of the last request"
          f"{'' if handed == flags else '; the rest wait in the outbox for the next worker pass or sweep'}")
    delays = hand_over_delays(floor_targets)
    for level in ("critical", "all"):
        row = delays[level]
        print(f"  {level} flags: {row['flags']:,}, handed over {row['handed']:,}; from submission to a warning in a "
              f"queue p50 {row['p50']:.1f} s, p99 {row['p99']:.1f} s, max {row['max']:.1f} s")
    ok = {
        "submission/stock": submit["rate"] / stock["rate"] >= TARGETS["ratio"],
        "bare/stock": bare["rate"] / stock["rate"] >= TARGETS["bare_ratio"],
        "p99": submit["p99_ms"] <= TARGETS["p99_ms"],
        "nothing lost or twice": all(
            rows["lost"] == rows["duplicated"] == rows["incomplete"] == 0 and stats["errors"] == stats["other"] == 0
            and stats["created"] == len(group)
            for group, stats, rows in ((groups["submit"], submit, submit_rows), (groups["twice"], double, twice_rows))
        ) and double["replayed"] == len(groups["twice"]),
    }
    print("\ntargets: " + ", ".join(f"{name} {'PASS' if passed else 'FAIL'}" for name, passed in ok.items())
          + f"  (submission ≥ {TARGETS['ratio']} of stock, project bare ≥ {TARGETS['bare_ratio']} of stock, "
            f"p99 ≤ {TARGETS['p99_ms']} ms at {args.connections} connections)")
    sys.exit(0 if all(ok.values()) else 1)


# --- faults: workers, the task engine and its broker killed during a burst ---------------------------------


def start_redis(port: int) -> subprocess.Popen:
    """A Redis of the bench's own (its own port, no persistence): --faults kills it with -9, which must not touch
    the Redis that CI and other work on this machine share."""
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", tempfile.gettempdir()],
                               stdout=subprocess.DEVNULL, start_new_session=True)
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            return process
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                sys.exit("Redis did not start")
            time.sleep(0.1)


def kill9(process: subprocess.Popen) -> None:
    """SIGKILL to the process group this script started (the Celery worker and its pool child, or Redis)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


class RetryingClients:
    """`connections` threads, each a keep-alive HTTP client that hands in submissions and, on a connection
    error, a timeout or a 5xx, sends the same request again (the same client_id) until it gets 200 or 201, as
    take.js does. Counts what came back."""

    def __init__(self, port: int, requests: list[tuple[str, str, bytes]], connections: int) -> None:
        import queue
        import threading

        self.port, self.todo, self.lock = port, queue.Queue(), threading.Lock()
        for item in requests:
            self.todo.put(item)
        self.total = len(requests)
        self.counts = {"201": 0, "200": 0, "refused": 0, "retries": 0, "gave up": 0}
        self.finished = 0
        self.threads = [threading.Thread(target=self.work, daemon=True) for _ in range(connections)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def work(self) -> None:
        import http.client
        import queue

        conn = None
        while True:
            try:
                cookie, token, body = self.todo.get_nowait()
            except queue.Empty:
                return
            outcome, delay = None, 0.05
            for _attempt in range(200):
                try:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                    conn.request("POST", SUBMIT_PATH, body=body, headers={
                        "Content-Type": "application/json", "Accept": "application/json", "Cookie": cookie,
                        "X-CSRFToken": token})
                    reply = conn.getresponse()
                    reply.read()
                    if reply.status in (200, 201):
                        outcome = str(reply.status)
                    elif reply.status < 500:
                        outcome = "refused"
                    if reply.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException):
                    if conn is not None:
                        conn.close()
                    conn = None
                if outcome:
                    break
                with self.lock:
                    self.counts["retries"] += 1
                time.sleep(delay)
                delay = min(1.0, delay * 2)
            with self.lock:
                self.counts[outcome or "gave up"] += 1
                self.finished += 1


def fault_counts(client_ids: list[str]) -> dict:
    """After the sweep: answers lost, counted twice, flags lost (see --faults)."""
    from django.db import connection

    from runxin.alerts.models import WarningReport
    from runxin.screening.models import Result, ScreeningFlag, Submission
    from runxin.screening.services import WARN_LEVELS

    sub, res, flag, report = (m._meta.db_table for m in (Submission, Result, ScreeningFlag, WarningReport))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM unnest(%s::uuid[]) AS c(id) "
                       f"WHERE NOT EXISTS (SELECT 1 FROM {sub} s WHERE s.client_id = c.id)", [client_ids])
        lost = cursor.fetchone()[0]
        cursor.execute(f"SELECT (SELECT count(*) - count(DISTINCT client_id) FROM {sub}) "
                       f"+ (SELECT count(*) - count(DISTINCT target_id) FROM {sub}) "
                       f"+ (SELECT count(*) - count(DISTINCT (submission_id, instrument_code)) FROM {res})")
        twice = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE r.critical), "
                       f"count(*) FILTER (WHERE f.id IS NULL), "
                       f"count(*) FILTER (WHERE f.id IS NOT NULL AND f.handed_over_at IS NULL), "
                       f"count(*) FILTER (WHERE w.id IS NULL) "
                       f"FROM {res} r LEFT JOIN {flag} f ON f.result_id = r.id "
                       f"LEFT JOIN {report} w ON w.screening_result_id = r.id::text "
                       f"WHERE r.risk_level = ANY(%s) OR r.critical", [sorted(WARN_LEVELS)])
        flagged, critical, no_flag, not_handed, no_warning = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {sub}")
        submissions = cursor.fetchone()[0]
    return {"submissions": submissions, "lost": lost, "twice": twice, "flagged": flagged, "critical": critical,
            "no_flag": no_flag, "not_handed": not_handed, "no_warning": no_warning,
            "flags_lost": no_flag + no_warning}


def run_faults(args: argparse.Namespace) -> int:
    """--faults N: N submissions by retrying clients while a gunicorn worker, the Celery worker and Redis are each
    killed -9 once (at about 20 %, 45 % and 70 % of the burst) and restarted (gunicorn's master respawns its
    worker; Redis and the Celery worker are started again here). Then the Celery worker drains, the retry sweep
    runs (as Celery beat or `runxin screening_monitor` would), and the counts are printed. Exit status 0 when
    no answer was lost, none counted twice and no flag lost."""
    global BROKER

    use_database(DATABASE, fresh=True)
    setup = seed(args.faults)
    from django.db import connection

    connection.close()
    rng = random.Random(args.seed)
    requests, client_ids = [], []
    for _target, cookie, token in setup["tickets"][:args.faults]:
        client_id = str(uuid.uuid4())
        client_ids.append(client_id)
        body = json.dumps({"client_id": client_id, "answers": answers(rng),
                           "elapsed": {"phqa": rng.randint(90, 400), "gad7": rng.randint(40, 200)}},
                          separators=(",", ":")).encode()
        requests.append((cookie, token, body))

    redis_port = free_port()
    BROKER = f"redis://127.0.0.1:{redis_port}/0"
    redis_server = start_redis(redis_port)
    port = free_port()
    worker = start_worker()
    server = start_server(port, args.workers, args.worker_class, args.server_threads)
    clients = RetryingClients(port, requests, args.connections)
    events = []
    start = time.monotonic()
    try:
        clients.start()
        plan = [(0.20, "gunicorn worker"), (0.45, "Redis"), (0.70, "Celery worker")]
        while clients.finished < clients.total and any(t.is_alive() for t in clients.threads):
            if plan and clients.finished >= plan[0][0] * clients.total:
                _share, what = plan.pop(0)
                at = clients.finished
                if what == "gunicorn worker":
                    victims = gunicorn_workers(server.pid)
                    os.kill(victims[0], signal.SIGKILL)  # the master starts a new one
                elif what == "Redis":
                    kill9(redis_server)
                    time.sleep(2)  # submissions go on without the broker meanwhile
                    redis_server = start_redis(redis_port)
                else:
                    kill9(worker)
                    time.sleep(2)
                    worker = start_worker()
                events.append(f"kill -9 {what} after {at:,} answers, at {time.monotonic() - start:.1f} s")
            time.sleep(0.05)
        clients.join()
        burst = time.monotonic() - start
        stop_server(server)
        flags, handed, drained = wait_for_hand_over(args.hand_over_seconds)
    finally:
        stop_server(server)
        stop_server(worker)
        kill9(redis_server)

    import contextlib
    import io

    from runxin.screening import services

    swept = 0
    with contextlib.redirect_stdout(io.StringIO()):  # the warnings app's delivery notes, not the bench's figures
        while True:  # the retry sweep: every flag not yet handed over (tasks died with Redis or the worker)
            went = services.flags_hand_over_pending()
            swept += went
            if went == 0:
                break
    counts = fault_counts(client_ids)
    print(f"\nfaults: {args.faults:,} submissions by {args.connections} retrying clients in {burst:.0f} s, "
          f"gunicorn {args.worker_class} × {args.workers}; load average {os.getloadavg()[0]:.1f}")
    for event in events:
        print(f"  {event}")
    print(f"answers: {clients.counts['201']:,} answered 201, {clients.counts['200']:,} answered 200 (a retry of one "
          f"already saved), {clients.counts['refused']} refused, {clients.counts['gave up']} gave up; "
          f"{clients.counts['retries']:,} retries; {counts['submissions']:,} submissions stored")
    print(f"flags: {counts['flagged']:,} results need a warning ({counts['critical']:,} critical); the Celery worker "
          f"handed {handed:,} of {flags:,} within {drained:.0f} s after the burst, the sweep {swept:,}")
    print(f"answers lost: {counts['lost']}")
    print(f"counted twice: {counts['twice']}")
    print(f"flags lost: {counts['flags_lost']} (results without a flag {counts['no_flag']}, without a warning "
          f"after the sweep {counts['no_warning']}; flags not handed over {counts['not_handed']})")
    ok = counts["lost"] == counts["twice"] == counts["flags_lost"] == 0 and clients.counts["gave up"] == 0 \
        and clients.counts["refused"] == 0
    print(f"\ntarget: 0 lost, 0 twice, 0 flags lost: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


class profiling:
    """py-spy on every gunicorn worker of `server` for the length of one run (raw collapsed stacks of the thread
    holding the GIL: where the Python CPU goes, not the threads waiting), when
    asked for; py-spy is a developer tool (pip install py-spy), not a dependency of the project."""

    def __init__(self, folder: str, server: subprocess.Popen, name: str) -> None:
        self.folder, self.server, self.name, self.spies = folder, server, name, []

    def __enter__(self):
        if not self.folder:
            return self
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists() and not shutil.which("py-spy"):
            print("py-spy is missing: installing it in this environment (pip install py-spy)")
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=True)
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        for pid in gunicorn_workers(self.server.pid):
            out = Path(self.folder) / f"{self.name}-{pid}.txt"
            self.spies.append(subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "--nonblocking", "--gil",
                 "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)  # py-spy attaches
        return self

    def __exit__(self, *exc):
        for spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for spy in self.spies:
            spy.wait(timeout=60)
        return False


def gunicorn_workers(master: int) -> list[int]:
    """The worker processes of a gunicorn master (its children)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


if __name__ == "__main__":
    main()
