from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_shipped_instruments(sender, using="default", **kwargs) -> None:
    # Seeding reference data after migrate, as contenttypes and auth do for theirs: every database that
    # is migrated has the shipped instruments (demo, tests, production), and a new shipped version
    # arrives with the release that brings it. Existing versions are never changed.
    from django.db import connections

    from .models import InstrumentVersion
    from .services import instruments_load_shipped

    if InstrumentVersion._meta.db_table in connections[using].introspection.table_names():
        instruments_load_shipped()


class Config(AppConfig):
    name = "runxin.screening"
    label = "screening"

    def ready(self) -> None:
        post_migrate.connect(_load_shipped_instruments, sender=self, dispatch_uid="runxin.screening.load_instruments")
        # >>> individual reports
        # Sharing the careful report with a family, and withdrawing it, is a change the auditor sees (who, when).
        from runxin import audit

        audit.register(self.get_model("ReportShare"), student_field="student")
        # <<< individual reports
