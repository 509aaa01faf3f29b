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


class SignInCode(models.Model):
    """A one-time code sent by SMS to a guardian's phone (accounts/sms_codes.py): six digits, valid ten minutes,
    used once. Only a keyed hash is stored; a new code for the same phone voids the older ones."""

    phone = models.CharField(max_length=30)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"])]

    def __str__(self) -> str:
        return f"sign-in code for {self.phone[:3]}…{self.phone[-2:]} ({self.created_at:%Y-%m-%d %H:%M})"


class InvitationCode(models.Model):
    """A printed invitation (家长邀请码) for one roster guardian: the fallback when no SMS arrives. The code and
    the guardian's phone together open the parent account; only a keyed hash of the code is stored, so printing
    again issues a new code and voids the old slip."""

    guardian = models.ForeignKey("people.Guardian", models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["guardian", "used_at"])]

    def __str__(self) -> str:
        return f"invitation for guardian {self.guardian_id}"
