"""`runxin demo-city --students N`: generate the fictional demo city 润州市 (see runxin/demo/generator.py).

The city is written as a bureau's files (var/demo-files/) and imported through the import commands, then a
semester is played back at the demo school. The output is a short summary; the simulated SMS and WeChat
messages of the playback go to var/demo-files/notify.log (errors of the notify app still reach stderr).
"""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from runxin.analytics import refresh as analytics  # analytics figures
from runxin.demo.activity import generate_activity
from runxin.demo.generator import CityGenerator, default_districts, default_files_dir
from runxin.demo.history import generate_history  # history
from runxin.org.models import OrgUnit

NOTIFY_LOGGER = "runxin.notify"


@contextmanager
def notify_log_to(path: Path) -> Iterator[None]:
    """While the city is generated, the "runxin.notify" logger (the logging SMS adapter's "sms to …" lines,
    delivery summaries) writes to `path` instead of the console; records at ERROR and above still go to
    stderr as well."""
    logger = logging.getLogger(NOTIFY_LOGGER)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(path, mode="w", encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    errors = logging.StreamHandler(sys.stderr)
    errors.setLevel(logging.ERROR)
    saved = (logger.propagate, logger.level)
    logger.addHandler(to_file)
    logger.addHandler(errors)
    logger.propagate = False
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(to_file)
        logger.removeHandler(errors)
        logger.propagate, logger.level = saved
        to_file.close()


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
        # >>> history
        parser.add_argument("--no-history", action="store_true",
                            help="no past school years: only this semester's activity (a quicker city)")
        # <<< history
        parser.add_argument("--files", default=None,
                            help="where to write the city's spreadsheets (default: var/demo-files)")

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
        verbose = options["verbosity"] >= 2

        def progress(message: str) -> None:
            if verbose:
                self.stdout.write(f"  {message}")
                sys.stdout.flush()

        districts = districts or default_districts(students)
        files_dir = Path(options.get("files") or default_files_dir()).resolve()
        self.stdout.write(f"Generating 润州市 with {students:,} students in {districts} districts (seed {seed}) …")
        with notify_log_to(files_dir / "notify.log"):
            generator = CityGenerator(students=students, seed=seed, districts=districts, progress=progress,
                                      files_dir=files_dir)
            result = generator.run()
            # >>> history
            history = (None if no_activity or options.get("no_history")
                       else generate_history(seed=seed, progress=progress))
            if history is not None:
                result.seconds += history.seconds
            # <<< history
            activity = None if no_activity else generate_activity(seed=seed, progress=progress)
            # >>> history
            if history is not None and activity is not None:
                # The activity counts every row; the semester's are those beyond the past's.
                activity.warnings -= history.warnings
                activity.notifications -= history.notifications
                for state, count in history.states.items():
                    activity.states[state] = activity.states.get(state, 0) - count
                activity.states = {state: count for state, count in activity.states.items() if count}
            # <<< history
        # >>> analytics figures
        # The dashboards read stored figures: compute them all now (afterwards the scheduler keeps them fresh).
        figures = analytics.rebuild()
        # <<< analytics figures
        seconds = result.seconds + (activity.seconds if activity else 0.0) + figures.get("seconds", 0.0)
        lines = [
            f"Done in {seconds:.0f} s (the dashboards' figures over {figures.get('months', 0)} months included).",
            f"  units      {result.districts} districts, {result.schools:,} schools, {result.classes:,} classes, "
            f"a partner hospital, a mental-health centre and society units",
            f"  people     {result.students:,} students, {result.guardians:,} guardians, "
            f"{result.memberships:,} special-group memberships, {result.key_students:,} key students",
            f"  staff      {result.staff:,} school staff from the staff lists, and the named demo logins",
            f"  accounts   {result.student_accounts} student accounts and {result.invitations} parent invitation "
            f"codes for {generator.demo_school.name} {generator.demo_class.name}",
        ]
        # >>> history
        if history is not None:
            lines.append(f"  past       {' and '.join(history.years)}: {history.campaigns} universal screenings, "
                         f"{history.submissions:,} questionnaires, {history.warnings} warnings ({history.referrals} "
                         f"referred, {history.escalated} escalated), {history.home_visits:,} home visits, "
                         f"{history.incidents} post-incident reviews")
        # <<< history
        if activity is not None:
            states = ", ".join(f"{count} {state}" for state, count in sorted(activity.states.items()))
            lines.append(f"  semester   {activity.campaigns} screening campaigns, {activity.submissions:,} "
                         f"questionnaires handed in, {activity.warnings} warnings ({states}), "
                         f"{activity.notifications:,} notifications (their SMS lines: notify.log)")
        lines.append(f"  files      {files_dir}: units.xlsx, rosters/, staff/ ({result.imports} imports), "
                     f"accounts/ (first passwords, invitation codes)")
        self.stdout.write(self.style.SUCCESS(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
