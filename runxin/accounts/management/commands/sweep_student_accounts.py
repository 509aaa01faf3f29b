"""runxin sweep-student-accounts: close the accounts of students who left, move transferred students' roles (the
daily job, on demand — e.g. right after a rollover)."""

from django.core.management.base import BaseCommand

from runxin.accounts.students import sweep


class Command(BaseCommand):
    help = "Close the accounts of students no longer enrolled; move a transferred student's role to their class."

    def handle(self, *args, **options):
        result = sweep()
        self.stdout.write(f"closed {result.closed}, moved {result.moved}")
