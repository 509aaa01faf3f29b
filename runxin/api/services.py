"""Writes of the API app: mark an account as an integration account, issue and revoke its tokens, log a call.

Who may: whoever administers the account on the staff pages (accounts/staff.py: the security administrator
for every account, a school leader for their school's). Roles are granted to an integration account on the
staff pages like anyone's, through the same rules; nothing here grants a role."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.accounts import staff
from runxin.accounts.models import User
from runxin.people.models import RoleAssignment

from .models import ApiCall, ApiToken, IntegrationAccount

TOKEN_PREFIX = "rx_"  # noqa: S105 - a marker that says "runxin token", not a secret
MAX_TOKEN_DAYS = 365


class TokenError(ValueError):
    """A refused request; the message says why, in the user's language."""


def token_hash(raw: str) -> str:
    # A token holds 256 random bits, so a fast hash is enough: there is nothing to guess from it.
    return hashlib.sha256(raw.encode()).hexdigest()


def _active_roles(user: User) -> list[tuple[str, str | None]]:
    today = timezone.localdate()
    return [(a.role, a.org_unit.path if a.org_unit else None)
            for a in RoleAssignment.objects.filter(user=user, is_active=True).select_related("org_unit")
            if a.ends_on is None or a.ends_on >= today]


def governs(actor: User, target: User) -> bool:
    """Whether `actor` administers `target`'s account (and so its integration flag and tokens)."""
    return actor.pk != target.pk and staff.governs_account(actor, _active_roles(target))


@transaction.atomic
def account_flag(*, actor: User, target: User, system: str, description: str = "") -> IntegrationAccount:
    """Make a new staff account an integration account: it loses its password (it signs in with tokens only).
    A person's account that has ever signed in is refused: create a separate account for the system."""
    if not governs(actor, target):
        raise PermissionDenied("account outside your administration")
    if system not in IntegrationAccount.System.values:
        raise TokenError(_("Choose the system the account is for."))
    if IntegrationAccount.objects.filter(user=target).exists():
        raise TokenError(_("%(user)s is already an integration account.") % {"user": target})
    if target.last_login is not None:
        raise TokenError(_("%(user)s has signed in as a person. Create a separate account for the system on the "
                           "Staff page.") % {"user": target})
    if not _active_roles(target):
        raise TokenError(_("Give %(user)s a role at an org unit first: the role decides what the system may "
                           "read.") % {"user": target})
    target.set_unusable_password()
    target.must_change_password = False
    target.save(update_fields=["password", "must_change_password"])
    return IntegrationAccount.objects.create(user=target, system=system, description=description.strip()[:200],
                                             created_by=actor)


@transaction.atomic
def token_issue(*, actor: User, account: IntegrationAccount, label: str = "", days: int | None = None
                ) -> tuple[ApiToken, str]:
    """A new token for the account, valid `days` (default API_TOKEN_DAYS). Returns the row and the token
    itself, which is shown once and never stored."""
    if not governs(actor, account.user):
        raise PermissionDenied("account outside your administration")
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise TokenError(_("A token is valid for 1 to %(max)s days.") % {"max": MAX_TOKEN_DAYS})
    if not account.user.is_active:
        raise TokenError(_("The account is deactivated."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(account=account, label=label.strip()[:80], prefix=raw[:10],
                                    key_hash=token_hash(raw), created_by=actor,
                                    expires_at=timezone.now() + timedelta(days=days))
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    if not governs(actor, token.account.user):
        raise PermissionDenied("account outside your administration")
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])


def token_authenticate(raw: str) -> ApiToken | None:
    """The usable token with this value (not revoked, not expired, its account active), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (ApiToken.objects.select_related("account__user")
             .filter(key_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now()).first())
    if token is None or not token.account.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # at most one write per token in 5 minutes
    return token


def call_record(*, token: ApiToken | None, user, method: str, path: str, status: int, student_ids=(),
                remote_addr: str | None = None) -> ApiCall:
    return ApiCall.objects.create(token=token, user=user if getattr(user, "is_authenticated", False) else None,
                                  method=method[:8], path=path[:300], status=status,
                                  student_ids=sorted(set(student_ids)), remote_addr=remote_addr)
