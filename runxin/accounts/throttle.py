"""Sign-in throttling: wrong passwords slow down the place they come from, not the account.

Five wrong passwords used to lock an account by its username alone, and usernames are predictable: anyone
could lock a head teacher out before morning registration. Now:

* **By (username, source address).** django-axes counts failures per pair (``AXES_LOCKOUT_PARAMETERS =
  [["username", "ip_address"]]``): after ``LOGIN_FAILURE_LIMIT`` failures that pair waits
  ``LOGIN_LOCKOUT_MINUTES`` (renewed by each attempt while it waits). The owner signing in from anywhere else
  is not affected.
* **Growing delays.** Each further time the same pair reaches the limit within a day, it waits twice as long
  as the time before (15, 30, 60 … minutes, at most a day): the ``strike`` below, kept in the cache on top of
  axes' own lock. A successful sign-in from the pair, or an unlock by the security administrator, forgets it.
* **Known devices.** After a complete sign-in (with the second factor where the role needs one) the browser
  gets a signed, long-lived cookie naming the account (`remember_device`). An attempt carrying it for that
  username is never blocked by failures from elsewhere (axes' whitelist callable, `known_device`); its own
  failures are still logged, and a device that fails ``LOGIN_FAILURE_LIMIT`` times in a row loses that
  privilege for the cool-off, so a stolen cookie is no free pass for guessing. Changing the password forgets
  every known device of the account (the cookie is bound to the password hash).
* **Bursts alert the security administrator**: ≥ 20 failures against one username or ≥ 50 from one address
  within 10 minutes put one notification per burst window in every security administrator's inbox.

Everything runs inside axes' handler (`ThrottledAxesHandler`, ``AXES_HANDLER``), so the staff page's lock
status, the unlock button and the audit trail's sign-in failures keep reading axes' tables.
"""

import hashlib
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

KNOWN_DEVICE_COOKIE = "runxin_device"
_DEVICE_SALT = "runxin.accounts.known-device"
_DEVICES_PER_BROWSER = 5  # a family computer may know a parent and two children

MAX_BLOCK = timedelta(hours=24)
STRIKE_MEMORY = timedelta(hours=24)
BURST_WINDOW = timedelta(minutes=10)
BURST_PER_USERNAME = 20
BURST_PER_ADDRESS = 50


def now() -> datetime:
    """The throttle's clock (tests move it)."""
    return timezone.now()


def _cool_off() -> timedelta:
    return settings.AXES_COOLOFF_TIME


def _digest(*parts) -> str:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _user(username: str | None):
    if not username:
        return None
    return get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()


# --------------------------------------------------------------------------------------------- known devices

def _device_token(user) -> str:
    # Bound to the password hash: a new password (after a compromise, a reset) forgets every known device.
    return salted_hmac(_DEVICE_SALT, f"{user.pk}:{user.password}").hexdigest()[:32]


def _tokens(request) -> list[str]:
    raw = request.COOKIES.get(KNOWN_DEVICE_COOKIE)
    if not raw:
        return []
    try:
        tokens = signing.loads(raw, salt=_DEVICE_SALT, max_age=settings.KNOWN_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return []
    return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []


def remember_device(request, response, user) -> None:
    """After a complete sign-in: this browser is one of the user's known devices (a signed cookie, sent only to
    /accounts/, unreadable by scripts)."""
    token = _device_token(user)
    tokens = [t for t in _tokens(request) if t != token][-(_DEVICES_PER_BROWSER - 1):] + [token]
    response.set_cookie(
        KNOWN_DEVICE_COOKIE, signing.dumps(tokens, salt=_DEVICE_SALT), max_age=settings.KNOWN_DEVICE_DAYS * 86400,
        path="/accounts/", secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )


def _device_key(request, username: str) -> str:
    return "signin:device-failures:" + _digest(username, request.COOKIES.get(KNOWN_DEVICE_COOKIE, ""))


def known_device(request, credentials: dict | None) -> bool:
    """axes' whitelist callable: the attempt carries a known-device cookie of the account it names (and that
    device has not itself failed too often)."""
    username = get_client_username(request, credentials)
    memo = request.__dict__.setdefault("_runxin_known_device", {})
    if username not in memo:
        memo[username] = _is_known_device(request, username)
    return memo[username]


def _is_known_device(request, username: str | None) -> bool:
    tokens = _tokens(request)
    if not tokens or not username:
        return False
    user = _user(username)
    if user is None:
        return False
    token = _device_token(user)
    if not any(constant_time_compare(token, t) for t in tokens):
        return False
    return (cache.get(_device_key(request, username)) or 0) < settings.AXES_FAILURE_LIMIT


def _device_failed(request, username: str) -> None:
    key = _device_key(request, username)
    cache.set(key, (cache.get(key) or 0) + 1, timeout=int(_cool_off().total_seconds()))


# ------------------------------------------------------------------------------------- strikes per (user, IP)

def _account_key(username: str | None) -> str:
    user = _user(username)
    base = f"u{user.pk}" if user else "n" + _digest(username or "")
    generation = cache.get(f"signin:generation:{base}") or 0
    return f"{base}:{generation}"


def _pair_key(username: str | None, ip: str | None) -> str:
    return "signin:strikes:" + _digest(_account_key(username), ip or "")


def strike(username: str | None, ip: str | None) -> int:
    """The pair reached the failure limit once more: remember it, and from the second time on block the pair
    for twice as long as the time before. Returns the number of strikes."""
    key = _pair_key(username, ip)
    count = (cache.get(key) or {}).get("count", 0) + 1
    until = None
    if count >= 2:
        until = now() + min(_cool_off() * 2 ** (count - 1), MAX_BLOCK)
    cache.set(key, {"count": count, "until": until}, timeout=int((STRIKE_MEMORY + MAX_BLOCK).total_seconds()))
    return count


def blocked_until(username: str | None, ip: str | None) -> datetime | None:
    until = (cache.get(_pair_key(username, ip)) or {}).get("until")
    return until if until and until > now() else None


def forget_pair(username: str | None, ip: str | None) -> None:
    cache.delete(_pair_key(username, ip))


def forget(username: str | None) -> None:
    """Forget the strikes of every pair of the account (the security administrator unlocked it)."""
    base = _account_key(username).rsplit(":", 1)[0]
    key = f"signin:generation:{base}"
    cache.set(key, (cache.get(key) or 0) + 1, timeout=None)


# ----------------------------------------------------------------------------------------------------- bursts

def _security_admin_ids() -> list[int]:
    from django.db.models import Q

    from runxin.people.models import RoleAssignment

    today = timezone.localdate()
    return list(
        RoleAssignment.objects.filter(role="security_admin", is_active=True, user__is_active=True)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values_list("user_id", flat=True).distinct()
    )


def watch_burst(username: str | None, ip: str | None) -> None:
    """After a failure: a burst against the username or from the address notifies the security administrators,
    once per burst window."""
    from django.utils.translation import gettext as _

    from runxin.notify.services import notify

    since = now() - BURST_WINDOW
    recent = AccessFailureLog.objects.filter(attempt_time__gte=since)
    checks = []
    if username:
        checks.append(("username", username, BURST_PER_USERNAME, recent.filter(username=username)))
    if ip:
        checks.append(("address", ip, BURST_PER_ADDRESS, recent.filter(ip_address=ip)))
    for what, value, limit, failures in checks:
        count = failures.count()
        if count < limit or not cache.add(f"signin:burst:{what}:{_digest(value)}", 1,
                                          timeout=int(BURST_WINDOW.total_seconds())):
            continue
        minutes = int(BURST_WINDOW.total_seconds() // 60)
        if what == "username":
            subject = _("Sign-in attack: %(count)s failed attempts against the account %(username)s in %(minutes)s "
                        "minutes") % {"count": count, "username": value, "minutes": minutes}
        else:
            subject = _("Sign-in attack: %(count)s failed attempts from the address %(ip)s in %(minutes)s "
                        "minutes") % {"count": count, "ip": value, "minutes": minutes}
        body = _("Each source address is slowed down on its own; the account stays usable from its owner's "
                 "devices. The sign-in failures are in the audit trail.")
        notify(recipient_ids=_security_admin_ids(), kind="security.sign_in_burst", subject=subject, body=body,
               dedupe=f"signin-burst:{what}:{_digest(value)}:{int(now().timestamp() // BURST_WINDOW.total_seconds())}")


# ------------------------------------------------------------------------------------------------ the handler

class ThrottledAxesHandler(AxesDatabaseHandler):
    """axes' database handler with the pair's growing block, the known device's bookkeeping, the burst alert,
    and the security administrator's unlock forgetting the strikes too."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return blocked_until(get_client_username(request, credentials), request.axes_ip_address) is not None

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        username = get_client_username(request, credentials)
        ip = request.axes_ip_address
        whitelisted = self.is_whitelisted(request, credentials)
        if not whitelisted and blocked_until(username, ip) is not None:
            request.axes_locked_out = True  # the growing block: answer with the lockout page, log it as one
        super().user_login_failed(sender, credentials, request, **kwargs)
        if whitelisted:
            # axes records nothing for a whitelisted client; the audit trail keeps every failure all the same.
            AccessFailureLog.objects.create(
                username=username, ip_address=ip, user_agent=request.axes_user_agent,
                http_accept=request.axes_http_accept, path_info=request.axes_path_info,
                attempt_time=request.axes_attempt_time, locked_out=False)
            _device_failed(request, username or "")
        elif getattr(request, "axes_failures_since_start", 0) == get_failure_limit(request, credentials):
            strike(username, ip)
        watch_burst(username, ip)
        return None

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        username = user.get_username()
        if not request.__dict__.get("_runxin_known_device", {}).get(username):
            forget_pair(username, request.axes_ip_address)  # the owner at this address: its strikes are void
        cache.delete(_device_key(request, username))

    def reset_user_attempts(self, request, credentials=None) -> int:
        # The owner signing in on a known device at an attacker's address leaves the attacker's count there.
        if request.__dict__.get("_runxin_known_device", {}).get(get_client_username(request, credentials)):
            return 0
        return super().reset_user_attempts(request, credentials)

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        count = super().reset_attempts(ip_address=ip_address, username=username, ip_or_username=ip_or_username)
        if username:
            forget(username)
        return count
