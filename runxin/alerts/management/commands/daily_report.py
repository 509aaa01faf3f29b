from datetime import date

from django.core.management.base import BaseCommand, CommandError

from runxin.alerts import daily


class Command(BaseCommand):
    help = "Send the daily key-case reports (一日一报) of one day to every school and district (once per day)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="The report's day (YYYY-MM-DD); default: the one due now.")

    def handle(self, *args, day=None, **options):
        try:
            when = date.fromisoformat(day) if day else daily.report_day(daily.clock.now())
        except ValueError as exc:
            raise CommandError(f"--day must look like 2026-10-09, not {day!r}") from exc
        result = daily.send_daily_reports(day=when)
        self.stdout.write(f"{result['day']}: sent {result['sent']} report(s), {result['already']} already sent")
