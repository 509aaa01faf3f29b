"""Read audit and break-glass grants: every read of a sensitive student record leaves a row here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadEvent(models.Model):
    """One read of a sensitive student record (a profile, a screening result, a case note …)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    student = models.ForeignKey("people.Student", models.PROTECT, related_name="+")
    record_type = models.CharField(_("record type"), max_length=40)
    record_id = models.CharField(_("record id"), max_length=64, blank=True, default="")
    purpose = models.CharField(_("purpose"), max_length=200, blank=True, default="")
    via_break_glass = models.BooleanField(default=False)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["student", "at"]), models.Index(fields=["user", "at"])]
        verbose_name = _("read event")

    def __str__(self) -> str:
        return f"{self.record_type} #{self.record_id}"


class BreakGlassGrant(models.Model):
    """Emergency access (紧急访问) to one student outside the user's scope, with a stated reason.
    It expires on its own and every use is marked in the read audit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    student = models.ForeignKey("people.Student", models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        # Stored as the audit entry's label: the student appears by id only, never by name.
        return f"break-glass #{self.pk} (student #{self.student_id})"
