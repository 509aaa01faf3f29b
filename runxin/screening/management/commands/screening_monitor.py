"""`runxin screening_monitor`: open due monitoring rounds, close campaigns past their window, retry hand-overs.

Run it daily (cron) in the embedded setup; production runs the Celery task runxin.screening.tasks.monitor."""

import json

from django.core.management.base import BaseCommand

from runxin.screening import services


class Command(BaseCommand):
    help = "Open the monitoring rounds that are due, close finished campaigns, hand pending flags to warnings."

    def handle(self, *args, **options):
        report = services.monitoring_run()
        report["flags_handed_over"] = services.flags_hand_over_pending()
        self.stdout.write(json.dumps(report))
