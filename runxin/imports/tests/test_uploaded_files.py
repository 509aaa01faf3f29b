"""Issue 9 item 9 (files): uploaded rosters are never served from /media/, only by a scoped download view;
they are stored under unguessable names and purged after the retention period (the batch stays)."""

import importlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from runxin.alerts import scheduler
from runxin.imports import services
from runxin.imports.models import ImportBatch

from .helpers import student_row, write_csv


@pytest.fixture
def batch(world, tmp_path):
    path = write_csv(tmp_path / "七年级名单.csv", [student_row(1), student_row(2, 性别="?")])
    made = services.batch_create(user=world.psych, school=world.school, kind="students", upload=path,
                                 original_name="七年级名单.csv")
    return services.batch_preview(batch=made)


def test_the_file_is_stored_under_an_unguessable_name(batch):
    name = batch.file.name
    assert re.fullmatch(r"imports/files/[A-Za-z0-9_-]{32}\.csv", name), name
    assert "名单" not in name and batch.sha256[:16] not in name
    assert "batch-" not in batch.problems_file.name and Path(batch.file.name).stem in batch.problems_file.name


def test_the_uploader_downloads_the_file_as_an_attachment(batch, world, client_for, tmp_path):
    response = client_for(world.psych).get(f"/imports/{batch.pk}/file")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == (tmp_path / "七年级名单.csv").read_bytes()


@pytest.mark.parametrize("who", ["anonymous", "other_psych", "outsider", "head", "hotline"])
def test_anyone_else_gets_404(batch, world, client_for, who):
    client = Client() if who == "anonymous" else client_for(getattr(world, who))
    response = client.get(f"/imports/{batch.pk}/file")
    assert response.status_code == 404 if who != "anonymous" else response.status_code in (302, 404)
    assert b"".join(getattr(response, "streaming_content", [response.content])).find("学生".encode()) == -1


def test_a_colleague_who_may_import_at_that_school_gets_it(batch, world, client_for, tmp_path):
    # centre staff of the school's district may import there; the other district's psychology teacher may not
    response = client_for(world.district_centre).get(f"/imports/{batch.pk}/file")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == (tmp_path / "七年级名单.csv").read_bytes()  # the file itself
    assert client_for(world.other_psych).get(f"/imports/{batch.pk}/file").status_code == 404


def test_media_is_not_served_even_with_debug_on(batch, settings, client_for, world):
    settings.DEBUG = True
    import runxin.urls

    try:
        importlib.reload(runxin.urls)
        clear_url_caches()
        with pytest.raises(Resolver404):
            resolve(f"/media/{batch.file.name}")
        assert client_for(world.psych).get(f"/media/{batch.file.name}").status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(runxin.urls)
        clear_url_caches()


def test_purge_deletes_old_files_and_keeps_the_batch(batch, world, client_for, settings):
    files = [Path(settings.MEDIA_ROOT) / batch.file.name, Path(settings.MEDIA_ROOT) / batch.problems_file.name]
    assert all(p.is_file() for p in files) and batch.sample
    fresh = services.batch_create(user=world.psych, school=world.school, kind="students",
                                  upload=files[0], original_name="新名单.csv")
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(days=31))

    call_command("purge_import_files")

    batch.refresh_from_db()
    assert not any(p.exists() for p in files)
    assert batch.files_purged_at is not None and batch.file.name == "" and batch.sample == []
    assert (batch.original_name, batch.rows_read, batch.rejected) == ("七年级名单.csv", 2, 1)  # the record stays
    assert not batch.can_commit
    assert (Path(settings.MEDIA_ROOT) / fresh.file.name).is_file()  # within the retention period: kept
    client = client_for(world.psych)
    assert client.get(f"/imports/{batch.pk}/file").status_code == 404
    assert client.get(f"/imports/{batch.pk}/").status_code == 200  # the batch page still opens
    assert client.post(f"/imports/{batch.pk}/import/", {"mode": "valid"}).status_code == 302
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PREVIEWED  # nothing to import from


def test_retention_is_a_setting_and_the_scheduler_purges(batch, settings):
    settings.IMPORT_FILE_RETENTION_DAYS = 5
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(days=6))
    result = scheduler.tick()
    assert result["import_files_purged"] == 1
    assert ImportBatch.objects.get(pk=batch.pk).files_purged_at is not None
    assert scheduler.tick()["import_files_purged"] == 0  # idempotent


def test_celery_beat_runs_the_purge(db, settings):
    entry = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
             if e["task"] == "runxin.imports.tasks.purge_import_files"]
    assert len(entry) == 1
    from runxin.imports import tasks

    assert tasks.purge_import_files() == 0
