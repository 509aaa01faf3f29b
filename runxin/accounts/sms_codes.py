"""One-time sign-in codes by SMS for parents (家长短信验证码登录).

* A code is six digits, valid ``CODE_MINUTES`` minutes, used once; only a keyed hash is stored (SignInCode),
  and asking again voids the older codes of the phone.
* Codes go only to phones a roster guardian carries, but the answer is the same for any well-formed number:
  nobody learns from this page whether a phone is on a roster.
* Rate limits, counted for known and unknown numbers alike (in the cache, as accounts/throttle.py does):
  one code a minute and ``PER_PHONE_HOUR`` an hour per phone, ``PER_ADDRESS_HOUR`` an hour per source address;
  ``MAX_FAILURES`` wrong guesses void a code, and ``FAILURES_PER_ADDRESS`` wrong guesses from one address in
  ``FAILURE_WINDOW`` pause guessing from there.
* The code goes straight to the SMS adapter (notify/direct.py), never into the notification table. With the
  demo's logging adapter the log line reads "sms to 139…: 润心登录验证码 123456 …" (``code_in_log`` finds it).
"""

import hashlib
import logging
import re
import secrets
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from runxin.notify.direct import DeliveryError, send_direct
from runxin.people.guardians import guardians_with_phone

from .models import SignInCode

log = logging.getLogger(__name__)

CODE_MINUTES = 10
MAX_FAILURES = 5
RESEND_SECONDS = 60
PER_PHONE_HOUR = 5
PER_ADDRESS_HOUR = 20
FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=10)
_SALT = "runxin.accounts.sms-code"
_PHONE_STRIP = str.maketrans("", "", " -()\u3000")
_MOBILE = re.compile(r"^1\d{10}$")


class CodeRefused(Exception):
    """A request or a code the rules refuse; str() is the sentence to show."""


def normalise_phone(raw: str) -> str:
    """An 11-digit mainland mobile number as the roster import stores it, or CodeRefused."""
    digits = (raw or "").strip().translate(_PHONE_STRIP)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.match(digits):
        raise CodeRefused(_("Enter the 11-digit mobile number the school has for you, for example 13912345678."))
    return digits


def _hash(phone: str, code: str) -> str:
    return salted_hmac(_SALT, f"{phone}:{code}", algorithm="sha256").hexdigest()


def _key(*parts) -> str:
    return "parent-sms:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _count(key: str, seconds: int) -> int:
    """Add one to a counter that lives `seconds` from its first use; return the new value."""
    if cache.add(key, 1, timeout=seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        return 1


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def request_code(*, phone: str, ip: str | None) -> None:
    """Send a code to `phone` if a roster guardian carries it; answer the same either way. Raises CodeRefused
    for a malformed number or when a rate limit is reached (for known and unknown numbers alike)."""
    phone = normalise_phone(phone)
    if not cache.add(_key("resend", phone), 1, timeout=RESEND_SECONDS):
        raise CodeRefused(_("A code was sent to this number less than a minute ago. Wait a minute before asking "
                            "for another."))
    if _count(_key("phone-hour", phone), 3600) > PER_PHONE_HOUR:
        raise CodeRefused(_("Too many codes were asked for this number. Try again in an hour, or use the "
                            "invitation code on the school's letter."))
    if _count(_key("address-hour", ip or ""), 3600) > PER_ADDRESS_HOUR:
        raise CodeRefused(_("Too many codes were asked from this network. Try again in an hour."))
    if not guardians_with_phone(phone):
        log.info("parent sign-in code asked for a number on no roster")
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        SignInCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
        SignInCode.objects.create(phone=phone, code_hash=_hash(phone, code), created_at=now,
                                  expires_at=now + timedelta(minutes=CODE_MINUTES))
    subject = _("Runxin sign-in code %(code)s, valid for %(minutes)s minutes. Do not share it with anyone.") % {
        "code": code, "minutes": CODE_MINUTES}
    try:
        send_direct(channel="sms", phone=phone, subject=subject)
    except DeliveryError:
        log.exception("parent sign-in code not handed to the SMS gateway")


def _failed_from(ip: str | None) -> int:
    return cache.get(_key("failures", ip or "")) or 0


def check_code(*, phone: str, code: str, ip: str | None) -> str:
    """Use the phone's current code. Returns the normalised phone when `code` is right (the code is then spent);
    raises CodeRefused when it is wrong, expired, used, voided by too many guesses, or guessing from this
    address is paused."""
    phone = normalise_phone(phone)
    code = (code or "").strip()
    if _failed_from(ip) >= FAILURES_PER_ADDRESS:
        raise CodeRefused(_("Too many wrong codes from this network. Wait %(minutes)s minutes and ask for a new "
                            "code.") % {"minutes": _minutes(int(FAILURE_WINDOW.total_seconds()))})
    wrong = CodeRefused(_("That code is not right, or it has expired. Check the latest SMS, or ask for a new code."))
    if not re.fullmatch(r"\d{6}", code):
        raise CodeRefused(_("The code is the 6 digits in the SMS."))
    now = timezone.now()
    current = (SignInCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now,
                                         failed_attempts__lt=MAX_FAILURES).order_by("-created_at").first())
    if current is None or not constant_time_compare(current.code_hash, _hash(phone, code)):
        _count(_key("failures", ip or ""), int(FAILURE_WINDOW.total_seconds()))
        if current is not None:
            SignInCode.objects.filter(pk=current.pk).update(failed_attempts=F("failed_attempts") + 1)
        raise wrong
    # Single use, also under a double tap: only the request that marks it used signs in.
    if not SignInCode.objects.filter(pk=current.pk, used_at__isnull=True).update(used_at=now):
        raise wrong
    return phone


def code_in_log(text: str, phone: str) -> str | None:
    """The latest code sent to `phone` in a log text from the logging SMS adapter (for the demo and tests)."""
    found = re.findall(rf"sms to {re.escape(phone)} \(user None\): \D*(\d{{6}})", text)
    return found[-1] if found else None
