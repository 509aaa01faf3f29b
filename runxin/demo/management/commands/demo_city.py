"""`runxin demo-city --students N`: generate the fictional demo city 润州市 (see runxin/demo/generator.py)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from runxin.demo.activity import generate_activity
from runxin.demo.generator import CityGenerator, default_districts
from runxin.org.models import OrgUnit


class Command(BaseCommand):
    help = "Generate a demo city: districts, schools of every type, classes, students, guardians and demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=3000, help="number of students (default 3000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed; the same seed gives the same city")
        parser.add_argument("--districts", type=int, default=None,
                            help="districts/counties (default: about one per 125,000 students, 2 to 12)")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing (and succeed) when the database already holds a city")
        parser.add_argument("--no-activity", action="store_true",
                            help="people only: no screening campaigns, results or warnings at the demo school")

    def handle(self, *args, students, seed, districts, if_empty, no_activity=False, **options):
        if OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY).exists():
            if if_empty:
                self.stdout.write("The database already holds a city; no demo city generated.")
                return
            raise CommandError("The database already holds a city. Use an empty database, or --if-empty to skip.")
        if students < 1:
            raise CommandError("--students must be at least 1")
        if districts is not None and not 1 <= districts <= 20:
            raise CommandError("--districts must be between 1 and 20")
        verbose = options["verbosity"] >= 1

        def progress(message: str) -> None:
            if verbose:
                self.stdout.write(f"  {message}")
                sys.stdout.flush()

        districts = districts or default_districts(students)
        self.stdout.write(f"Generating 润州市 with {students:,} students in {districts} districts (seed {seed}) …")
        result = CityGenerator(students=students, seed=seed, districts=districts, progress=progress).run()
        self.stdout.write(self.style.SUCCESS(
            f"Done in {result.seconds:.1f} s: {result.districts} districts, {result.schools:,} schools, "
            f"{result.classes:,} classes, {result.students:,} students, {result.guardians:,} guardians, "
            f"{result.memberships:,} special-group memberships, {result.staff:,} school staff."
        ))
        if no_activity:
            return
        activity = generate_activity(seed=seed, progress=progress)
        states = ", ".join(f"{count} {state}" for state, count in sorted(activity.states.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Semester so far: {activity.campaigns} screening campaigns, {activity.submissions:,} questionnaires "
            f"handed in, {activity.warnings} warnings ({states}), {activity.notifications:,} notifications."
        ))
