"""Home visits and family contact (家访, 家校联系): planned and done, per student, kept with the school and class the
student was in at the time so coverage per class, teacher and school stays true after a move."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FamilyContact(models.Model):
    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", _("Home visit (家访)")
        DORM_VISIT = "dorm_visit", _("Dormitory visit (宿舍走访)")
        PHONE = "phone", _("Phone call")
        MEETING = "meeting", _("Meeting at school")
        ONLINE = "online", _("Video call or messages")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="family_contacts")
    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    school_class = models.ForeignKey("org.OrgUnit", models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    visitors = models.CharField(_("who went"), max_length=200, blank=True, default="")
    met_with = models.CharField(_("who was met (guardians, family)"), max_length=200, blank=True, default="")
    dormitory = models.CharField(_("dormitory"), max_length=60, blank=True, default="")
    summary = models.TextField(_("what was seen and discussed"), blank=True, default="")
    agreed = models.TextField(_("what was agreed with the family"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["school", "status", "done_on"]),
                   models.Index(fields=["student", "done_on"]),
                   models.Index(fields=["school_class", "status", "done_on"])]
        ordering = ["-done_on", "-planned_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.student_id} {self.done_on or self.planned_on}"
