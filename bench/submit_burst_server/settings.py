"""The production settings, with the bench's URLconf: the bare insert endpoint exists only here."""

from runxin.settings import *  # noqa: F403

ROOT_URLCONF = "submit_burst_server.urls"
