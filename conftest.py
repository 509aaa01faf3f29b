"""Shared pytest fixtures: the small world with one person per role, and a logged-in client helper."""

import pytest
from django.test import Client

from runxin.testing.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client_for(db):
    """client_for(user) → a Django test client signed in as that user (second factor marked as passed)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _second_factor_off_by_default(settings):
    # Tests of the second factor turn it back on; everything else signs in with force_login.
    settings.SECOND_FACTOR_WAIVED = True
