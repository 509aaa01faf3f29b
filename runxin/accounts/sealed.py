"""Sealing a secret the server must show again later (a student's first password, for the class credential sheet):
Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`), never stored in clear.

The key is settings.CREDENTIAL_KEY (env RUNXIN_CREDENTIAL_KEY: a Fernet key, `Fernet.generate_key()`); when
it is not set, a key derived from SECRET_KEY. Keys of SECRET_KEY_FALLBACKS still open what they sealed, so a
SECRET_KEY rotation does not lose the unused first passwords; a token no key opens reads as None (the sheet then
says to reset the password) — never an error page.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _derived(secret: str) -> bytes:
    digest = hashlib.sha256(b"runxin.accounts.sealed/v1:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet(dedicated: str, secret: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    keys = [dedicated.encode()] if dedicated else []
    keys += [_derived(secret), *(_derived(old) for old in fallbacks)]
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(getattr(settings, "CREDENTIAL_KEY", ""), settings.SECRET_KEY,
                   tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def seal(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def unseal(token: str) -> str | None:
    """The sealed text, or None when there is none or no configured key opens it."""
    if not token:
        return None
    try:
        return _current().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
