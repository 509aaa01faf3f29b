"""Escalation sweep and daily key-case reports at city scale.

    .venv/bin/python bench/escalation.py [--students 1500000] [--warnings 100000] [--reuse] [--repeat 3]
    .venv/bin/python bench/escalation.py --students 6000 --warnings 1000 --repeat 1 --skip-pdf   (a quick check)

Loads a demo city of --students students (runxin demo-city) into its own PostgreSQL database
(runxin_bench_alerts; kept for --reuse), gives every district a centre staff member, and seeds --warnings open
warnings (10 % red, 30 % orange, 60 % yellow, in every open state, one report and one event each) plus half as
many closed ones, then ANALYZEs. It times, each --repeat times with the state restored in between:

  sweep, nothing due           one escalation sweep when no warning is overdue (the every-minute case)
  sweep, 20 % overdue          a backlog: a fifth of the timed warnings overdue at once
  sweep, every timer overdue   the worst case after an outage: every warning on a clock is overdue
  daily reports, build + text  every school's and district's report for one day, with its e-mail text
  daily reports, send          the same plus recording the notifications (what the 07:00 job does)
  daily reports, PDF           one PDF per school (2,000 PDFs)

Targets on this machine (2 cores): sweep ≤ 5 s; all daily reports ≤ 60 s.
"""

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import use_database  # noqa: E402

DATABASE = "runxin_bench_alerts"
NOW = None  # set in main(): the bench's "now"


def load(students: int) -> None:
    from django.core.management import call_command

    start = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("demo_city", students=students, verbosity=0)
    print(f"loaded a city of {students:,} students in {time.monotonic() - start:.0f} s")


def sql(statement: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)  # no params: no placeholders, a bare % is the modulo operator
        return cursor.rowcount


def scalar(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def add_centre_staff() -> None:
    """One centre staff member per district and one at the city, as the escalation sweep tells them."""
    from django.contrib.auth.hashers import make_password

    password = make_password("bench-only-password-1!")
    added = sql(
        """
        INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined, display_name, phone, must_change_password)
        SELECT %s, false, 'bench-centre-' || u.id, '', '', 'centre' || u.id || '@example.cn', false, true, now(),
               u.name || '中心', '', false
        FROM org_orgunit u
        WHERE u.kind IN ('district', 'city')
        ON CONFLICT (username) DO NOTHING
        """, [password])
    sql(
        """
        INSERT INTO people_roleassignment (user_id, role, org_unit_id, is_active, created_at)
        SELECT a.id, 'centre_staff', u.id, true, now()
        FROM org_orgunit u JOIN accounts_user a ON a.username = 'bench-centre-' || u.id
        WHERE u.kind IN ('district', 'city')
        ON CONFLICT DO NOTHING
        """)
    print(f"centre staff: {added} added")


def seed_warnings(count: int, now: datetime) -> None:
    """Open warnings on every 1/k-th student (by a hash of the id, so spread over every school). The demo city
    has warnings of its own (its semester of activity): students with an open one are left out, as a student has
    at most one open warning."""
    from django.db.models import F

    from runxin.alerts import services, states
    from runxin.alerts.models import Warning, WarningLevel

    if scalar("SELECT count(*) FROM alerts_warningreport WHERE screening_result_id LIKE 'bench-%'") >= count:
        return
    levels = {lv.code: lv.pk for lv in WarningLevel.objects.all()}
    students = scalar("SELECT count(*) FROM people_student")
    if students < count * 1.5 + scalar("SELECT count(*) FROM alerts_warning"):
        raise SystemExit(f"{students:,} students are too few for {count:,} open and {count // 2:,} closed "
                         "warnings: use more --students or fewer --warnings")
    every = max(1, students // int(count * 1.5))
    while every > 1 and scalar(
            f"SELECT count(*) FROM people_student WHERE (id * 2654435761) % {every} = 0") < count * 1.6:
        every -= 1  # leave room for the students the demo's own warnings took
    start = time.monotonic()
    # Students picked for a warning: every `every`-th by a multiplicative hash; the first `count` get an open
    # warning, the next half as many a closed one.
    sql("DROP TABLE IF EXISTS bench_pick")
    sql(f"""
        CREATE TABLE bench_pick AS
        SELECT row_number() OVER (ORDER BY (id * 2654435761) % 1000003) AS n, id AS student_id
        FROM people_student WHERE (id * 2654435761) % {every} = 0
          AND id NOT IN (SELECT student_id FROM alerts_warning)
        ORDER BY (id * 2654435761) % 1000003 LIMIT {int(count * 1.5)}
    """)
    sql(
        """
        INSERT INTO alerts_warning (student_id, level_id, state, tier, ack_pending, due_at, source, needs_review,
            raised_at, escalation_count, reopen_count, last_event_at, acknowledged_at, assessed_at,
            intervention_at, cleared_at, closed_at, dismissed_at, referred_at, revisited_at)
        SELECT p.student_id,
               CASE WHEN p.n %% 10 = 0 THEN %(red)s WHEN p.n %% 10 < 4 THEN %(orange)s ELSE %(yellow)s END,
               st.state,
               CASE WHEN p.n %% 10 >= 4 AND st.state = 'raised' THEN 1 ELSE 2 END,
               st.state = 'raised',
               CASE WHEN st.state IN ('raised', 'acknowledged', 'assessed')
                    THEN %(now)s + ((p.n %% 2880) - 60) * interval '1 minute' END,
               'screening', false,
               %(now)s - (p.n %% 60) * interval '1 day' - (p.n %% 1440) * interval '1 minute',
               0, 0, %(now)s,
               CASE WHEN st.state <> 'raised' THEN %(now)s - interval '2 hours' END,
               CASE WHEN st.state NOT IN ('raised', 'acknowledged') THEN %(now)s - interval '1 hour' END,
               CASE WHEN st.state IN ('intervention', 'monitoring', 'closed') THEN %(now)s - interval '1 hour' END,
               CASE WHEN st.state = 'closed' THEN %(now)s - (p.n %% 3) * interval '1 day' END,
               CASE WHEN st.state = 'closed' THEN %(now)s - interval '1 hour' END,
               NULL,
               CASE WHEN p.n %% 7 = 0 THEN %(now)s - interval '1 day' END,
               CASE WHEN st.state = 'closed' THEN %(now)s - interval '1 day' END
        FROM bench_pick p
        CROSS JOIN LATERAL (SELECT CASE
            WHEN p.n > %(count)s THEN 'closed'
            WHEN p.n %% 20 < 6 THEN 'raised' WHEN p.n %% 20 < 10 THEN 'acknowledged'
            WHEN p.n %% 20 < 14 THEN 'assessed' WHEN p.n %% 20 < 17 THEN 'intervention'
            ELSE 'monitoring' END AS state) st
        """, {"red": levels["red"], "orange": levels["orange"], "yellow": levels["yellow"], "now": now,
              "count": count})
    # Fresh statistics before the anti-joins below: without them the planner takes the just-loaded tables for
    # empty and loops (minutes instead of seconds at 150,000 warnings).
    sql("ANALYZE alerts_warning, alerts_warningreport, alerts_warningevent")
    sql("""
        INSERT INTO alerts_warningreport (warning_id, source, reported_at, reporter_name, summary,
            suggested_level_id, screening_result_id, instrument_code, reasons, needs_review)
        SELECT w.id, 'screening', w.raised_at, '', '', w.level_id, 'bench-' || w.id, 'phq-a', '[]'::jsonb, false
        FROM alerts_warning w WHERE NOT EXISTS (SELECT 1 FROM alerts_warningreport r WHERE r.warning_id = w.id)
    """)
    sql("ANALYZE alerts_warningreport")
    # The history through its one writer (hash-chained like every event); one "raised" event per bench warning.
    seeded = Warning.objects.filter(reports__screening_result_id__startswith="bench-").exclude(events__isnull=False)
    services.record_events(warnings=seeded, kind="raised", at=now, to_state=states.RAISED, to_level=F("level_id"),
                           to_tier=F("tier"), reason="Screening result")
    sql("DROP TABLE bench_pick")
    sql("ANALYZE")
    print(f"seeded {scalar('SELECT count(*) FROM alerts_warning'):,} warnings "
          f"({scalar('SELECT count(*) FROM alerts_warning WHERE state <> %s', ['closed']):,} open) "
          f"in {time.monotonic() - start:.0f} s")


def snapshot() -> None:
    """The seeded state, taken once; every measurement restores it."""
    if scalar("SELECT to_regclass('bench_snapshot') IS NOT NULL"):
        return
    sql("CREATE TABLE bench_snapshot AS SELECT id, tier, ack_pending, due_at, escalated_at, escalation_count, "
        "last_event_at FROM alerts_warning")


def restore() -> None:
    """Undo a sweep: the bench database is the only place the append-only guard is lifted, by its owner."""
    sql("""UPDATE alerts_warning w SET tier = s.tier, ack_pending = s.ack_pending, due_at = s.due_at,
               escalated_at = s.escalated_at, escalation_count = s.escalation_count, last_event_at = s.last_event_at
           FROM bench_snapshot s WHERE s.id = w.id AND (w.tier <> s.tier OR w.due_at IS DISTINCT FROM s.due_at)""")
    sql("ALTER TABLE alerts_warningevent DISABLE TRIGGER alerts_warningevent_append_only")
    sql("DELETE FROM alerts_warningevent WHERE kind = 'escalated'")
    sql("ALTER TABLE alerts_warningevent ENABLE TRIGGER alerts_warningevent_append_only")
    sql("DELETE FROM notify_notification WHERE kind LIKE 'warning.escalated%'")
    sql("VACUUM ANALYZE alerts_warning")


def overdue_share(share: float, now: datetime) -> int:
    """Make `share` of the warnings on a clock overdue at `now` (the rest due later)."""
    if share == 0:
        return sql("UPDATE alerts_warning SET due_at = %s + interval '1 day' WHERE due_at IS NOT NULL", [now])
    modulo = max(1, round(1 / share))
    return sql("""UPDATE alerts_warning SET due_at = CASE WHEN id %% %s = 0 THEN %s - interval '1 minute'
                                                          ELSE %s + interval '1 day' END
                  WHERE due_at IS NOT NULL""", [modulo, now, now])


def measure(label: str, fn, repeat: int, setup=None, teardown=None) -> list[float]:
    times, results = [], []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        results.append(fn())
        times.append(time.perf_counter() - start)
        if teardown:
            teardown()
    print(f"{label:34s} median {statistics.median(times):6.2f} s   max {max(times):6.2f} s   "
          f"(n={repeat}; {results[-1]})")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_500_000)
    parser.add_argument("--warnings", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded bench database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pdf", action="store_true", help="leave out the 2,000 PDFs")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()

    use_database(args.database, fresh=not args.reuse)
    from django.db import connection

    loaded = args.reuse and scalar("SELECT to_regclass('people_student') IS NOT NULL") and \
        scalar("SELECT count(*) FROM people_student") >= args.students
    if not loaded:
        connection.close()
        use_database(args.database, fresh=True)
        load(args.students)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=10, minute=0, second=0, microsecond=0)
    add_centre_staff()
    seed_warnings(args.warnings, now)
    run(args, now)


def run(args, now: datetime) -> None:
    from django.db import connection

    from runxin.alerts import daily, escalation
    from runxin.alerts.models import DailyReport
    from runxin.notify import services as notify_services
    from runxin.notify.models import Notification
    from runxin.org.models import OrgUnit

    students = scalar("SELECT count(*) FROM people_student")
    schools = scalar("SELECT count(*) FROM org_orgunit WHERE kind = 'school'")
    open_ = scalar("SELECT count(*) FROM alerts_warning WHERE state NOT IN ('closed', 'dismissed')")
    timed_ = scalar("SELECT count(*) FROM alerts_warning WHERE due_at IS NOT NULL")
    print(f"\n{students:,} students in {schools:,} schools; {open_:,} open warnings ({timed_:,} on a clock); "
          f"PostgreSQL {connection.pg_version}\n")

    snapshot()
    restore()
    # The sweep records its e-mails and SMS as notification rows; sending them is the worker's job (Celery in
    # production), not part of the sweep. In-process that would run right after the commit, so leave it out.
    notify_services.schedule_delivery = lambda: None
    sweep_at = now + timedelta(minutes=1)

    def sweep():
        return f"{escalation.escalation_sweep(now=sweep_at):,} escalated"

    measure("sweep, nothing due", sweep, args.repeat, setup=lambda: overdue_share(0, now), teardown=restore)
    measure("sweep, 20 % overdue", sweep, args.repeat, setup=lambda: (overdue_share(0.2, now), sql("ANALYZE alerts_warning")),
            teardown=restore)
    measure("sweep, every timer overdue", sweep, args.repeat,
            setup=lambda: (overdue_share(1, now), sql("ANALYZE alerts_warning")), teardown=restore)
    assert scalar("SELECT count(*) FROM notify_notification WHERE kind LIKE 'warning.escalated%'") == 0
    # Leave a realistic day behind for the reports: a fifth escalated during the window.
    overdue_share(0.2, now)
    escalation.escalation_sweep(now=sweep_at)
    print()

    day = daily.report_day(now + timedelta(days=1))
    units = daily.report_units()
    levels = daily.levels_by_id()

    def build_and_text():
        reports = daily.build(units, day)
        for report in reports.values():
            daily.email_text(report, levels, now)
        rows = sum(sum(report.counts.values()) for report in reports.values() if report.unit.kind == "school")
        return f"{len(reports):,} reports, {rows:,} listed rows in school reports"

    def send():
        result = daily.send_daily_reports(day=day, now=now)
        return f"{result['sent']:,} sent"

    def unsend():
        DailyReport.objects.filter(day=day).delete()
        Notification.objects.filter(kind="daily_report").delete()
        sql("DELETE FROM alerts_scheduledjob")

    measure("daily reports, build + text", build_and_text, args.repeat)
    measure("daily reports, send", send, args.repeat, teardown=unsend)
    if not args.skip_pdf:
        school_units = [u for u in units if u.kind == OrgUnit.Kind.SCHOOL]

        def pdfs():
            reports = daily.build(school_units, day)
            size = sum(len(daily.pdf(report, levels)) for report in reports.values())
            return f"{len(reports):,} PDFs, {size / 1e6:.1f} MB"

        measure("daily reports, PDF per school", pdfs, 1)
    restore()


if __name__ == "__main__":
    main()
