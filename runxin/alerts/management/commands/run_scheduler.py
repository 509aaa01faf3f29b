from django.core.management.base import BaseCommand

from runxin.alerts import scheduler


class Command(BaseCommand):
    help = ("The embedded default's scheduler: runs the jobs of CELERY_BEAT_SCHEDULE in-process at their times "
            "(the same timetable as Celery beat, which production uses instead).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and stop.")

    def handle(self, *args, once=False, **options):
        if once:
            self.stdout.write(str(scheduler.tick()))
            return
        self.stdout.write("scheduler running; Ctrl-C to stop")
        try:
            scheduler.run()
        except KeyboardInterrupt:
            self.stdout.write("stopped")
