"""Referral (转介) from a school to the district centre or a partner hospital, and the medical green channel
(医教结合): the guardian informed at once, the receiving side's answer, the hospital's dated steps, the school's
return-to-school assessment (复学评估). Every step carries its own time so referral → first visit is measured."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_model_fields.fields import EncryptedTextField


class Referral(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("Sent, awaiting answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SEEN = "seen", _("First visit done")
        ADMITTED = "admitted", _("Admitted")
        DISCHARGED = "discharged", _("Discharged")
        RETURNED = "returned", _("Back at school")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # While a referral is in one of these, the receiving unit's users reach the student (access/scope.py).
    ACTIVE = ("sent", "accepted", "seen", "admitted", "discharged")

    class GuardianHow(models.TextChoices):
        PHONE = "phone", _("Phone")
        IN_PERSON = "in_person", _("In person")
        MESSAGE = "message", _("Message")

    class ReturnDecision(models.TextChoices):
        RETURN = "return", _("Returns to normal classes")
        WITH_SUPPORT = "with_support", _("Returns with support arrangements")
        POSTPONE = "postpone", _("Return postponed")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="referrals")
    warning = models.ForeignKey("alerts.Warning", models.PROTECT, null=True, blank=True, related_name="+")
    from_school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    urgent = models.BooleanField(_("green channel (urgent)"), default=False)
    reason = EncryptedTextField(_("why the student is referred"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SENT)
    referred_at = models.DateTimeField(_("referred"))
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    guardian_informed_at = models.DateTimeField(_("guardian informed"))
    guardian_informed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    guardian_name = models.CharField(_("guardian informed"), max_length=60)
    guardian_how = models.CharField(_("how"), max_length=12, choices=GuardianHow.choices)
    guardian_response = models.TextField(_("what the guardian said"), blank=True, default="")
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    decline_reason = models.TextField(blank=True, default="")
    first_visit_at = models.DateTimeField(_("first visit"), null=True, blank=True)
    admitted_at = models.DateTimeField(_("admitted"), null=True, blank=True)
    discharged_at = models.DateTimeField(_("discharged"), null=True, blank=True)
    clinical_summary = EncryptedTextField(_("hospital's summary"), blank=True, default="")
    return_advice = EncryptedTextField(_("return-to-school advice"), blank=True, default="")
    return_assessed_at = models.DateTimeField(null=True, blank=True)
    return_assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                           related_name="+")
    return_decision = models.CharField(max_length=14, choices=ReturnDecision.choices, blank=True, default="")
    return_arrangements = EncryptedTextField(_("arrangements at school"), blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["to_unit", "status"]), models.Index(fields=["from_school", "status"]),
                   models.Index(fields=["student", "referred_at"])]
        constraints = [models.UniqueConstraint(
            fields=["student", "to_unit"], condition=Q(status__in=("sent", "accepted", "seen", "admitted",
                                                                   "discharged")),
            name="one_active_referral_per_student_and_unit")]
        ordering = ["-referred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ReferralEvent(models.Model):
    """Each dated step of a referral, with who did it: the referral's own timeline."""

    referral = models.ForeignKey(Referral, models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20)
    note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
