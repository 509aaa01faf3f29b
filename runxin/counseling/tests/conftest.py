"""Fixtures of the counseling tests: the field keys in use (a crypter rebuilt for them) and a recent time."""

import pytest
from cryptography.fernet import Fernet


@pytest.fixture
def use_keys(settings, monkeypatch):
    """use_keys([k1, …]) sets FIELD_ENCRYPTION_KEY and rebuilds encrypted_model_fields' module-level crypter,
    which the library builds once at import."""
    from encrypted_model_fields import fields

    def apply(keys: list[str]) -> None:
        settings.FIELD_ENCRYPTION_KEY = list(keys)
        monkeypatch.setattr(fields, "CRYPTER", fields.get_crypter())

    return apply


@pytest.fixture
def new_key():
    return lambda: Fernet.generate_key().decode()
