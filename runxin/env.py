"""Typed readers for settings from the environment; a bad value fails loudly at start-up."""

import os
from urllib.parse import parse_qs, unquote, urlparse


class SettingError(ValueError):
    pass


# The key anyone can read in this repository: fine for the demo, the tests and a developer's DEBUG server,
# never for a server whose cookies matter (it signs the sessions and the questionnaire pass).
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 50


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={raw!r} is not a boolean (use true/false)")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not an integer") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def database_from_url(url: str) -> dict:
    """Turn postgres://user:pass@host:port/name?opt=v or sqlite:///path into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path.startswith("//"):  # sqlite:////abs/path
            path = path[1:]
        elif path.startswith("/"):
            path = path[1:] or ":memory:"
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            # Django's backend with a health check that needs no round trip (runxin/ops/postgresql/base.py).
            "ENGINE": "runxin.ops.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "OPTIONS": options,
        }
    raise SettingError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (use postgres:// or sqlite:///)")


def secret_keys(*, allow_dev_key: bool) -> tuple[str, list[str]]:
    """SECRET_KEY and SECRET_KEY_FALLBACKS (comma-separated, the keys being rotated out: signatures made with
    them still verify, new ones use SECRET_KEY). Without `allow_dev_key` (the demo, DEBUG), a missing, known
    or short key stops the server at start-up: a public key lets anyone forge sessions and questionnaire passes."""
    from django.core.exceptions import ImproperlyConfigured

    key = os.environ.get("SECRET_KEY", "").strip()
    fallbacks = envlist("SECRET_KEY_FALLBACKS", [])
    if allow_dev_key:
        return key or DEV_SECRET_KEY, fallbacks
    hint = ("Generate one with `python -c \"import secrets; print(secrets.token_urlsafe(50))\"` and set it in the "
            "environment (RUNXIN_DEMO=1 runs the demo on a development key).")
    if not key:
        raise ImproperlyConfigured(f"SECRET_KEY is not set and DEBUG is off. {hint}")
    if key == DEV_SECRET_KEY:
        raise ImproperlyConfigured(f"SECRET_KEY is the public development key. {hint}")
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too short or too simple (at least {MIN_SECRET_KEY_LENGTH} characters, 5 different). {hint}")
    if DEV_SECRET_KEY in fallbacks:
        raise ImproperlyConfigured("SECRET_KEY_FALLBACKS holds the public development key: remove it.")
    if key in fallbacks:
        raise ImproperlyConfigured("SECRET_KEY_FALLBACKS repeats SECRET_KEY: list only the keys being rotated out.")
    return key, fallbacks


def field_keys(configured: str, secret_key: str, fallbacks: list[str]) -> list[str]:
    """The Fernet keys for encrypted columns, newest first. `configured` is RUNXIN_FIELD_KEYS (comma-separated
    Fernet keys); when empty, keys derived from SECRET_KEY and its fallbacks, so rotating SECRET_KEY with a
    fallback still opens what was written before."""
    import base64
    import hashlib

    from django.core.exceptions import ImproperlyConfigured

    keys = [k.strip() for k in configured.split(",") if k.strip()]
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                "RUNXIN_FIELD_KEYS holds a value that is not a Fernet key (32 bytes, url-safe base64): generate one "
                "with `python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"`."
            ) from None
    derived = [base64.urlsafe_b64encode(hashlib.sha256(b"runxin.fields/v1:" + s.encode()).digest()).decode()
               for s in [secret_key, *fallbacks]]
    return keys + derived
