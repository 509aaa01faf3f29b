"""The dashboards' figures at city scale: rebuild, incremental pass, pages, and the raw SQL check.

    .venv/bin/python bench/dashboards.py [--students 1500000] [--reuse] [--requests 50]
    .venv/bin/python bench/dashboards.py --students 60000 --requests 10     (a quick check)

Seeds, in its own PostgreSQL database (runxin_bench_dashboards; kept with --reuse), a city of --students students
with three school years of history, straight in SQL (INSERT … SELECT over generate_series, no Python per row):
12 districts, one school per 750 students, six grades of three classes per school and school year; every student's
enrollments; two universal screenings a year (PHQ-A and GAD-7 in autumn, PHQ-A in spring; 95 % hand in: about
9 M results at full size); 300 k warnings (one in five students) with their history of events (raised … cleared,
some dismissed, escalated or re-levelled; about 1 % of the students have a current one), two follow-ups after
each clearing, referrals with first visits, home visits for seven students in ten a year, key students and
incidents. Then it times, printing each phase:

  rebuild                 from an empty table: every school's figures for every month, districts, city, and
                          suppression for every month (refresh.rebuild, what the first night does)
  suppression, one month  the whole tree's decision for the running month (what every pass that changes it pays)
  incremental pass        after a minute's burst of work (200 warnings raised through the services, follow-ups
                          done, first visits, home visits, 500 questionnaires handed in); again with nothing new
                          (the overlap looks at the same changes); after ten students moved class (their whole
                          history moves: their schools for every month)
  dashboard pages         analytics:dashboard / analytics:dashboard_unit through Django's test client as a city
                          administrator, a district centre member, a school leader and a head teacher:
                          p50/p95 over --requests requests each (target p95 ≤ 300 ms); a service group's page
                          (four groups over the first district's schools, made through the org services) and
                          that district's page again, now with its groups; then, for the record, the warning
                          overview and the home-visit coverage of the city, which decide what to hide per request
  raw SQL                 the running month's figures of the city and of a district straight from the base tables
                          (analytics.raw_figures): checked equal to the stored ones, and the speed ratio

The machine is shared and has 2 cores: figures vary from run to run.
"""

import argparse
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import use_database  # noqa: E402

DATABASE = "runxin_bench_dashboards"
PER_SCHOOL = 750
DISTRICTS = 12
LEVELS = 6  # grades per school (levels 7 … 12)
CLASSES = 3  # classes per grade
WARNINGS_PER_STUDENT = 0.2


def sql(statement: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def scalar(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


class Phase:
    """Prints how long a phase took."""

    def __init__(self, label: str):
        self.label = label

    def __enter__(self):
        self.started = time.monotonic()
        print(f"{self.label} …", flush=True)
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            print(f"  {self.label}: {time.monotonic() - self.started:.1f} s", flush=True)


# ------------------------------------------------------------------------------------------------------ seeding

def year_starts(today: date) -> list[date]:
    first = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return [first.replace(year=first.year - 2), first.replace(year=first.year - 1), first]


def seed(students: int, now: datetime) -> None:

    # The rows are made consistent by construction: skip the per-row foreign-key checks while seeding (the
    # database's own triggers, such as the warning history's hash chain, still run).
    sql("SET session_replication_role = replica")

    starts = year_starts(now.date())
    schools = max(1, students // PER_SCHOOL)
    # Each phase is skipped when its rows are there: an interrupted seeding resumes with --reuse.
    if not scalar("SELECT count(*) FROM org_orgunit WHERE code = 'BENCH'"):
        seed_tree(starts, schools)
    helper_tables(starts)
    if scalar("SELECT count(*) FROM people_student") < students:
        seed_students(students, starts, now)
    helper_tables(starts)
    if not scalar("SELECT count(*) FROM people_keystudentmark"):
        seed_marks_and_incidents(starts, schools, now)
    seed_screening(starts, now)
    if not scalar("SELECT count(*) FROM alerts_warning"):
        seed_warnings(students, now)
    if not scalar("SELECT count(*) FROM visits_familycontact"):
        seed_visits(starts, now)
    with Phase("seed: ANALYZE"):
        sql("DROP TABLE IF EXISTS bench_class")
        sql("DROP TABLE IF EXISTS bench_student")
        sql("SET session_replication_role = origin")
        sql("ANALYZE")
        sql("CREATE TABLE IF NOT EXISTS bench_seeded (students int)")
        sql("INSERT INTO bench_seeded VALUES (%s)", [students])


def seed_tree(starts: list[date], schools: int) -> None:
    from django.contrib.auth.hashers import make_password

    with Phase("seed: school years, the region tree, a bench user"):
        for i, start in enumerate(starts):
            sql("INSERT INTO org_schoolyear (code, starts_on, ends_on, is_current) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (code) DO NOTHING",
                [f"{start.year}-{start.year + 1}", start, start.replace(year=start.year + 1) - timedelta(days=1),
                 i == 2])
        sql("UPDATE org_schoolyear SET is_current = (starts_on = %s)", [starts[2]])
        sql("""INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                   is_active, date_joined, display_name, phone, must_change_password)
               VALUES (%s, false, 'bench-author', '', '', 'bench@example.cn', false, true, now(), '记录人', '', false)
               ON CONFLICT (username) DO NOTHING""", [make_password("bench-only-password-1!")])
        unit = ("INSERT INTO org_orgunit (kind, name, code, path, depth, school_type, is_active, address, boarding, "
                "partner_type, parent_id, district_id, school_id, school_year_id, grade_level, class_number) ")
        sql(unit + "VALUES ('city', '润州市', 'BENCH', '', 0, '', true, '', '', '', NULL, NULL, NULL, NULL, NULL, NULL)")
        city = scalar("SELECT id FROM org_orgunit WHERE code = 'BENCH'")
        sql("UPDATE org_orgunit SET path = '/' || id || '/' WHERE id = %s", [city])
        sql(unit + "SELECT 'hospital', '市第七人民医院', 'BENCH-H', '', 1, '', true, '', '', '', %s, NULL, NULL, NULL, "
            "NULL, NULL", [city])
        sql(unit + f"""SELECT 'district', '第' || d || '区', 'BD' || d, '', 1, '', true, '', '', '', %s, NULL, NULL,
                           NULL, NULL, NULL FROM generate_series(1, {DISTRICTS}) d""", [city])
        sql("UPDATE org_orgunit SET district_id = id WHERE kind = 'district'")
        sql(unit + f"""SELECT 'school', '第' || s || '中学', 'BS' || s, '', 2, 'complete', true, '', '', '', d.id, d.id,
                           NULL, NULL, NULL, NULL
                       FROM generate_series(1, {schools}) s
                       JOIN org_orgunit d ON d.kind = 'district' AND d.code = 'BD' || (1 + mod(s, {DISTRICTS}))""")
        sql("UPDATE org_orgunit SET school_id = id WHERE kind = 'school'")
        sql(unit + f"""SELECT 'grade', y.code || ' ' || (6 + g) || '年级', '', '', 3, '', true, '', '', '', s.id,
                           s.district_id, s.id, y.id, 6 + g, NULL
                       FROM org_orgunit s CROSS JOIN org_schoolyear y CROSS JOIN generate_series(1, {LEVELS}) g
                       WHERE s.kind = 'school'""")
        sql(unit + f"""SELECT 'class', g.name || '(' || c || ')班', '', '', 4, '', true, '', '', '', g.id,
                           g.district_id, g.school_id, g.school_year_id, g.grade_level, c
                       FROM org_orgunit g CROSS JOIN generate_series(1, {CLASSES}) c WHERE g.kind = 'grade'""")
        for depth in (1, 2, 3, 4):
            sql("""UPDATE org_orgunit u SET path = p.path || u.id || '/' FROM org_orgunit p
                   WHERE u.parent_id = p.id AND u.depth = %s""", [depth])
        sql("ANALYZE org_orgunit")


def helper_tables(starts: list[date]) -> None:
    """bench_class: each current class with its index and the same class one and two years earlier;
    bench_student: each student with their classes."""
    if not scalar("SELECT to_regclass('bench_class') IS NOT NULL"):
        sql("""CREATE TABLE bench_class AS
               SELECT row_number() OVER (ORDER BY c.id) - 1 AS k, c.id AS class_id, c.parent_id AS grade_id,
                      c.school_id, c.district_id, c.grade_level AS level, c.class_number,
                      c1.id AS class1, c1.parent_id AS grade1, c0.id AS class0, c0.parent_id AS grade0
               FROM org_orgunit c
               JOIN org_schoolyear y ON y.id = c.school_year_id AND y.is_current
               LEFT JOIN org_orgunit c1 ON c1.school_id = c.school_id AND c1.kind = 'class'
                    AND c1.grade_level = c.grade_level - 1 AND c1.class_number = c.class_number
                    AND c1.school_year_id = (SELECT id FROM org_schoolyear WHERE starts_on = %s)
               LEFT JOIN org_orgunit c0 ON c0.school_id = c.school_id AND c0.kind = 'class'
                    AND c0.grade_level = c.grade_level - 2 AND c0.class_number = c.class_number
                    AND c0.school_year_id = (SELECT id FROM org_schoolyear WHERE starts_on = %s)
               WHERE c.kind = 'class'""", [starts[1], starts[0]])
        sql("CREATE UNIQUE INDEX ON bench_class (k)")
    if scalar("SELECT count(*) FROM people_student") and not scalar("SELECT to_regclass('bench_student') IS NOT NULL"):
        sql("""CREATE TABLE bench_student AS
               SELECT s.id AS student_id, c.* FROM people_student s JOIN bench_class c ON c.class_id = s.school_class_id""")
        sql("CREATE INDEX ON bench_student (student_id)")


def seed_students(students: int, starts: list[date], now: datetime) -> None:
    classes = scalar("SELECT count(*) FROM bench_class")
    with Phase(f"seed: {students:,} students and their enrollments"):
        sql(f"""INSERT INTO people_student (student_number, name, sex, birth_date, id_number, boarding, status,
                   is_key_student, created_at, updated_at, city_id, district_id, grade_id, school_id, school_class_id)
                SELECT 'B' || lpad(i::text, 9, '0'), '学生' || i, CASE WHEN mod(i, 2) = 0 THEN 'M' ELSE 'F' END,
                       date '2010-01-01' + mod(i, 2000), '', 'day', 'enrolled', mod(i, 33) = 0, %s, %s, %s,
                       c.district_id, c.grade_id, c.school_id, c.class_id
                FROM generate_series(1, {students}) i JOIN bench_class c ON c.k = mod(i, {classes})""",
            [datetime.combine(starts[0], datetime.min.time(), tzinfo=now.tzinfo)] * 2 + [scalar(
                "SELECT id FROM org_orgunit WHERE code = 'BENCH'")])
        sql("ANALYZE people_student")
        helper_tables(starts)
        for y, (class_col, start) in enumerate((("class0", starts[0]), ("class1", starts[1]), ("class_id", starts[2]))):
            ends = "NULL" if y == 2 else "%s"
            params = [start, *([starts[y + 1]] if y < 2 else [])]
            sql(f"""INSERT INTO people_enrollment (student_id, school_class_id, school_id, school_year_id, started_on,
                       ended_on, reason, end_reason)
                    SELECT b.student_id, b.{class_col}, b.school_id, o.school_year_id, %s, {ends},
                           'promoted', ''
                    FROM bench_student b JOIN org_orgunit o ON o.id = b.{class_col}""", params)
        sql("ANALYZE people_enrollment")


def seed_marks_and_incidents(starts: list[date], schools: int, now: datetime) -> None:
    with Phase("seed: key students (marks, some ended) and incident reviews"):
        sql("""INSERT INTO people_keystudentmark (student_id, category_id, reason, marked_by_id, marked_on, review_on,
                   ended_on)
               SELECT s.id, (SELECT min(id) FROM people_keystudentcategory), '', u.id,
                      %s + mod(s.id, 400)::int, %s + mod(s.id, 400)::int + 120,
                      CASE WHEN s.is_key_student THEN NULL ELSE %s + mod(s.id, 400)::int + 90 END
               FROM people_student s CROSS JOIN accounts_user u
               WHERE u.username = 'bench-author' AND (s.is_key_student OR mod(s.id, 47) = 0)""",
            [starts[0]] * 3)
        sql("""INSERT INTO cases_incidentreview (school_id, district_id, student_id, kind, incident_on, status,
                   timeline, findings, actions, author_id, created_at, finalised_at)
               SELECT s.id, s.district_id, NULL, 'self_harm', %s + mod(i * 7, (%s - %s) - 1), 'final', '', '', '',
                      u.id, %s, NULL
               FROM generate_series(1, 300) i
               JOIN org_orgunit s ON s.kind = 'school' AND s.code = 'BS' || (1 + mod(i * 37, %s))
               CROSS JOIN accounts_user u WHERE u.username = 'bench-author'""",
            [starts[0], now.date(), starts[0], now - timedelta(days=3), schools])


def campaigns(starts: list[date]) -> list[tuple[date, list[str], int]]:
    """(opens on, instruments, school year index): autumn (two instruments) and spring (one) each year."""
    found = []
    for y, start in enumerate(starts):
        found.append((date(start.year, 10, 15), ["phqa", "gad7"], y))
        found.append((date(start.year + 1, 4, 10), ["phqa"], y))
    return found


def seed_screening(starts: list[date], now: datetime) -> None:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    versions = dict(sql_rows("SELECT i.code, max(v.id) FROM screening_instrumentversion v "
                             "JOIN screening_instrument i ON i.id = v.instrument_id GROUP BY i.code"))
    city = scalar("SELECT id FROM org_orgunit WHERE code = 'BENCH'")
    for opens, codes, y in campaigns(starts):
        if opens >= now.date() or scalar("SELECT count(*) FROM screening_campaign WHERE name = %s",
                                         [f"{opens:%Y年%m月}普测"]):
            continue
        with Phase(f"seed: universal screening of {opens:%Y-%m} ({', '.join(codes)})"):
            closes = opens + timedelta(days=14)
            campaign = scalar(
                """INSERT INTO screening_campaign (name, kind, owner_id, status, window_start, window_end, consent_mode,
                       target_grades, target_key_students, created_by_id, created_at, opened_at, closed_at)
                   SELECT %s, 'universal', %s, %s, %s, %s, 'opt_out', '[7, 8, 9, 10, 11, 12]'::jsonb, false, u.id,
                          %s, %s, %s FROM accounts_user u WHERE u.username = 'bench-author' RETURNING id""",
                [f"{opens:%Y年%m月}普测", city, "closed" if closes < now.date() else "open", opens, closes,
                 datetime.combine(opens, datetime.min.time(), tzinfo=tz), datetime.combine(opens, datetime.min.time(),
                                                                                        tzinfo=tz),
                 datetime.combine(closes, datetime.min.time(), tzinfo=tz) if closes < now.date() else None])
            for position, code in enumerate(codes, start=1):
                sql("INSERT INTO screening_campaigninstrument (campaign_id, version_id, position) VALUES (%s, %s, %s)",
                    [campaign, versions[code], position])
            class_col, grade_col = {0: ("class0", "grade0"), 1: ("class1", "grade1"), 2: ("class_id", "grade_id")}[y]
            at = datetime.combine(opens, datetime.min.time(), tzinfo=tz)
            # Finished targets: 95 %, handed in over the two weeks in school hours (8:00 … 16:00).
            sql(f"""INSERT INTO screening_campaigntarget (campaign_id, student_id, school_class_id, grade_id, school_id,
                        district_id, grade_level, student_decision, started_at, finished_at)
                    SELECT %s, b.student_id, b.{class_col}, b.{grade_col}, b.school_id, b.district_id, o.grade_level, '',
                           CASE WHEN mod(b.student_id * 31 + %s, 20) <> 0 THEN t.at END,
                           CASE WHEN mod(b.student_id * 31 + %s, 20) <> 0 THEN t.at END
                    FROM bench_student b JOIN org_orgunit o ON o.id = b.{class_col}
                    CROSS JOIN LATERAL (SELECT %s + mod(b.student_id * 7919, 14) * interval '1 day'
                                        + interval '8 hours' + mod(b.student_id * 104729, 28800) * interval '1 second'
                                        AS at) t""", [campaign, campaign, campaign, at])
            sql("ANALYZE screening_campaigntarget")
            sql("""INSERT INTO screening_submission (client_id, target_id, answers, elapsed, received_at, via, risk_rank,
                       critical)
                   SELECT md5(t.id::text || 'bench')::uuid, t.id, '{}'::jsonb, '{}'::jsonb, t.finished_at, 'code', 0,
                          false
                   FROM screening_campaigntarget t WHERE t.campaign_id = %s AND t.finished_at IS NOT NULL""",
                [campaign])
            for code in codes:
                # Bands: 85 % none, 11 % moderate, 4 % high; 1 % with a positive critical item; 2 % not valid.
                sql("""INSERT INTO screening_result (submission_id, target_id, campaign_id, student_id,
                           instrument_version_id, instrument_code, score, total, band_code, band_level, validity,
                           risk_level, risk_reasons, critical, scored_at)
                       SELECT s.id, t.id, t.campaign_id, t.student_id, %s, %s, '{}'::jsonb, NULL, b.band, b.band,
                              CASE WHEN mod(h, 50) = 7 THEN 'invalid' ELSE 'valid' END,
                              CASE b.band WHEN 'high' THEN 'high' WHEN 'moderate' THEN 'moderate' ELSE 'none' END,
                              '[]'::jsonb, mod(h, 100) = 3, s.received_at
                       FROM screening_submission s JOIN screening_campaigntarget t ON t.id = s.target_id
                       CROSS JOIN LATERAL (SELECT mod(t.student_id * 2654435761 + t.campaign_id * 40503 + %s, 1000) AS h) x
                       CROSS JOIN LATERAL (SELECT CASE WHEN h < 850 THEN 'none' WHEN h < 960 THEN 'moderate'
                                                       ELSE 'high' END AS band) b
                       WHERE t.campaign_id = %s""", [versions[code], code, len(code), campaign])
    sql("ANALYZE screening_submission, screening_result")


def sql_rows(statement: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def seed_warnings(students: int, now: datetime) -> None:
    """One warning for every fifth student (each student at most one: distinct by a multiplicative hash), raised
    evenly from the first school year's start to now, and their lives as of now."""
    count = int(students * WARNINGS_PER_STUDENT)
    levels = dict(sql_rows("SELECT code, id FROM alerts_warninglevel"))
    first = scalar("SELECT min(starts_on) FROM org_schoolyear")
    with Phase(f"seed: {count:,} warnings, their events, follow-ups and referrals"):
        span = (now - datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)).total_seconds()
        sql("DROP TABLE IF EXISTS bench_w")
        # The moments of each warning's steps (NULL after now or when it does not happen).
        sql(f"""CREATE TABLE bench_w AS
                SELECT n, student_id, level, raised,
                       raised + interval '1 hour' AS ack,
                       raised + interval '1 day' AS assessed,
                       CASE WHEN mod(n, 10) = 7 THEN raised + interval '1 day' END AS dismissed,
                       CASE WHEN mod(n, 10) <> 7 THEN raised + interval '2 days' END AS intervention,
                       CASE WHEN mod(n, 10) <> 7 THEN raised + interval '10 days' END AS monitoring,
                       CASE WHEN mod(n, 10) <> 7 THEN raised + (d - 2) * interval '1 day' END AS clear_requested,
                       CASE WHEN mod(n, 10) <> 7 THEN raised + d * interval '1 day' END AS cleared,
                       CASE WHEN mod(n, 10) <> 7 THEN raised + (d + 45) * interval '1 day' END AS closed,
                       CASE WHEN mod(n, 20) = 1 THEN raised + interval '3 hours' END AS escalated,
                       CASE WHEN mod(n, 33) = 4 THEN raised + interval '1 day' END AS relevelled,
                       CASE WHEN mod(n, 20) = 3 THEN raised + interval '3 days' END AS referred
                FROM (SELECT n, 1 + mod(n * 7919, {students}) AS student_id,
                             CASE WHEN mod(n, 10) = 0 THEN 'red' WHEN mod(n, 10) < 4 THEN 'orange' ELSE 'yellow' END
                               AS level,
                             %s + (n::float / {count} * {span}) * interval '1 second' AS raised,
                             20 + mod(n * 13, 100) AS d
                      FROM generate_series(1::bigint, {count}) n) x""",
            [datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)])
        sql("UPDATE bench_w b SET student_id = s.id FROM (SELECT id, row_number() OVER (ORDER BY id) AS r "
            "FROM people_student) s WHERE s.r = b.student_id")
        sql("CREATE INDEX ON bench_w (n)")
        state = """CASE WHEN dismissed IS NOT NULL AND dismissed <= %(now)s THEN 'dismissed'
                        WHEN closed <= %(now)s THEN 'closed' WHEN cleared <= %(now)s THEN 'cleared'
                        WHEN clear_requested <= %(now)s THEN 'clear_requested'
                        WHEN monitoring <= %(now)s THEN 'monitoring' WHEN intervention <= %(now)s THEN 'intervention'
                        WHEN assessed <= %(now)s THEN 'assessed' WHEN ack <= %(now)s THEN 'acknowledged'
                        ELSE 'raised' END"""
        sql(f"""INSERT INTO alerts_warning (student_id, level_id, state, tier, ack_pending, due_at, source, needs_review,
                    raised_at, acknowledged_at, assessed_at, intervention_at, cleared_at, closed_at, dismissed_at,
                    escalated_at, escalation_count, referred_at, revisited_at, reopen_count, last_event_at)
                SELECT b.student_id,
                       CASE b.level WHEN 'red' THEN %(red)s WHEN 'orange' THEN %(orange)s ELSE %(yellow)s END,
                       st.state, CASE WHEN b.escalated <= %(now)s THEN 3 ELSE 2 END, st.state = 'raised',
                       CASE WHEN st.state IN ('raised', 'acknowledged', 'assessed')
                            THEN b.raised + CASE WHEN mod(b.n, 7) = 0 THEN interval '2 hours' ELSE interval '3 days' END
                       END,
                       'screening', false, b.raised,
                       CASE WHEN b.ack <= %(now)s THEN b.ack END, CASE WHEN b.assessed <= %(now)s THEN b.assessed END,
                       CASE WHEN b.intervention <= %(now)s THEN b.intervention END,
                       CASE WHEN b.cleared <= %(now)s THEN b.cleared END, CASE WHEN b.closed <= %(now)s THEN b.closed END,
                       CASE WHEN b.dismissed <= %(now)s THEN b.dismissed END,
                       CASE WHEN b.escalated <= %(now)s THEN b.escalated END,
                       CASE WHEN b.escalated <= %(now)s THEN 1 ELSE 0 END,
                       CASE WHEN b.referred <= %(now)s THEN b.referred END, NULL, 0,
                       GREATEST(b.raised, CASE WHEN b.ack <= %(now)s THEN b.ack END,
                                CASE WHEN b.assessed <= %(now)s THEN b.assessed END,
                                CASE WHEN b.closed <= %(now)s THEN b.closed END,
                                CASE WHEN b.cleared <= %(now)s THEN b.cleared END)
                FROM bench_w b CROSS JOIN LATERAL (SELECT {state} AS state) st""",
            {**levels, "now": now})
        sql("ALTER TABLE bench_w ADD COLUMN warning_id bigint")
        sql("UPDATE bench_w b SET warning_id = w.id FROM alerts_warning w WHERE w.student_id = b.student_id")
        sql("ANALYZE alerts_warning, bench_w")
        # The history (the database's hash chain runs on every row, as for any event).
        steps = [
            ("raised", "raised", "'', 'raised'", "NULL, 2", "NULL, CASE b.level WHEN 'red' THEN %(red)s "
             "WHEN 'orange' THEN %(orange)s ELSE %(yellow)s END"),
            ("acknowledged", "ack", "'raised', 'acknowledged'", "NULL, NULL", "NULL, NULL"),
            ("escalated", "escalated", "'acknowledged', 'acknowledged'", "2, 3", "NULL, NULL"),
            ("assessed", "assessed", "'acknowledged', 'assessed'", "NULL, NULL", "NULL, NULL"),
            ("dismissed", "dismissed", "'assessed', 'dismissed'", "NULL, NULL", "NULL, NULL"),
            ("level_changed", "relevelled", "'assessed', 'assessed'", "NULL, NULL", "%(yellow)s, %(orange)s"),
            ("intervention_started", "intervention", "'assessed', 'intervention'", "NULL, NULL", "NULL, NULL"),
            ("referred", "referred", "'intervention', 'intervention'", "NULL, NULL", "NULL, NULL"),
            ("monitoring_started", "monitoring", "'intervention', 'monitoring'", "NULL, NULL", "NULL, NULL"),
            ("clear_requested", "clear_requested", "'monitoring', 'clear_requested'", "NULL, NULL", "NULL, NULL"),
            ("clear_approved", "cleared", "'clear_requested', 'cleared'", "NULL, NULL", "NULL, NULL"),
            ("returned_to_normal", "closed", "'cleared', 'closed'", "NULL, NULL", "NULL, NULL"),
        ]
        for kind, column, states_, tiers, levels_ in steps:
            extra = " AND b.level = 'yellow'" if kind == "level_changed" else ""
            sql(f"""INSERT INTO alerts_warningevent (warning_id, at, kind, from_state, to_state, from_tier, to_tier,
                        from_level_id, to_level_id, reason, clinical_note, actor_protected)
                    SELECT b.warning_id, b.{column}, '{kind}', {states_}, {tiers}, {levels_}, '', '', false
                    FROM bench_w b WHERE b.{column} <= %(now)s{extra}""", {**levels, "now": now})
        # A re-levelled warning is orange now.
        sql("UPDATE alerts_warning w SET level_id = %s FROM bench_w b WHERE b.warning_id = w.id "
            "AND b.relevelled <= %s AND b.level = 'yellow'", [levels["orange"], now])
        sql("""INSERT INTO alerts_followup (student_id, warning_id, origin, due_on, done_at, note, created_at)
               SELECT b.student_id, b.warning_id, 'clearing', due.day,
                      CASE WHEN mod(b.n, 9) <> 0 AND due.day + mod(b.n, 3)::int < %(today)s
                           THEN (due.day + mod(b.n, 3)::int)::timestamp AT TIME ZONE 'Asia/Shanghai' + interval '15 hours' END,
                      '', b.cleared
               FROM bench_w b CROSS JOIN LATERAL (VALUES (7), (30)) AS after(days)
               CROSS JOIN LATERAL (SELECT ((b.cleared AT TIME ZONE 'Asia/Shanghai')::date + after.days) AS day) due
               WHERE b.cleared <= %(now)s""", {"now": now, "today": now.date()})
        sql("""INSERT INTO referrals_referral (student_id, warning_id, from_school_id, to_unit_id, urgent, reason, status,
                   referred_at, referred_by_id, guardian_informed_at, guardian_informed_by_id, guardian_name,
                   guardian_how, guardian_response, decline_reason, first_visit_at, clinical_summary, return_advice,
                   return_decision, return_arrangements, updated_at)
               SELECT b.student_id, b.warning_id, s.school_id, h.id, mod(b.n, 3) = 0, '', CASE WHEN fv.at <= %(now)s
                      THEN 'seen' ELSE 'accepted' END, b.referred, u.id, b.referred - interval '1 hour', u.id, '母亲',
                      'phone', '', '', CASE WHEN fv.at <= %(now)s THEN fv.at END, '', '', '', '', b.referred
               FROM bench_w b JOIN people_student s ON s.id = b.student_id
               CROSS JOIN LATERAL (SELECT b.referred + (mod(b.n, 10) * 24 + 19) * interval '1 hour' AS at) fv
               CROSS JOIN (SELECT id FROM org_orgunit WHERE code = 'BENCH-H') h
               CROSS JOIN (SELECT id FROM accounts_user WHERE username = 'bench-author') u
               WHERE b.referred <= %(now)s""", {"now": now})
        sql("DROP TABLE bench_w")
        sql("ANALYZE alerts_warning, alerts_warningevent, alerts_followup, referrals_referral")


def seed_visits(starts: list[date], now: datetime) -> None:
    """A home visit for seven students in ten each school year they were enrolled, on a school day of the year."""
    with Phase("seed: home visits"):
        for y, start in enumerate(starts):
            class_col = ("class0", "class1", "class_id")[y]
            sql(f"""INSERT INTO visits_familycontact (student_id, school_id, school_class_id, kind, status, planned_on,
                        done_on, visitors, met_with, dormitory, summary, agreed, created_at, updated_at)
                    SELECT b.student_id, b.school_id, b.{class_col}, 'home_visit', 'done', NULL, v.day, '班主任', '父母', '',
                           '', '', v.day + time '18:00', v.day + time '18:00'
                    FROM bench_student b
                    CROSS JOIN LATERAL (SELECT %s::date + mod(b.student_id * 48271, 300)::int AS day) v
                    WHERE b.{class_col} IS NOT NULL AND mod(b.student_id * 16807, 10) < 7 AND v.day < %s""",
                [start, now.date()])
    sql("ANALYZE visits_familycontact")


# -------------------------------------------------------------------------------------------------- the burst

def burst(now: datetime) -> str:
    """What a busy minute brings: new warnings raised through the services (a screening hand-over), follow-ups
    done, first visits, home visits and questionnaires handed in (these in SQL, as the services write them: the
    bench user holds no role at the schools)."""
    from runxin.alerts import services as alerts
    from runxin.notify import services as notify_services
    from runxin.people.models import Student

    # Sending the notifications is the worker's job (Celery in production), not part of raising.
    notify_services.schedule_delivery = lambda: None
    quiet = Student.objects.exclude(alert_warnings__isnull=False).order_by("id")
    for student in quiet[:200]:
        alerts.warning_raise_from_screening(student=student, result_id=f"bench-burst-{student.pk}-{now:%s}",
                                            suggested_level="moderate", reasons=["bench"], instrument_code="phqa")
    done = sql("""UPDATE alerts_followup SET done_at = %s WHERE id IN (
                      SELECT id FROM alerts_followup WHERE done_at IS NULL ORDER BY due_on LIMIT 100)""", [now])
    seen = sql("""UPDATE referrals_referral SET status = 'seen', first_visit_at = %s - interval '2 hours', updated_at = %s
                  WHERE id IN (SELECT id FROM referrals_referral WHERE first_visit_at IS NULL LIMIT 20)""", [now, now])
    visits = sql("""INSERT INTO visits_familycontact (student_id, school_id, school_class_id, kind, status, done_on,
                        visitors, met_with, dormitory, summary, agreed, created_at, updated_at)
                    SELECT id, school_id, school_class_id, 'home_visit', 'done', %s, '班主任', '父母', '', '', '', %s, %s
                    FROM people_student WHERE mod(id, 5003) = 0 LIMIT 300""", [now.date() - timedelta(days=1), now, now])
    campaign = scalar("SELECT max(id) FROM screening_campaign")
    handed = sql("""UPDATE screening_campaigntarget SET started_at = %s, finished_at = %s WHERE id IN (
                        SELECT id FROM screening_campaigntarget WHERE campaign_id = %s AND finished_at IS NULL
                        ORDER BY id LIMIT 500)""", [now, now, campaign])
    sql("""INSERT INTO screening_submission (client_id, target_id, answers, elapsed, received_at, via, risk_rank, critical)
           SELECT md5(t.id::text || 'burst' || %s)::uuid, t.id, '{}'::jsonb, '{}'::jsonb, %s, 'code', 0, false
           FROM screening_campaigntarget t WHERE t.campaign_id = %s AND t.finished_at = %s""",
        [now.isoformat(), now, campaign, now])
    version = scalar("SELECT version_id FROM screening_campaigninstrument WHERE campaign_id = %s ORDER BY position "
                     "LIMIT 1", [campaign])
    sql("""INSERT INTO screening_result (submission_id, target_id, campaign_id, student_id, instrument_version_id,
               instrument_code, score, band_code, band_level, validity, risk_level, risk_reasons, critical, scored_at)
           SELECT s.id, t.id, t.campaign_id, t.student_id, %s, 'phqa', '{}'::jsonb, 'none', 'none', 'valid', 'none',
                  '[]'::jsonb, false, %s
           FROM screening_submission s JOIN screening_campaigntarget t ON t.id = s.target_id
           WHERE t.campaign_id = %s AND s.received_at = %s""", [version, now, campaign, now])
    return (f"200 warnings raised, {done} follow-ups done, {seen} first visits, {visits} home visits, "
            f"{handed} questionnaires handed in")


def moves(count: int) -> str:
    """Students with a warning placed in another class of their grade (people.services.student_place): their whole
    history moves with them, so their schools are recomputed for every month."""
    from django.utils import timezone

    from runxin.org.models import OrgUnit
    from runxin.people import services as people
    from runxin.people.models import Student

    movers = list(Student.objects.filter(alert_warnings__isnull=False).order_by("-id")[:count])
    for student in movers:
        other = OrgUnit.objects.filter(parent_id=student.grade_id, kind="class").exclude(
            pk=student.school_class_id).first()
        people.student_place(student=student, school_class=other, on=timezone.localdate(), reason="class_changed")
    return f"{len(movers)} students moved class in {len({s.school_id for s in movers})} schools"


# ------------------------------------------------------------------------------------------------------- pages

def viewers() -> dict:
    """A city administrator, a district centre member, a school leader and a head teacher (made once)."""
    from runxin.accounts.models import User
    from runxin.org.models import OrgUnit
    from runxin.people.models import RoleAssignment

    city = OrgUnit.objects.get(code="BENCH")
    district = OrgUnit.objects.filter(kind="district").order_by("id").first()
    school = OrgUnit.objects.filter(kind="school", parent=district).order_by("id").first()
    grade = OrgUnit.objects.filter(kind="grade", parent=school, school_year__is_current=True).order_by("id").first()
    school_class = OrgUnit.objects.filter(kind="class", parent=grade).order_by("id").first()
    found = {}
    for username, role, unit in (("bench-city", "city_admin", city), ("bench-centre", "centre_staff", district),
                                 ("bench-leader", "school_leader", school), ("bench-head", "head_teacher", school_class)):
        user, _ = User.objects.get_or_create(username=username, defaults={"display_name": username})
        RoleAssignment.objects.get_or_create(user=user, role=role, org_unit=unit)
        found[username] = (user, unit)
    return found


def service_groups(district) -> list:
    """Four service groups (片区) over the district's schools, made through the org services once: the district
    page sums them and each group's page decides its hidden sums over the whole district."""
    from runxin.org import services as org
    from runxin.org.models import OrgUnit, ServiceGroup

    groups = list(ServiceGroup.objects.filter(district=district).order_by("id"))
    if not groups:
        schools = list(OrgUnit.objects.filter(kind="school", parent=district).order_by("id"))
        for n in range(4):
            group = org.service_group_create(district=district, name=f"第{n + 1}片区", code=f"P{n + 1}")
            org.service_group_set_schools(group=group, schools=schools[n::4])
            groups.append(group)
    return groups


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def time_pages(requests: int) -> None:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("analytics:dashboard")
    except NoReverseMatch:
        print("  the dashboard pages are not there yet (analytics:dashboard): only the selectors are timed")
        time_selectors(requests)
        return
    for username, (user, unit) in viewers().items():
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for url in (reverse("analytics:dashboard"), reverse("analytics:dashboard_unit", args=[unit.pk])):
            times = []
            status = None
            for i in range(requests + 3):
                started = time.perf_counter()
                response = client.get(url, follow=False)
                elapsed = (time.perf_counter() - started) * 1000
                status = response.status_code
                if i >= 3:  # three to warm up
                    times.append(elapsed)
            print(f"  {username:13s} {url:28s} HTTP {status}  p50 {statistics.median(times):6.1f} ms   "
                  f"p95 {percentile(times, 0.95):6.1f} ms   (n={len(times)})", flush=True)
    found = viewers()
    centre, district = found["bench-centre"]
    city_admin, city = found["bench-city"]
    # A service group's page (its 24 months decided over the whole district); then, for the record, the two
    # pages outside the dashboards that decide per request: the warning overview and the home-visit coverage.
    group = service_groups(district)[0]
    for user, url, n in ((centre, reverse("analytics:dashboard_group", args=[group.pk]), requests),
                         (centre, reverse("analytics:dashboard_unit", args=[district.pk]), requests),
                         (city_admin, reverse("alerts:overview", args=[city.pk]), max(3, requests // 10)),
                         (city_admin, reverse("visits:coverage") + f"?unit={city.pk}", max(3, requests // 10))):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        times, status = [], None
        for _ in range(n + 1):  # the first request decides (and caches) what to hide; the rest may reuse it
            started = time.perf_counter()
            status = client.get(url).status_code
            times.append((time.perf_counter() - started) * 1000)
        first, times = times[0], times[1:]
        print(f"  {user.username:13s} {url:28s} HTTP {status}  first {first:6.1f} ms  "
              f"p50 {statistics.median(times):6.1f} ms   p95 {percentile(times, 0.95):6.1f} ms   (n={len(times)})",
              flush=True)


def time_selectors(requests: int) -> None:
    from runxin.analytics import selectors
    from runxin.org.models import OrgUnit

    city = OrgUnit.objects.get(code="BENCH")
    months = selectors.school_year_months()
    for unit in (city, OrgUnit.objects.filter(kind="district").first()):
        kids = selectors.children(unit)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            selectors.unit_months(unit, months[0], months[-1])
            selectors.units_month(kids, months[-1])
            times.append((time.perf_counter() - started) * 1000)
        print(f"  selectors for the {unit.kind} and its {len(kids)} children: p50 {statistics.median(times):.1f} ms   "
              f"p95 {percentile(times, 0.95):.1f} ms")


# --------------------------------------------------------------------------------------------------- raw check

def raw_check(now: datetime) -> None:
    from django.utils import timezone

    from runxin.analytics import facts, raw_figures, selectors
    from runxin.org.models import OrgUnit

    month = facts.month_of(timezone.localdate(now))
    for unit in (OrgUnit.objects.get(code="BENCH"), OrgUnit.objects.filter(kind="district").order_by("id").first()):
        started = time.perf_counter()
        raw = raw_figures.figures(unit, month, now=selectors.as_of())  # the stocks as the last pass took them
        raw_seconds = time.perf_counter() - started
        started = time.perf_counter()
        stored = selectors.units_month([unit], month)[unit.pk]
        stored_seconds = time.perf_counter() - started
        different = {m: (stored[m], raw[m]) for m in raw if stored.get(m, 0) != raw[m]}
        print(f"  {unit.kind:8s} {month:%Y-%m}: raw SQL {raw_seconds * 1000:9.0f} ms, stored {stored_seconds * 1000:6.1f} ms "
              f"→ {raw_seconds / stored_seconds:,.0f}× faster; "
              f"{'all ' + str(len(raw)) + ' measures equal' if not different else 'DIFFERENT: ' + str(different)}",
              flush=True)


# -------------------------------------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_500_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded bench database")
    parser.add_argument("--requests", type=int, default=50, help="requests per page and viewer")
    parser.add_argument("--skip-rebuild", action="store_true", help="with --reuse: keep the stored figures")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()

    use_database(args.database, fresh=not args.reuse)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    seeded = scalar("SELECT to_regclass('bench_seeded') IS NOT NULL") and \
        scalar("SELECT max(students) FROM bench_seeded") >= args.students
    if not seeded:
        with Phase("migrate"):
            call_command("migrate", verbosity=0, interactive=False)
        seed(args.students, now)
    sql("SET work_mem = '64MB'")
    print(f"\n{scalar('SELECT count(*) FROM people_student'):,} students in "
          f"{scalar('SELECT count(*) FROM org_orgunit WHERE kind = %s', ['school']):,} schools; "
          f"{scalar('SELECT count(*) FROM screening_result'):,} results, "
          f"{scalar('SELECT count(*) FROM alerts_warning'):,} warnings, "
          f"{scalar('SELECT count(*) FROM alerts_warningevent'):,} warning events, "
          f"{scalar('SELECT count(*) FROM alerts_followup'):,} follow-ups, "
          f"{scalar('SELECT count(*) FROM referrals_referral'):,} referrals, "
          f"{scalar('SELECT count(*) FROM visits_familycontact'):,} home visits; PostgreSQL {connection.pg_version}\n",
          flush=True)

    from runxin.analytics import facts, refresh
    from runxin.analytics.models import UnitFigure

    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 30 or done == total:
            last[0] = time.monotonic()
            print(f"    {done:,} / {total:,} schools", flush=True)

    if not (args.skip_rebuild and refresh.state().started_at):
        sql(f"TRUNCATE {UnitFigure._meta.db_table}")  # the rebuild from nothing, as on the first night
        with Phase("rebuild (every school, every month, districts, city, suppression)"):
            result = refresh.rebuild(progress=progress)
        print(f"  {result}; {UnitFigure.objects.count():,} figures stored "
              f"({UnitFigure.objects.filter(suppressed=True).count():,} suppressed)")
    else:
        with Phase("catching up with the last run's changes (--skip-rebuild)"):
            refresh.refresh()
    month = facts.month_of(timezone.localdate())
    with Phase(f"suppression of one month over the whole tree ({month:%Y-%m}, "
               f"{UnitFigure.objects.filter(month=month).count():,} figures)"):
        facts.suppress_month(month)
    def passed(result: dict) -> str:
        months = result.get("months", [])
        return f"{result.get('schools', 0)} schools recomputed, figures changed in {len(months)} month(s)"

    with Phase("a minute's burst of work"):
        print(f"  {burst(timezone.now())}")
    with Phase("incremental pass after the burst"):
        print(f"  {passed(refresh.refresh())}")
    with Phase("incremental pass with nothing new (the overlap looks at the burst again)"):
        print(f"  {passed(refresh.refresh())}")
    with Phase("finding what changed in the last six minutes (the pass's own lookups, without recomputing)"):
        at = timezone.now()
        found = refresh.changed_schools(since=at - timedelta(minutes=6), previous=at - timedelta(minutes=1), now=at)
        print(f"  {len(found)} schools")
    with Phase("students moving class"):
        print(f"  {moves(10)}")
    with Phase("incremental pass after the moves"):
        print(f"  {passed(refresh.refresh())}")
    with Phase(f"dashboard pages ({args.requests} requests each)"):
        time_pages(args.requests)
    with Phase("raw SQL over the base tables against the stored figures"):
        raw_check(timezone.now())  # the running month, as of the last pass


if __name__ == "__main__":
    main()
