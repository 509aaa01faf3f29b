from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: staff, a student, a parent or a hospital clinician."""

    display_name = models.CharField(_("display name"), max_length=60, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    password_changed_at = models.DateTimeField(null=True, blank=True)
    must_change_password = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.display_name or self.username


class PendingGrant(models.Model):
    """A clinical role (psychology teacher, centre staff) asked for by someone who may not grant it alone (a
    school leader): it opens nothing until someone at the level above approves it (accounts/grants.py)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    user = models.ForeignKey(User, models.CASCADE, related_name="pending_grants")
    role = models.CharField(_("role"), max_length=32)
    org_unit = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    assignment = models.ForeignKey("people.RoleAssignment", models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["state", "requested_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org_unit"], condition=models.Q(state="pending"),
                                    name="one_pending_grant_per_role_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} @ {self.org_unit_id} ({self.state})"


class StudentCredential(models.Model):
    """A student's account, issued from the roster (accounts/students.py): which student the account is, and
    the first password while it is still unused — encrypted (accounts/secrets.py), never in clear, so the class
    credential sheet can be printed again until the student signs in; erased at the first password change."""

    user = models.OneToOneField(User, models.CASCADE, related_name="student_credential")
    student = models.OneToOneField("people.Student", models.CASCADE, related_name="+")
    first_password = models.TextField(blank=True, default="")  # a Fernet token, "" once the student chose their own
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    reset_at = models.DateTimeField(null=True, blank=True)
    reset_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)  # the student left: the account was closed

    def __str__(self) -> str:
        return f"{self.user} · student {self.student_id}"
