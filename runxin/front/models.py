from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadinessReview(models.Model):
    """A judgement on the go-live checklist that no count can make: "the warning levels and their policies are
    the ones this city means", signed by a named person. Written only by front/readiness.py."""

    unit = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    item = models.CharField(_("item"), max_length=40)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    note = models.CharField(_("note"), max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["unit", "item", "-reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.item} @ {self.unit_id} by {self.reviewed_by_id}"
