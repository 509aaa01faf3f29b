from django.core.management.base import BaseCommand

from runxin.notify.services import deliver_all


class Command(BaseCommand):
    help = "Deliver queued e-mail, SMS and WeChat notifications (each row is claimed before it is sent)."

    def handle(self, *args, **options):
        self.stdout.write(str(deliver_all()))
