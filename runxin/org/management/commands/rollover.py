"""`runxin rollover --school CODE|--all --to 2027-2028 [--dry-run]`: the school-year rollover from the shell."""

from django.core.management.base import BaseCommand, CommandError

from runxin.org import rollover
from runxin.org.models import OrgUnit, RolloverRun, SchoolYear


class Command(BaseCommand):
    help = "Promote every class into the next school year and graduate the top grade (preview with --dry-run)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--school", help="the school's code")
        which.add_argument("--all", action="store_true", help="every school of the city")
        parser.add_argument("--to", required=True, help="the school year to roll into, e.g. 2027-2028")
        parser.add_argument("--dry-run", action="store_true", help="show what would happen and change nothing")
        parser.add_argument("--user", default="", help="username recorded as having run it (default: the city admin)")

    def handle(self, *args, school, all, to, dry_run, user, **options):
        from_year = SchoolYear.objects.filter(is_current=True).first()
        if from_year is None:
            raise CommandError("No current school year is set.")
        if to != rollover.next_year_code(from_year):
            raise CommandError(f"The current school year is {from_year.code}: it rolls over into "
                               f"{rollover.next_year_code(from_year)}, not {to}.")
        if school:
            unit = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, code=school).first()
            if unit is None:
                raise CommandError(f"No school has the code {school!r}.")
        else:
            unit = OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY).order_by("pk").first()
            if unit is None:
                raise CommandError("There is no city in the database.")
        if dry_run:
            self._preview(unit, from_year)
            return
        actor = self._actor(user, unit)
        try:
            run = rollover.run_request(user=actor, scope_unit=unit, from_year=from_year, schedule=False)
        except rollover.RolloverError as refused:
            raise CommandError(str(refused)) from None
        # The command is the worker here: the run goes in the foreground, printing its progress.
        run = rollover.execute_run(run.pk, progress=self._progress) or RolloverRun.objects.get(pk=run.pk)
        self.stdout.write(
            f"{run.get_status_display()}: {run.schools_done} schools rolled over, {run.schools_skipped} skipped; "
            f"{run.promoted:,} students moved up, {run.graduated:,} graduated, {run.classes_created:,} classes created."
        )
        if run.error:
            self.stdout.write(run.error)
        if run.status == RolloverRun.Status.FAILED:
            raise CommandError("The rollover failed.")

    def _progress(self, run: RolloverRun) -> None:
        handled = run.schools_done + run.schools_skipped
        if handled % 100 == 0 or handled == run.schools_total:
            self.stdout.write(f"  {handled:,} / {run.schools_total:,} schools, {run.promoted:,} students moved up")
            self.stdout.flush()

    def _actor(self, username: str, unit: OrgUnit):
        from runxin.accounts.models import User

        if username:
            actor = User.objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No user {username!r}.")
            return actor
        actor = User.objects.filter(role_assignments__role="city_admin", role_assignments__is_active=True).first()
        if actor is None:
            raise CommandError("Name the user who runs the rollover with --user.")
        return actor

    def _preview(self, unit: OrgUnit, from_year: SchoolYear) -> None:
        if unit.kind == OrgUnit.Kind.SCHOOL:
            preview = rollover.preview_school(unit, from_year)
            self.stdout.write(f"{unit.name} ({unit.code}): {from_year.code} → {preview.to_year_code}")
            if preview.done:
                self.stdout.write(f"Already rolled over on {preview.done.applied_at:%Y-%m-%d %H:%M}.")
            if preview.problem:
                self.stdout.write(preview.problem)
            for line in preview.lines:
                target = f"→ {line.to_name}" if line.to_name else "graduates"
                self.stdout.write(f"  {line.unit.name:<12} {target:<16} {line.students:>5} students")
            self.stdout.write(f"{preview.promoted:,} move up, {preview.graduating:,} graduate, "
                              f"{preview.classes_created:,} classes to create. Nothing was changed (dry run).")
            return
        lines = rollover.preview_area(unit, from_year)
        self.stdout.write(f"All schools of {unit.name}: {from_year.code} → {rollover.next_year_code(from_year)}")
        for line in lines:
            self.stdout.write(f"  {line.district.name:<8} {line.schools:>5} schools ({line.rolled} done)  "
                              f"{line.promoted:>9,} move up  {line.graduating:>8,} graduate  "
                              f"{line.classes_created:>6,} classes")
        self.stdout.write("Nothing was changed (dry run).")
