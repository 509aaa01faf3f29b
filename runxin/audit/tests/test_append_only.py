"""Audit rows cannot be edited or deleted: no page, no admin, and on PostgreSQL not even by SQL."""

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.urls import get_resolver

from runxin.access.models import ReadEvent
from runxin.access.read_audit import record_read

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL-only")


def test_no_admin_site_and_no_write_view_over_audit_rows():
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    import runxin.urls  # noqa: F401 - registers the <id:…> converter the app's routes use
    from runxin.audit import urls

    assert {p.name for p in urls.urlpatterns} == {"search", "export", "change_detail"}
    assert not any("admin" in str(p.pattern) for p in get_resolver().url_patterns)


def test_audit_views_only_read(world, client_for):
    client = client_for(world.auditor)
    assert client.post("/audit/").status_code == 405
    assert client.post("/audit/export/csv/").status_code == 405
    assert client.post("/audit/changes/1/").status_code == 405


@needs_postgres
def test_read_events_refuse_update_and_delete(world):
    event = record_read(user=world.psych, student=world.a1, record_type="student.profile", record_id=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReadEvent.objects.filter(pk=event.pk).update(purpose="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReadEvent.objects.filter(pk=event.pk).delete()
    assert ReadEvent.objects.get(pk=event.pk).purpose == ""


@needs_postgres
def test_change_log_refuses_update_and_delete(world):
    entry = LogEntry.objects.latest("timestamp")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.delete()
    # Deleting a user who acted would null the actor: refused too (users are deactivated, not deleted).
    from runxin import audit

    audit.record_event(world.school, action="update", changes={"x": ["1", "2"]}, actor=world.outsider)
    with pytest.raises(DatabaseError), transaction.atomic():
        world.outsider.delete()


@needs_postgres
def test_appending_still_works(world):
    before = LogEntry.objects.count()
    world.a1.status = "suspended"
    world.a1.save()
    assert LogEntry.objects.count() == before + 1
