"""Notifications: one row per recipient and channel. The rows are both the record of what was sent and the
queue a worker delivers from (claim with a conditional UPDATE, so a retry never sends twice)."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Channel(models.TextChoices):
        INBOX = "inbox", _("In-app inbox")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=40)  # "warning.raised", "warning.escalated", "daily_report" …
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True, db_default="")
    url = models.CharField(max_length=300, blank=True, db_default="")
    ref = models.CharField(max_length=64, blank=True, db_default="")  # what it is about, e.g. "warning:42"
    # One notification per event, recipient and channel: whoever records it twice records nothing new.
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), db_default=Now())
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(db_default=0)
    error = models.CharField(max_length=300, blank=True, db_default="")
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "channel", "-created_at"]),
            models.Index(fields=["ref"]),
            # The unread count shown beside 消息 on every page.
            models.Index(fields=["recipient"], name="notify_unread_inbox_idx",
                         condition=models.Q(channel="inbox", read_at__isnull=True)),
            # The delivery queue: unsent, unclaimed, outside the inbox.
            models.Index(fields=["id"], name="notify_pending_idx",
                         condition=models.Q(claimed_at__isnull=True, sent_at__isnull=True, failed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient_id}: {self.subject}"

    @property
    def status(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        return "claimed" if self.claimed_at else "queued"
