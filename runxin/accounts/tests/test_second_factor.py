"""The second factor (TOTP) for staff whose roles see identified risk data."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from runxin.testing.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.SECOND_FACTOR_WAIVED = False


def signed_in(username):
    client = Client()
    assert client.post("/accounts/login/", {"username": username, "password": TEST_PASSWORD}).status_code == 302
    return client


def code_for(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_psych_teacher_enrols_then_reaches_the_home_page(world):
    client = signed_in("psych")
    response = client.get("/students/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/second-factor/setup/")
    setup = client.get(response["Location"])
    assert setup.status_code == 200 and "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=world.psych, confirmed=False)
    response = client.post("/accounts/second-factor/setup/?next=/students/", {"token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/students/"
    assert client.get("/").status_code == 200
    assert client.get("/students/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_wrong_code_is_refused(world):
    client = signed_in("psych")
    client.get("/accounts/second-factor/setup/")
    device = TOTPDevice.objects.get(user=world.psych)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/second-factor/setup/", {"token": wrong})
    assert response.status_code == 200 and response.context["form"].errors["token"]
    assert client.get("/").status_code == 302
    response = client.post("/accounts/second-factor/setup/", {"token": "12ab"})
    assert response.context["form"].errors["token"]


def test_enrolled_user_verifies_at_the_next_sign_in(world):
    client = signed_in("psych")
    client.get("/accounts/second-factor/setup/")
    device = TOTPDevice.objects.get(user=world.psych)
    client.post("/accounts/second-factor/setup/", {"token": code_for(device)})
    device.refresh_from_db()
    second = signed_in("psych")
    response = second.get("/")
    assert response["Location"].startswith("/accounts/second-factor/?")
    device.last_t = -1  # a code may be used once; let this test reuse the current time step
    device.save()
    assert second.post("/accounts/second-factor/", {"token": code_for(device)}).status_code == 302
    assert second.get("/").status_code == 200


@pytest.mark.parametrize("who", ["parent", "committee", "student_user", "supervisor", "city_admin"])
def test_roles_without_identified_risk_data_are_not_asked(world, who):
    client = signed_in(getattr(world, who).username)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    # A parent's home is their children's page; nobody here is sent to the second factor.
    assert response.redirect_chain in ([], [("/family/", 302)]) and "second-factor" not in response.request["PATH_INFO"]


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "head", "mentor", "leader", "hotline"])
def test_administrators_and_care_roles_are_asked(world, who):
    client = signed_in(getattr(world, who).username)
    assert client.get("/").status_code == 302


def test_staff_pages_are_not_reachable_before_the_second_factor(world):
    client = signed_in("secadmin")
    response = client.get("/accounts/staff/")
    assert response.status_code == 302 and "/accounts/second-factor/" in response["Location"]
    # Nor is the password page: knowing the password alone must not be enough to change it.
    assert client.get("/accounts/password/").status_code == 302


def test_waived_installation_says_so_on_every_page(world, settings, client_for):
    settings.SECOND_FACTOR_WAIVED = True
    body = client_for(world.psych).get("/").content.decode()
    assert "demo-banner" in body
    assert "demo-banner" in Client().get("/accounts/login/").content.decode()
