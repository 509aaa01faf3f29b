from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from runxin.alerts.escalation import escalation_sweep


class Command(BaseCommand):
    help = "Run one escalation sweep: move every overdue warning up one tier and tell the people there."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Sweep as if it were this time (ISO 8601, local time if no offset).")

    def handle(self, *args, at=None, **options):
        now = None
        if at:
            try:
                now = datetime.fromisoformat(at)
            except ValueError as exc:
                raise CommandError(f"--at must be an ISO 8601 time such as 2026-10-09T08:30, not {at!r}") from exc
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        count = escalation_sweep(now=now)
        self.stdout.write(f"escalated {count} warning(s)")
