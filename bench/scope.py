"""Scoped student lists at city scale.

    .venv/bin/python bench/scope.py [--students 1500000] [--reuse] [--repeat 30]

Loads a demo city of --students students into its own PostgreSQL database (runxin_bench_city; kept for
--reuse), ANALYZEs it, then times page 1 of the student list for a district centre user (the district's
students) and a school psychology teacher (the school's students): through the selectors the student list
page uses (people.selectors.student_search + student_page) and through the whole HTTP view (Django test
client, full middleware, session). Also times a region-tree expansion (counts per node). Target: ≤ 50 ms.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import summary, timed, use_database  # noqa: E402

DATABASE = "runxin_bench_city"


def load(students: int) -> None:
    from django.core.management import call_command

    start = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.monotonic() - start:.1f} s")
    start = time.monotonic()
    call_command("demo_city", students=students)
    print(f"loaded {students:,} students in {time.monotonic() - start:.1f} s (generation, COPY and ANALYZE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_500_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded bench database")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()

    use_database(args.database, fresh=False)
    from django.db import connection

    loaded = False
    if args.reuse:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('people_student') IS NOT NULL")
            if cursor.fetchone()[0]:
                cursor.execute("SELECT count(*) FROM people_student")
                loaded = cursor.fetchone()[0] >= args.students
    if not loaded:
        connection.close()
        use_database(args.database, fresh=True)
        load(args.students)
    run(args.repeat)


def run(repeat: int) -> None:
    from django.db import connection
    from django.test import Client

    from runxin.accounts.models import User
    from runxin.org import selectors as org_selectors
    from runxin.people import selectors

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM people_student")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM org_orgunit WHERE kind = 'school'")
        schools = cursor.fetchone()[0]
    print(f"\n{total:,} students in {schools:,} schools; PostgreSQL {connection.pg_version}")

    cases = [
        ("district centre, page 1 of the district", "district_centre", {}),
        ("psychology teacher, page 1 of the school", "psych_teacher", {}),
        ("district centre, name prefix 王", "district_centre", {"q": "王"}),
    ]
    for label, username, params in cases:
        def selector(username=username, params=params):
            user = User.objects.get(username=username)  # a fresh user: grants are read as in a request
            qs = selectors.student_search(user, **params)
            return selectors.student_page(qs, 1)

        page = selector()
        scope_size = f"{page.total:,}{'+' if page.total_capped else ''}"
        print(f"\n{label}  ({scope_size} students in scope, {len(page.rows)} rows on page 1)")
        print(f"  selector   {summary(timed(selector, repeat=repeat))}")
        client = Client()
        client.force_login(User.objects.get(username=username))

        def http(client=client, params=params):
            response = client.get("/students/", params)
            assert response.status_code == 200, response.status_code

        print(f"  HTTP view  {summary(timed(http, repeat=repeat))}")

    for username in ("city_admin", "district_centre"):
        user = User.objects.get(username=username)
        root = org_selectors.tree_roots(user)[0]

        def expand(username=username, root=root):
            fresh = User.objects.get(username=username)
            return org_selectors.children(fresh, root.unit)

        nodes = expand()
        print(f"\nregion tree: {username} expands {root.unit.name} ({len(nodes)} children with counts)")
        print(f"  selector   {summary(timed(expand, repeat=repeat))}")
        client = Client()
        client.force_login(user)

        def http_tree(client=client, root=root):
            response = client.get(f"/org/{root.unit.pk}/children/")
            assert response.status_code == 200, response.status_code

        print(f"  HTTP view  {summary(timed(http_tree, repeat=repeat))}")


if __name__ == "__main__":
    main()
