"""An import batch: one uploaded roster file, its preview, its import and its report."""

import secrets
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def upload_path(batch: "ImportBatch", filename: str) -> str:
    """An unguessable name (the original name is kept in `original_name`); only the suffix tells the reader
    how to read it. Files are served only by the scoped download view, never from MEDIA_URL."""
    suffix = Path(filename).suffix.lower()[:8]
    return f"imports/files/{secrets.token_urlsafe(24)}{suffix}"


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        STUDENTS = "students", _("Students")
        STAFF = "staff", _("Staff")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWING = "previewing", _("Checking")
        PREVIEWED = "previewed", _("Checked, waiting for your choice")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("Not imported: the file has errors")
        FAILED = "failed", _("Unreadable file")

    class Mode(models.TextChoices):
        ALL = "all", _("All rows or nothing")
        VALID = "valid", _("The valid rows; download the rejected ones")

    RUNNING = (Status.UPLOADED, Status.PREVIEWING, Status.IMPORTING)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STUDENTS)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, blank=True, default="")
    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"))
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=8, default="web")  # web or cli

    file = models.FileField(_("file"), upload_to=upload_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)

    # progress of the running job (a Celery task; in-process in the embedded default)
    phase = models.CharField(max_length=40, blank=True, default="")
    progress = models.FloatField(default=0.0)  # 0.0–1.0
    rows_done = models.PositiveIntegerField(default=0)

    # counts of the last run (the preview's are a forecast: it runs the import and rolls it back)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    error = models.TextField(blank=True, default="")  # why the file could not be read at all
    header_line = models.PositiveIntegerField(null=True, blank=True)
    columns = models.JSONField(default=dict, blank=True)  # recognised and ignored columns
    problems = models.JSONField(default=list, blank=True)  # the first problems, for the page
    problems_file = models.FileField(max_length=255, blank=True, default="")  # all problems, JSON lines
    sample = models.JSONField(default=list, blank=True)  # the first valid rows, for the preview
    # Staff import: initial passwords, shown once on the result page and then erased.
    one_time_secrets = models.JSONField(default=list, blank=True)

    # The uploaded file, the problems file and the preview rows are deleted after IMPORT_FILE_RETENTION_DAYS
    # (`runxin purge-import-files`); the batch and its counts stay.
    files_purged_at = models.DateTimeField(null=True, blank=True)

    previewed_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "created_at"]), models.Index(fields=["school", "created_at"])]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def can_commit(self) -> bool:
        return self.status in {self.Status.PREVIEWED, self.Status.REFUSED} and self.files_purged_at is None

    @property
    def valid_rows(self) -> int:
        return self.rows_read - self.rejected

    @property
    def percent(self) -> int:
        return int(self.progress * 100)
