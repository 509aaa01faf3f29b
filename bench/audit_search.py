"""Audit search on large audit tables.

    .venv/bin/python bench/audit_search.py [--changes 2000000] [--reads 2000000] [--sign-ins 500000]
                                           [--failures 200000] [--students 100000] [--reuse] [--repeat 20]

Fills its own PostgreSQL database (runxin_bench_audit; kept for --reuse) with a synthetic history spread over
90 days: change events (auditlog LogEntry; a quarter of them guardian changes that name their student in the
serialised row), read events, successful sign-ins and failed ones (some lockouts). Then ANALYZEs it and times,
through the selector the audit page uses (audit.selectors.audit_search) and through the whole HTTP view (Django
test client, full middleware, session):
  page 1 unfiltered · page 40 (39 "older" steps in) · one user · one student's number · lockouts · one IP ·
  one change's detail · a CSV export of one student's history.
Target: every page ≤ 100 ms whatever the table sizes (keyset paging, no COUNT).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import summary, timed, use_database  # noqa: E402

DATABASE = "runxin_bench_audit"


def load(args) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    from runxin.people.models import Guardian, Student
    from runxin.testing.world import build_world

    start = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    world = build_world()
    print(f"migrated, small world built in {time.monotonic() - start:.1f} s")
    student_ct = ContentType.objects.get_for_model(Student).pk
    guardian_ct = ContentType.objects.get_for_model(Guardian).pk
    school = world.school.pk
    with connection.cursor() as cur:
        start = time.monotonic()
        cur.execute("""
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                       is_active, date_joined, display_name, phone, must_change_password)
            SELECT '!', false, 'staff' || i, '', '', '', false, true, now(), '老师' || i, '', false
            FROM generate_series(1, 2000) AS i""")
        cur.execute(f"""
            INSERT INTO people_student (student_number, name, sex, birth_date, id_number, boarding, status,
                                        is_key_student, school_id, created_at, updated_at)
            SELECT 'B' || lpad(i::text, 18, '0'), '学生' || i, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
                   date '2012-01-01' + (i % 1500), '', 'day', 'enrolled', false, {school}, now(), now()
            FROM generate_series(1, {args.students}) AS i""")
        cur.execute("SELECT min(id), max(id) FROM accounts_user WHERE username LIKE 'staff%'")
        u_min, u_max = cur.fetchone()
        cur.execute("SELECT min(id), max(id) FROM people_student WHERE student_number LIKE 'B%'")
        s_min, s_max = cur.fetchone()
        print(f"2,000 users, {args.students:,} students in {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        cur.execute(f"""
            INSERT INTO auditlog_logentry (content_type_id, object_pk, object_id, object_repr, serialized_data,
                                           action, changes_text, changes, actor_id, remote_addr, timestamp)
            SELECT CASE WHEN i % 4 = 0 THEN {guardian_ct} ELSE {student_ct} END,
                   (CASE WHEN i % 4 = 0 THEN i ELSE {s_min} + i % {args.students} END)::text,
                   CASE WHEN i % 4 = 0 THEN i ELSE {s_min} + i % {args.students} END,
                   'row ' || i,
                   CASE WHEN i % 4 = 0 THEN jsonb_build_object('fields', jsonb_build_object(
                        'student', {s_min} + (i * 7) % {args.students})) END,
                   CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END, '',
                   jsonb_build_object('status', jsonb_build_array('enrolled', 'suspended')),
                   {u_min} + i % ({u_max} - {u_min} + 1),
                   ('10.' || (i % 200) || '.' || (i % 250) || '.' || (i % 97))::inet,
                   now() - (i * interval '90 days' / {args.changes})
            FROM generate_series(1, {args.changes}) AS i""")
        print(f"{args.changes:,} change events in {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        cur.execute(f"""
            INSERT INTO access_readevent (at, user_id, student_id, record_type, record_id, purpose, via_break_glass,
                                          remote_addr, path)
            SELECT now() - (i * interval '90 days' / {args.reads}), {u_min} + i % ({u_max} - {u_min} + 1),
                   {s_min} + (i * 13) % {args.students}, 'student.profile', i::text, '', i % 5000 = 0,
                   ('10.' || (i % 200) || '.' || (i % 250) || '.' || (i % 89))::inet, '/students/'
            FROM generate_series(1, {args.reads}) AS i""")
        print(f"{args.reads:,} read events in {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        cur.execute(f"""
            INSERT INTO axes_accesslog (user_agent, ip_address, username, http_accept, path_info, attempt_time,
                                        session_hash)
            SELECT 'Mozilla/5.0', ('10.' || (i % 200) || '.1.' || (i % 90))::inet, 'staff' || (1 + i % 2000),
                   'text/html', '/accounts/login/', now() - (i * interval '90 days' / {args.sign_ins}), ''
            FROM generate_series(1, {args.sign_ins}) AS i""")
        cur.execute(f"""
            INSERT INTO axes_accessfailurelog (user_agent, ip_address, username, http_accept, path_info,
                                               attempt_time, locked_out)
            SELECT 'Mozilla/5.0', ('10.' || (i % 200) || '.2.' || (i % 90))::inet, 'staff' || (1 + i % 2000),
                   'text/html', '/accounts/login/', now() - (i * interval '90 days' / {args.failures}), i % 50 = 0
            FROM generate_series(1, {args.failures}) AS i""")
        print(f"{args.sign_ins:,} sign-ins, {args.failures:,} failures in {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        cur.execute("ANALYZE")
        print(f"analyzed in {time.monotonic() - start:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=2_000_000)
    parser.add_argument("--reads", type=int, default=2_000_000)
    parser.add_argument("--sign-ins", type=int, default=500_000)
    parser.add_argument("--failures", type=int, default=200_000)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    use_database(DATABASE, fresh=not args.reuse)
    if not args.reuse:
        load(args)

    from auditlog.models import LogEntry
    from django.test import Client

    from runxin.accounts.models import User
    from runxin.audit import export, selectors

    auditor = User.objects.get(username="auditor")
    number = "B" + "7".rjust(18, "0")
    entry_id = LogEntry.objects.order_by("-timestamp", "-id").values_list("id", flat=True).first()
    deep = None
    for _ in range(39):
        page = selectors.audit_search(auditor, selectors.Filters(), before=deep)
        deep = page.older
    cases = {
        "page 1, no filter": (selectors.Filters(), None, ""),
        "page 40, no filter": (selectors.Filters(), deep, f"before={deep.encode()}"),
        "one user": (selectors.Filters(actor="staff17"), None, "actor=staff17"),
        "one student number": (selectors.Filters(student_number=number), None, f"subject={number}"),
        "lockouts": (selectors.Filters(action="lockout"), None, "action=lockout"),
        "one IP": (selectors.Filters(ip="10.17.17.17"), None, "ip=10.17.17.17"),
    }
    print(f"\n{'case':24} selector{'':33} HTTP view")
    client = Client()
    client.force_login(auditor)
    for name, (filters, before, query) in cases.items():
        rows = len(selectors.audit_search(auditor, filters, before=before).rows)
        direct = timed(lambda f=filters, b=before: selectors.audit_search(auditor, f, before=b), repeat=args.repeat)
        http = timed(lambda q=query: client.get(f"/audit/?{q}"), repeat=args.repeat)
        print(f"{name:24} {summary(direct)}   {summary(http)}   rows={rows}")
    detail = timed(lambda: client.get(f"/audit/changes/{entry_id}/"), repeat=args.repeat)
    print(f"{'one change (detail)':24} {'':41}{summary(detail)}")
    start = time.perf_counter()
    lines = sum(1 for _ in export.csv_chunks(auditor, selectors.Filters(student_number=number)))
    print(f"CSV export of one student's history: {lines - 2} rows in {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
