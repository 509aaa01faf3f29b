"""Signing in: the page, wrong passwords, a temporary password that must be replaced, password rules."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from runxin.testing.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_login_page_is_chinese_first_and_says_the_lockout_rule(world, client, settings):
    # The rule on the page is the configured one (LOGIN_FAILURE_LIMIT may be set in the environment):
    # pin unusual values and read them back in the sentence the visitor sees.
    settings.AXES_FAILURE_LIMIT = 7
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=25)
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-CN">' in body
    assert 'name="username"' in body and 'name="password"' in body
    assert "同一地点连续登录失败 7 次后，该地点的登录将暂停 25 " in body
    with translation.override("en"):
        english = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "After 7 failed attempts from one place, signing in from there pauses for 25 minutes" in english


def test_correct_password_signs_in_and_lands_on_the_next_page(world, client):
    response = client.post(LOGIN, {"username": "psych", "password": TEST_PASSWORD, "next": "/students/"})
    assert response.status_code == 302 and response["Location"] == "/students/"
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(world, client):
    response = client.post(LOGIN, {"username": "psych", "password": "nope"})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get("/").status_code == 302


def test_next_cannot_send_you_off_site(world, client):
    response = client.post(LOGIN, {"username": "psych", "password": TEST_PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_deactivated_account_cannot_sign_in(world, client):
    world.psych.is_active = False
    world.psych.save()
    response = client.post(LOGIN, {"username": "psych", "password": TEST_PASSWORD})
    assert response.status_code == 200 and client.get("/").status_code == 302


def test_temporary_password_must_be_replaced_before_anything_else(world, client):
    world.head.must_change_password = True
    world.head.save()
    client.post(LOGIN, {"username": "head", "password": TEST_PASSWORD})
    response = client.get("/students/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/password/?next=")
    # The same password again is refused, and so is a simple one.
    response = client.post("/accounts/password/", {"old_password": TEST_PASSWORD, "new_password1": TEST_PASSWORD,
                                                   "new_password2": TEST_PASSWORD})
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
    response = client.post("/accounts/password/", {"old_password": TEST_PASSWORD, "new_password1": "abcdefghijk",
                                                   "new_password2": "abcdefghijk"})
    assert response.status_code == 200
    new = "Kite-Orchard-47!"
    response = client.post("/accounts/password/?next=/students/",
                           {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response["Location"] == "/students/"
    world.head.refresh_from_db()
    assert not world.head.must_change_password and world.head.password_changed_at is not None
    assert client.get("/students/").status_code == 200  # still signed in after the change


def test_password_change_is_in_the_audit_trail_without_the_hash(world, client_for):
    from auditlog.models import LogEntry

    client = client_for(world.leader)
    new = "Kite-Orchard-47!"
    client.post("/accounts/password/", {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new})
    entry = LogEntry.objects.filter(object_pk=str(world.leader.pk), content_type__model="user").latest("timestamp")
    assert "password_changed_at" in entry.changes_dict and "password" not in entry.changes_dict
    assert entry.actor == world.leader


@pytest.mark.parametrize("password", ["short1A!", "abcdefghijk", "abcdefgh123", "ABCDEFGH123", "1234567890123",
                                      "password1234"])
def test_password_rules_refuse_weak_passwords(world, password):
    with pytest.raises(ValidationError):
        validate_password(password, world.psych)


@pytest.mark.parametrize("password", ["Kite-Orchard-47!", "spring-river-2026", "Quiet1Harbour9"])
def test_password_rules_accept_strong_ones(world, password):
    validate_password(password, world.psych)


def test_sign_out_ends_the_session(world):
    client = Client()
    client.post(LOGIN, {"username": "psych", "password": TEST_PASSWORD})
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302
