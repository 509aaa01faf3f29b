"""`runxin analytics_rebuild`: recompute every figure of the dashboards from the records (what the nightly job
does), printing how far it is."""

import sys

from django.core.management.base import BaseCommand

from runxin.analytics import refresh


class Command(BaseCommand):
    help = "Recompute every dashboard figure from the records, with a progress line (schools done of total)."

    def handle(self, *args, **options):
        def progress(done: int, total: int) -> None:
            if done == total or done % 10 == 0:
                self.stdout.write(f"\r  {done:,} / {total:,} schools", ending="")
                sys.stdout.flush()

        result = refresh.rebuild(progress=progress)
        self.stdout.write("")
        if "skipped" in result:
            self.stdout.write(f"Not rebuilt: {result['skipped']}.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Rebuilt the figures of {result['schools']:,} schools over {result['months']} months "
            f"in {result['seconds']} s."))
