"""Lockout is no weapon (issue 9): failures slow down the (username, address) they come from, each further
lock of the pair lasts twice as long, the owner's known device signs in whatever happened elsewhere, and a
burst alerts the security administrator once."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core.cache import cache
from django.test import Client

from runxin.accounts import throttle
from runxin.notify.models import Notification
from runxin.testing.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
A, B = "10.1.1.1", "10.2.2.2"


@pytest.fixture(autouse=True)
def _limit(settings):
    """These rules are about the limit beside the burst thresholds (20 a username, 50 an address) and ten
    tries; pin it so LOGIN_FAILURE_LIMIT in the environment cannot change what the tests mean."""
    settings.AXES_FAILURE_LIMIT = 5


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, movable: clock.advance(minutes=16)."""
    class Clock:
        current = dt.datetime.now(dt.UTC)

        def advance(self, **delta):
            self.current += dt.timedelta(**delta)
            # axes counts by real time: age its records by the same amount.
            for attempt in AccessAttempt.objects.all():
                AccessAttempt.objects.filter(pk=attempt.pk).update(
                    attempt_time=attempt.attempt_time - dt.timedelta(**delta))

    fake = Clock()
    monkeypatch.setattr(throttle, "now", lambda: fake.current)
    return fake


def attempt(password, *, ip, username="head", client=None):
    return (client or Client()).post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_ten_failures_from_a_do_not_lock_the_owner_out_at_b(world, settings):
    statuses = [attempt("wrong", ip=A).status_code for _ in range(10)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429] * (11 - settings.AXES_FAILURE_LIMIT)
    assert attempt(TEST_PASSWORD, ip=A).status_code == 429  # address A is locked for this username …
    owner = attempt(TEST_PASSWORD, ip=B)
    assert owner.status_code == 302 and owner.url == "/"  # … the owner at address B is not
    assert attempt(TEST_PASSWORD, ip=A).status_code == 429  # and the owner's success at B unlocks nothing at A


def test_each_further_lock_of_the_pair_lasts_twice_as_long(world, settings, clock):
    cool_off = settings.AXES_COOLOFF_TIME
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong", ip=A)
    assert attempt(TEST_PASSWORD, ip=A).status_code == 429
    clock.advance(seconds=cool_off.total_seconds() + 1)
    # The first lock has passed: five more failures lock the pair again, now for twice the cool-off.
    statuses = [attempt("wrong", ip=A).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[-1] == 429
    clock.advance(seconds=cool_off.total_seconds() + 1)
    assert not AccessAttempt.objects.filter(attempt_time__gte=dt.datetime.now(dt.UTC) - cool_off).exists()
    refused = attempt(TEST_PASSWORD, ip=A)  # axes' own lock is over; the growing block is not
    assert refused.status_code == 429 and "accounts/locked_out.html" in [t.name for t in refused.templates]
    assert attempt(TEST_PASSWORD, ip=B).status_code == 302
    clock.advance(seconds=cool_off.total_seconds() * 2 + 1)
    assert attempt(TEST_PASSWORD, ip=A).status_code == 302
    assert throttle.blocked_until("head", A) is None


def test_the_owners_known_device_signs_in_even_from_the_attackers_address(world, settings):
    owner = Client()
    assert attempt(TEST_PASSWORD, ip=B, client=owner).status_code == 302
    assert throttle.KNOWN_DEVICE_COOKIE in owner.cookies
    assert owner.cookies[throttle.KNOWN_DEVICE_COOKIE]["path"] == "/accounts/"
    assert owner.cookies[throttle.KNOWN_DEVICE_COOKIE]["httponly"]
    owner.post("/accounts/logout/")
    for _ in range(10):
        attempt("wrong", ip=A)
    assert attempt(TEST_PASSWORD, ip=A).status_code == 429
    assert attempt(TEST_PASSWORD, ip=A, client=owner).status_code == 302  # same address, known device
    # The cookie is the account's, not a pass for another account …
    stranger = Client()
    stranger.cookies[throttle.KNOWN_DEVICE_COOKIE] = owner.cookies[throttle.KNOWN_DEVICE_COOKIE].value
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong", ip=A, username="psych")
    assert attempt(TEST_PASSWORD, ip=A, username="psych", client=stranger).status_code == 429
    # … nor a forged one.
    forged = Client()
    forged.cookies[throttle.KNOWN_DEVICE_COOKIE] = "x" + owner.cookies[throttle.KNOWN_DEVICE_COOKIE].value
    assert attempt(TEST_PASSWORD, ip=A, client=forged).status_code == 429


def test_a_known_device_guessing_loses_its_privilege_and_its_failures_are_logged(world, settings):
    device = Client()
    attempt(TEST_PASSWORD, ip=B, client=device)
    device.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong", ip=A)
    logged = AccessFailureLog.objects.filter(username="head").count()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert attempt("wrong", ip=A, client=device).status_code == 200  # known: not blocked by A's lock
    assert AccessFailureLog.objects.filter(username="head").count() == logged + settings.AXES_FAILURE_LIMIT
    assert attempt(TEST_PASSWORD, ip=A, client=device).status_code == 429  # now subject to A's lock


def test_a_password_change_forgets_the_known_devices(world, settings):
    device = Client()
    attempt(TEST_PASSWORD, ip=B, client=device)
    device.post("/accounts/logout/")
    world.head.set_password("another-Long-passw0rd")
    world.head.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong", ip=A)
    assert attempt("another-Long-passw0rd", ip=A, client=device).status_code == 429


def test_a_burst_notifies_the_security_administrator_once(world, settings):
    for _ in range(throttle.BURST_PER_USERNAME - 1):
        attempt("wrong", ip=A)
    assert not Notification.objects.filter(kind="security.sign_in_burst").exists()
    for _ in range(5):
        attempt("wrong", ip=B)  # the burst goes on from elsewhere: still one notification
    alerts = Notification.objects.filter(kind="security.sign_in_burst")
    assert [(n.recipient, n.channel) for n in alerts] == [(world.secadmin, "inbox")]
    assert "head" in alerts.get().subject
    # Nobody else hears of it: not the account's owner, not the other administrators.
    assert not Notification.objects.filter(recipient__in=[world.head, world.sysadmin, world.auditor]).exists()


def test_a_spray_from_one_address_notifies_once(world, settings, django_user_model):
    usernames = ["head", "psych", "leader", "mentor", "nobody"]
    for i in range(throttle.BURST_PER_ADDRESS + 5):
        attempt("wrong", ip=A, username=usernames[i % len(usernames)])
    alerts = Notification.objects.filter(kind="security.sign_in_burst")
    assert alerts.count() == 1 and A in alerts.get().subject


def test_the_security_administrators_unlock_forgets_the_growing_block(world, settings, client_for, clock):
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt("wrong", ip=A)
        clock.advance(seconds=settings.AXES_COOLOFF_TIME.total_seconds() + 1)
    assert attempt(TEST_PASSWORD, ip=A).status_code == 429
    AccessAttempt.objects.create(username="head", ip_address=A, user_agent="", failures_since_start=9,
                                 get_data="", post_data="", http_accept="", path_info="")
    assert client_for(world.secadmin).post(f"/accounts/staff/{world.head.pk}/unlock/").status_code == 302
    assert attempt(TEST_PASSWORD, ip=A).status_code == 302


def test_where_a_second_factor_is_needed_the_device_is_known_only_after_it(world, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.SECOND_FACTOR_WAIVED = False
    device = TOTPDevice.objects.create(user=world.psych, name="default", confirmed=True)
    client = Client()
    assert attempt(TEST_PASSWORD, ip=B, username="psych", client=client).status_code == 302
    assert throttle.KNOWN_DEVICE_COOKIE not in client.cookies  # the password alone makes no device known
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert client.post("/accounts/second-factor/", {"token": code}).status_code == 302
    assert throttle.KNOWN_DEVICE_COOKIE in client.cookies
