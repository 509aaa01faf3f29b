"""The audit app stores almost nothing of its own: changes live in auditlog's LogEntry, reads in
access.ReadEvent, sign-ins in axes' tables. What it adds is a record of the auditor's own exports."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    """One export of the audit trail (who, when, which filters): the auditor's own work is audited too."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (xlsx)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    filters = models.JSONField(_("filters"), default=dict)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit export")

    def __str__(self) -> str:
        at = timezone.localtime(self.at) if self.at else None
        return f"{self.get_file_format_display()} · {at:%Y-%m-%d %H:%M}" if at else self.get_file_format_display()


class ChainCheckpoint(models.Model):
    """Where an audit table's hash chain continues after a retention purge removed its oldest rows: the last
    removed row's position and hash (see `chain.py`). Written only by `runxin audit-purge` as the owner role;
    append-only like the rows it stands for."""

    table_name = models.CharField(max_length=63)
    seq = models.BigIntegerField()
    chain_hash = models.CharField(max_length=64)
    rows_removed = models.BigIntegerField()
    cutoff = models.DateTimeField()
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["table_name", "seq"], name="audit_checkpoint_table_seq")]

    def __str__(self) -> str:
        return f"{self.table_name} through {self.seq}"
