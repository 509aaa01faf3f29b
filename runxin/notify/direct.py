"""Messages that must not be kept: a one-time sign-in code goes straight to the SMS adapter, never into the
notification table (a row there would hold the code in clear and be shown in an inbox). Everything else goes
through notify.services (rows as record and queue).

The adapters (notify/adapters.py) take a notification-like object; `Direct` is one with only what they read.
The demo's logging adapter writes the line "sms to <phone> (user None): <subject> <url>", which is where the
demo and the tests find a code.
"""

from dataclasses import dataclass, field

from .adapters import DeliveryError, adapter_for

__all__ = ["DeliveryError", "Direct", "send_direct"]


@dataclass(frozen=True)
class _Recipient:
    phone: str
    username: str = ""
    email: str = ""
    pk: None = None


@dataclass(frozen=True)
class Direct:
    recipient: _Recipient
    channel: str
    subject: str
    body: str = ""
    url: str = ""
    kind: str = field(default="direct")


def send_direct(*, channel: str, phone: str, subject: str, body: str = "") -> None:
    """Hand one message to the channel's adapter now, addressed by phone. Raises DeliveryError."""
    if not phone:
        raise DeliveryError("no phone number", final=True)
    adapter_for(channel).send(Direct(recipient=_Recipient(phone=phone), channel=channel, subject=subject, body=body))
