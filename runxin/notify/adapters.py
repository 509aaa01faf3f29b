"""Delivery adapters, one per outside channel. An adapter sends one notification or raises DeliveryError.

Which adapter serves a channel is a setting (NOTIFY_ADAPTERS, a dict channel → dotted path); the defaults
send e-mail through Django's mail backend and only log SMS and WeChat messages, which is what the demo
needs. A real SMS gateway or WeChat template-message adapter implements the same two members.
"""

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger("runxin.notify")


class DeliveryError(Exception):
    """The message could not be handed over (no address, gateway refused …). `final` means: do not retry."""

    def __init__(self, message: str, *, final: bool = False):
        super().__init__(message)
        self.final = final


class Adapter(Protocol):
    def send(self, notification) -> None: ...


class EmailAdapter:
    """E-mail through whatever EMAIL_BACKEND is configured (SMTP in production, console in the demo)."""

    def send(self, notification) -> None:
        address = (notification.recipient.email or "").strip()
        if not address:
            raise DeliveryError(_("recipient has no e-mail address"), final=True)
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
        try:
            send_mail(notification.subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except OSError as exc:  # SMTP refusals and connection errors: worth a retry
            raise DeliveryError(_("mail server: %(error)s") % {"error": exc}) from exc


class LoggingAdapter:
    """Writes the message to the log instead of sending it: the demo's SMS and WeChat gateway."""

    def __init__(self, channel: str = ""):
        self.channel = channel

    def send(self, notification) -> None:
        recipient = notification.recipient
        address = recipient.phone if notification.channel == "sms" else recipient.username
        if notification.channel == "sms" and not address:
            raise DeliveryError(_("recipient has no phone number"), final=True)
        logger.info("%s to %s (user %s): %s %s", notification.channel, address, recipient.pk,
                    notification.subject, notification.url)


DEFAULT_ADAPTERS = {
    "email": "runxin.notify.adapters.EmailAdapter",
    "sms": "runxin.notify.adapters.LoggingAdapter",
    "wechat": "runxin.notify.adapters.LoggingAdapter",
}


def adapter_for(channel: str) -> Adapter:
    paths = {**DEFAULT_ADAPTERS, **getattr(settings, "NOTIFY_ADAPTERS", {})}
    if channel not in paths:
        raise DeliveryError(_("no adapter for channel %(channel)s") % {"channel": channel}, final=True)
    cls = import_string(paths[channel])
    return cls(channel) if cls is LoggingAdapter else cls()
