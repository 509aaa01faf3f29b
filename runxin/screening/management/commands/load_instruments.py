"""`runxin load_instruments`: store the shipped instrument definitions (also run after every migrate)."""

from django.core.management.base import BaseCommand

from runxin.screening.services import instruments_load_shipped


class Command(BaseCommand):
    help = "Store every shipped instrument definition that is not in the database yet, published."

    def handle(self, *args, **options):
        failed = False
        for code, version, status in instruments_load_shipped():
            failed |= status.startswith("conflict")
            self.stdout.write(f"{code} {version}: {status}")
        if failed:
            raise SystemExit(1)
