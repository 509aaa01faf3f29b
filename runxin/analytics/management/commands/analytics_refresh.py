"""`runxin analytics_refresh`: one incremental pass over the figures (what the scheduler does every minute)."""

from django.core.management.base import BaseCommand

from runxin.analytics import refresh


class Command(BaseCommand):
    help = "Recompute the dashboard figures of the schools whose records changed since the last pass."

    def handle(self, *args, **options):
        result = refresh.refresh()
        if "skipped" in result:
            self.stdout.write(f"Not refreshed: {result['skipped']}.")
        elif "months" in result and "schools" in result and isinstance(result["months"], list):
            self.stdout.write(f"Recomputed {result['schools']:,} schools; figures changed in "
                              f"{', '.join(result['months']) or 'no month'}.")
        else:
            self.stdout.write(f"No pass before this one: rebuilt {result['schools']:,} schools.")
