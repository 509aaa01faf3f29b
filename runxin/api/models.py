"""Integration accounts (对接账号), their API tokens, and one row per API call.

An integration account is an ordinary user with ordinary role assignments (a 学籍系统 account holds, say, a
school leader's role at its school), so runxin.access.scope applies to it unchanged. The flag below marks it
as a machine: it has no password and signs in only with a token. A token is shown once; only its SHA-256
is stored."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntegrationAccount(models.Model):
    class System(models.TextChoices):
        STUDENT_REGISTRY = "registry", _("Student registry (学籍系统)")
        PROVINCIAL = "provincial", _("Provincial crisis platform (省平台)")
        HOSPITAL = "hospital", _("Hospital system (医院)")
        OTHER = "other", _("Other system")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="integration")
    system = models.CharField(_("system"), max_length=12, choices=System.choices)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("integration account")

    def __str__(self) -> str:
        return f"{self.user} ({self.system})"


class ApiToken(models.Model):
    account = models.ForeignKey(IntegrationAccount, models.PROTECT, related_name="tokens")
    label = models.CharField(_("label"), max_length=80, blank=True, default="")
    prefix = models.CharField(max_length=12)  # the first characters, to recognise a token in lists and logs
    key_hash = models.CharField(max_length=64, unique=True)  # sha256 hex of the whole token
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.account.user})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiCall(models.Model):
    """One API call: who (token, account), what (method, path), the answer's status, and the students whose
    identified data it returned. Reads of identified data also leave access.ReadEvent rows."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    token = models.ForeignKey(ApiToken, models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    student_ids = models.JSONField(default=list, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["token", "at"])]
        verbose_name = _("API call")

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"
