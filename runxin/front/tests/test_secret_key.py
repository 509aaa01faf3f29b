"""Issue 9 item 2: outside the demo and DEBUG the server refuses to start on a missing, public or weak
SECRET_KEY (anyone could forge the questionnaire pass); SECRET_KEY_FALLBACKS rotates keys."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from runxin.env import DEV_SECRET_KEY, secret_keys

ROOT = Path(__file__).resolve().parents[3]
REAL_KEY = "k3y-" + "Zq8vR2mXw9LpT4bN7cY1sH6dF0gJ5aE3uK8oI2rW" * 2
START = ("import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'runxin.settings'; django.setup(); "
         "from django.conf import settings; print('started', len(settings.SECRET_KEY_FALLBACKS))")


def start(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "DEBUG", "RUNXIN_DEMO", "DJANGO_SETTINGS_MODULE"}}
    clean["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/runxin"  # never connected to by setup()
    return subprocess.run([sys.executable, "-c", START], env={**clean, **env}, cwd=ROOT, capture_output=True,  # noqa: S603
                          text=True, timeout=60)


def test_production_without_a_key_refuses_to_start():
    result = start()
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set and DEBUG is off" in result.stderr


def test_production_on_the_public_development_key_refuses_to_start():
    result = start(SECRET_KEY=DEV_SECRET_KEY, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is the public development key" in result.stderr


def test_the_demo_starts_on_the_development_key_and_production_on_a_real_key_with_fallbacks():
    demo = start(RUNXIN_DEMO="1")
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip() == "started 0"
    production = start(SECRET_KEY=REAL_KEY, SECRET_KEY_FALLBACKS="old-key-one, old-key-two")
    assert production.returncode == 0, production.stderr
    assert production.stdout.strip() == "started 2"


@pytest.mark.parametrize(("key", "fallbacks", "message"), [
    ("", "", "is not set"),
    (DEV_SECRET_KEY, "", "public development key"),
    ("short-key-123", "", "too short"),
    ("a" * 60, "", "too short or too simple"),
    (REAL_KEY, DEV_SECRET_KEY, "SECRET_KEY_FALLBACKS holds the public development key"),
])
def test_weak_keys_are_refused_outside_the_demo(monkeypatch, key, fallbacks, message):
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", fallbacks)
    with pytest.raises(ImproperlyConfigured, match=message):
        secret_keys(allow_dev_key=False)
    assert secret_keys(allow_dev_key=True)[0] == (key or DEV_SECRET_KEY)  # the demo and DEBUG go on


def test_a_real_key_and_its_fallbacks_are_read(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", REAL_KEY)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "old-one,, old-two ")
    assert secret_keys(allow_dev_key=False) == (REAL_KEY, ["old-one", "old-two"])


def test_rotation_keeps_signatures_of_the_old_key_valid_and_a_forged_one_invalid():
    old_key = "old-" + "x7Yb2Nq9" * 8
    with override_settings(SECRET_KEY=old_key):
        token = signing.dumps("42:7", salt="runxin.screening.pass")
    with override_settings(SECRET_KEY=REAL_KEY, SECRET_KEY_FALLBACKS=[old_key]):
        assert signing.loads(token, salt="runxin.screening.pass") == "42:7"
        forged = signing.dumps("42:7", salt="runxin.screening.pass", key=DEV_SECRET_KEY)
        with pytest.raises(signing.BadSignature):
            signing.loads(forged, salt="runxin.screening.pass")
    with override_settings(SECRET_KEY=REAL_KEY, SECRET_KEY_FALLBACKS=[]):
        with pytest.raises(signing.BadSignature):  # once the old key is dropped, its signatures stop working
            signing.loads(token, salt="runxin.screening.pass")
