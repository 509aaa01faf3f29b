"""Writes of the import app: create a batch from an upload, preview it, import it.

`batch_create` checks the user may import into the school and stores the file; `batch_preview` runs the
import as a dry run (everything, then rolled back) and keeps the problems and counts; `batch_commit`
runs it for real in the chosen mode, with one audit entry. The heavy work runs in a background job
(tasks.py); these functions are what the job calls.
"""

import hashlib
import logging
import secrets
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from runxin.access import roles, scope
from runxin.org.models import OrgUnit

from . import roster, staff
from .columns import HeaderNotFound
from .models import ImportBatch
from .reading import Unreadable, check_file, file_kind
from .values import Bad, Explained, gettext_noop

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class ImportRefused(Explained):
    """The request cannot be carried out (wrong file type, batch in the wrong state …); the message says why."""


def permission_for(kind: str) -> str:
    return roles.STAFF_IMPORT if kind == ImportBatch.Kind.STAFF else roles.ROSTER_IMPORT


def may_import(user, school: OrgUnit, kind: str) -> bool:
    """None (the command line without --as) stands for the server's operator."""
    if user is None:
        return True
    return school.kind == OrgUnit.Kind.SCHOOL and scope.unit_permission(user, school, permission_for(kind))


def batch_create(*, user, school: OrgUnit, kind: str, upload, original_name: str, remote_addr: str | None = None,
                 via: str = "web") -> ImportBatch:
    """Store the uploaded file (a Django UploadedFile or a path) as a new batch owned by `user`."""
    if not may_import(user, school, kind):
        raise PermissionDenied(permission_for(kind))
    if kind not in ImportBatch.Kind.values:
        raise ImportRefused(gettext_noop("unknown import kind"))
    try:
        file_kind(Path(original_name))
    except Unreadable as error:
        raise ImportRefused(error.render()) from None
    now = timezone.now()
    batch = ImportBatch(kind=kind, school=school, created_by=user, created_at=now, remote_addr=remote_addr, via=via,
                        original_name=Path(original_name).name[:255])
    # Hash and copy in one pass; the stored name carries the hash, so the file is written under a temp name first.
    suffix = Path(original_name).suffix.lower()[:8]
    staging = Path(settings.MEDIA_ROOT) / "imports" / "incoming" / f"{secrets.token_urlsafe(24)}{suffix}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with open(staging, "wb") as out:
        chunks = upload.chunks() if hasattr(upload, "chunks") else _file_chunks(upload)
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                staging.unlink()
                raise ImportRefused(gettext_noop("the file is larger than 512 MB: split it by grade"))
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        staging.unlink()
        raise ImportRefused(gettext_noop("the file is empty"))
    try:
        check_file(staging)  # a workbook that would unpack too far is refused now, before anything parses it
    except Unreadable as error:
        staging.unlink()
        raise ImportRefused(error.message, **error.params) from None
    batch.sha256, batch.size = digest.hexdigest(), size
    name = batch.file.field.generate_filename(batch, batch.original_name)
    target = Path(settings.MEDIA_ROOT) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(staging, target)
    batch.file.name = name
    batch.save()
    return batch


def _file_chunks(path, size: int = 1 << 20):
    with open(path, "rb") as source:
        while chunk := source.read(size):
            yield chunk


def problems_path(batch: ImportBatch) -> Path:
    """All problems of the batch, JSON lines; named after the uploaded file's unguessable name."""
    if batch.problems_file.name:
        return Path(settings.MEDIA_ROOT) / batch.problems_file.name
    return Path(settings.MEDIA_ROOT) / "imports" / "problems" / f"{Path(batch.file.name).stem}.jsonl"


def batch_files(batch: ImportBatch) -> list[Path]:
    """Every file the batch keeps on disk: the upload, the problems and their spill files."""
    paths = []
    if batch.file.name:
        paths.append(Path(settings.MEDIA_ROOT) / batch.file.name)
        problems = problems_path(batch)
        paths += [problems, problems.with_suffix(".rows.jsonl"), problems.with_suffix(".sets.jsonl")]
    elif batch.problems_file.name:
        paths.append(Path(settings.MEDIA_ROOT) / batch.problems_file.name)
    return paths


def batch_file_for_download(*, batch: ImportBatch, user, remote_addr: str | None = None) -> Path:
    """The uploaded file of a batch the caller may see (selectors.batch_or_404), with an audit entry.
    Raises ImportRefused when it was purged or is missing."""
    path = Path(settings.MEDIA_ROOT) / batch.file.name if batch.file.name else None
    if batch.files_purged_at is not None or path is None or not path.is_file():
        raise ImportRefused(gettext_noop("the file has been deleted"))
    LogEntry.objects.log_create(batch, action=LogEntry.Action.ACCESS, actor=user, remote_addr=remote_addr,
                                changes_text="", force_log=True,
                                changes={"download": ["", f"{batch.original_name} (sha256 {batch.sha256[:12]})"]})
    return path


def purge_import_files(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the files (upload, problems) and the preview rows of batches uploaded more than `days` days ago
    (IMPORT_FILE_RETENTION_DAYS); the batch, its counts and its audit stay. Idempotent. Returns how many
    batches were purged. A batch being imported right now is left for the next run."""
    now = now or timezone.now()
    days = settings.IMPORT_FILE_RETENTION_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    due = (ImportBatch.objects.filter(created_at__lt=cutoff, files_purged_at__isnull=True)
           .exclude(status=ImportBatch.Status.IMPORTING).only("id", "file", "problems_file"))
    purged = 0
    for batch in list(due[:1000]):  # a bounded round; the next run takes the rest
        paths = batch_files(batch)
        # Marked first (a commit claims only unpurged batches), then deleted.
        marked = ImportBatch.objects.filter(pk=batch.pk, files_purged_at__isnull=True).exclude(
            status=ImportBatch.Status.IMPORTING).update(file="", problems_file="", sample=[], problems=[],
                                                        one_time_secrets=[], files_purged_at=now)
        if marked:
            for path in paths:
                path.unlink(missing_ok=True)
            purged += 1
    # Uploads interrupted between the staging copy and the batch row leave a file behind.
    incoming = Path(settings.MEDIA_ROOT) / "imports" / "incoming"
    if incoming.is_dir():
        for leftover in incoming.iterdir():
            if leftover.is_file() and leftover.stat().st_mtime < cutoff.timestamp():
                leftover.unlink(missing_ok=True)
    if purged:
        logger.info("purged the files of %s import batches older than %s days", purged, days)
    return purged


class _Progress:
    """Writes the job's progress where the polling page sees it. The PostgreSQL import runs in one
    transaction, so its progress goes through a second, autocommitting connection."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        self.side = None
        self.last = 0.0

    def __call__(self, phase: str, share: float, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and share < 1.0:
            return
        self.last = now
        self.batch.phase, self.batch.progress, self.batch.rows_done = phase, share, rows
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            if self.side is None:
                import psycopg

                self.side = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            self.side.execute("UPDATE imports_importbatch SET phase = %s, progress = %s, rows_done = %s WHERE id = %s",
                              [phase, share, rows, self.batch.pk])
        else:
            ImportBatch.objects.filter(pk=self.batch.pk).update(phase=phase, progress=share, rows_done=rows)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _run(batch: ImportBatch, *, mode: str, dry_run: bool, user, engine: str = "auto") -> roster.Report:
    path = Path(batch.file.path)
    target = problems_path(batch)
    target.parent.mkdir(parents=True, exist_ok=True)
    progress = _Progress(batch)
    try:
        if batch.kind == ImportBatch.Kind.STAFF:
            return staff.import_staff(path=path, school=batch.school, user=user, mode=mode, dry_run=dry_run,
                                      problems_path=target, progress=progress)
        return roster.import_students(path=path, school=batch.school, user=user, mode=mode, dry_run=dry_run,
                                      problems_path=target, progress=progress, engine=engine)
    finally:
        progress.close()


def _store(batch: ImportBatch, report: roster.Report) -> None:
    batch.rows_read, batch.rejected = report.rows_read, report.rejected
    batch.created, batch.updated, batch.unchanged = report.created, report.updated, report.unchanged
    batch.header_line, batch.columns, batch.sample = report.header_line, report.columns, report.sample
    batch.problems = [p._asdict() for p in report.problems]
    batch.problems_file.name = str(problems_path(batch).relative_to(settings.MEDIA_ROOT))
    batch.duration_seconds = round(report.seconds, 3)
    batch.progress = 1.0


def batch_preview(*, batch: ImportBatch, engine: str = "auto") -> ImportBatch:
    """Check the whole file by running the import in 'valid rows' mode and rolling it back."""
    updated = ImportBatch.objects.filter(pk=batch.pk, status__in=[ImportBatch.Status.UPLOADED,
                                                                 ImportBatch.Status.PREVIEWING])
    updated.update(status=ImportBatch.Status.PREVIEWING, phase="reading", progress=0.0)
    batch.refresh_from_db()
    try:
        report = _run(batch, mode=roster.VALID, dry_run=True, user=batch.created_by, engine=engine)
    except Bad as error:  # Unreadable, HeaderNotFound: the file cannot be used at all
        batch.status, batch.error, batch.phase = ImportBatch.Status.FAILED, _stored_error(error), ""
        batch.save()
        return batch
    _store(batch, report)
    batch.status, batch.phase, batch.previewed_at = ImportBatch.Status.PREVIEWED, "", timezone.now()
    batch.save()
    return batch


def _stored_error(error: Bad) -> str:
    import json

    return json.dumps({"message": error.message, "params": error.params}, ensure_ascii=False)


def batch_claim_commit(*, batch: ImportBatch, user, mode: str) -> bool:
    """Mark the batch as importing, once: a second click or a retried job finds it claimed."""
    if mode not in ImportBatch.Mode.values:
        raise ImportRefused(gettext_noop("choose how to import: all rows or the valid rows"))
    if user is not None and not may_import(user, batch.school, batch.kind):
        raise PermissionDenied(permission_for(batch.kind))
    claimed = ImportBatch.objects.filter(pk=batch.pk, files_purged_at__isnull=True,
                                         status__in=[ImportBatch.Status.PREVIEWED,
                                                     ImportBatch.Status.REFUSED]).update(
        status=ImportBatch.Status.IMPORTING, mode=mode, phase="reading", progress=0.0)
    return bool(claimed)


def batch_commit(*, batch: ImportBatch, user, mode: str, engine: str = "auto") -> ImportBatch:
    """Import the batch's file (claimed with batch_claim_commit). In mode 'all' nothing is written unless
    every row is valid. Writes one audit entry (auditlog LogEntry on the batch) with the counts."""
    batch.refresh_from_db()
    if batch.status != ImportBatch.Status.IMPORTING:
        raise ImportRefused(gettext_noop("this file is not waiting to be imported"))
    try:
        report = _run(batch, mode=mode, dry_run=False, user=user, engine=engine)
    except (Unreadable, HeaderNotFound) as error:
        batch.status, batch.error, batch.phase = ImportBatch.Status.FAILED, _stored_error(error), ""
        batch.save()
        return batch
    with transaction.atomic():
        _store(batch, report)
        batch.mode = mode
        batch.status = ImportBatch.Status.REFUSED if report.refused else ImportBatch.Status.IMPORTED
        batch.phase = ""
        batch.one_time_secrets = report.secrets
        if report.written:
            batch.imported_at = timezone.now()
        batch.save()
        LogEntry.objects.log_create(
            batch, action=LogEntry.Action.CREATE if report.written else LogEntry.Action.ACCESS, actor=user,
            remote_addr=batch.remote_addr, changes_text="", force_log=True,
            changes={
                "import": [batch.kind, f"{batch.original_name} (sha256 {batch.sha256[:12]})"],
                "school": ["", batch.school.name],
                "mode": ["", mode],
                "result": ["", "imported" if report.written else "refused"],
                "rows_read": ["", str(report.rows_read)],
                "created": ["", str(report.created)],
                "updated": ["", str(report.updated)],
                "unchanged": ["", str(report.unchanged)],
                "rejected": ["", str(report.rejected)],
            },
        )
    return batch


def batch_take_secrets(*, batch: ImportBatch, user) -> list[dict]:
    """The initial passwords of a staff import, handed out once to the batch's owner and then erased."""
    if batch.created_by_id != getattr(user, "pk", None) or not batch.one_time_secrets:
        return []
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        secrets, locked.one_time_secrets = locked.one_time_secrets, []
        locked.save(update_fields=["one_time_secrets"])
    return secrets
