"""Background jobs of the import: the preview and the import itself. Idempotent: a job finds the batch
claimed or finished and does nothing the second time."""

from celery import shared_task
from django.contrib.auth import get_user_model

from .models import ImportBatch
from .services import batch_commit, batch_preview


@shared_task(acks_late=True)
def preview_batch(batch_id: int) -> None:
    batch = ImportBatch.objects.filter(pk=batch_id, status__in=[ImportBatch.Status.UPLOADED,
                                                               ImportBatch.Status.PREVIEWING]).first()
    if batch is not None:
        batch_preview(batch=batch)


@shared_task(acks_late=True)
def commit_batch(batch_id: int, mode: str, user_id: int | None) -> None:
    batch = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.IMPORTING).first()
    if batch is not None:
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        batch_commit(batch=batch, user=user, mode=mode)


@shared_task
def purge_import_files() -> int:
    """Delete uploaded import files past IMPORT_FILE_RETENTION_DAYS (Celery beat, hourly; idempotent)."""
    from .services import purge_import_files as purge

    return purge()
