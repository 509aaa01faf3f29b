"""Tokens: issued by the account's administrator, shown once, stored as a hash, expiring, revocable; the
token pages refuse everyone else."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from runxin.api import services
from runxin.api.models import ApiCall, ApiToken, IntegrationAccount
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


def test_security_admin_issues_a_token_shown_once_and_stored_as_a_hash(world, client_for):
    robot = f.UserFactory(username="xueji_sync")
    f.assign(robot, "school_leader", world.school)
    admin = client_for(world.secadmin)
    response = admin.post(reverse("api:account_flag"), {"username": "xueji_sync", "system": "registry"})
    assert response.status_code == 302
    account = IntegrationAccount.objects.get(user=robot)
    robot.refresh_from_db()
    assert not robot.has_usable_password()  # it signs in with tokens only

    response = admin.post(reverse("api:token_issue", args=[account.pk]), {"label": "学籍系统", "days": 90})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = response.context["raw"]
    assert raw.startswith("rx_") and raw in response.content.decode()
    token = ApiToken.objects.get(account=account)
    assert token.key_hash == services.token_hash(raw) and raw not in {token.prefix, token.key_hash, token.label}
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    listing = admin.get(reverse("api:tokens")).content.decode()
    assert token.prefix in listing and raw not in listing  # never shown again

    api = client_for(world.outsider).__class__(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(reverse("api:students")).status_code == 200


def test_expired_revoked_and_unknown_tokens_are_refused_and_logged(world, client_for):
    from .conftest import integration

    robot = integration(world, "robot", "school_leader", world.school)
    assert robot.client.get(reverse("api:students")).status_code == 200
    ApiToken.objects.filter(pk=robot.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert robot.client.get(reverse("api:students")).status_code == 403
    ApiToken.objects.filter(pk=robot.token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    response = client_for(world.secadmin).post(reverse("api:token_revoke", args=[robot.token.pk]))
    assert response.status_code == 302
    assert robot.client.get(reverse("api:students")).status_code == 403
    stranger = robot.client.__class__(HTTP_AUTHORIZATION="Bearer rx_not-a-token")
    assert stranger.get(reverse("api:students")).status_code == 403
    calls = list(ApiCall.objects.order_by("id").values_list("status", "token_id"))
    assert calls == [(200, robot.token.pk), (403, None), (403, None), (403, None)]


def test_deactivated_account_token_stops_working(world):
    from .conftest import integration

    robot = integration(world, "robot", "school_leader", world.school)
    robot.user.is_active = False
    robot.user.save()
    assert robot.client.get(reverse("api:students")).status_code == 403


def test_a_session_is_not_an_api_credential(world, client_for):
    """A signed-in person (even the school's psychology teacher) cannot call the API with the browser session."""
    assert client_for(world.psych).get(reverse("api:students")).status_code == 403


def test_token_pages_refuse_others(world, client_for):
    from .conftest import integration

    robot = integration(world, "robot", "school_leader", world.school)
    for user in (world.outsider, world.psych, world.auditor, world.district_centre):
        client = client_for(user)
        assert client.get(reverse("api:tokens")).status_code == 403
        assert client.post(reverse("api:token_issue", args=[robot.account.pk]), {"days": 90}).status_code == 403
        assert client.post(reverse("api:token_revoke", args=[robot.token.pk])).status_code == 403
    # The other school's leader administers no account of school A: the account is not there for them.
    other_leader = f.UserFactory(username="other_leader")
    f.assign(other_leader, "school_leader", world.other_school)
    client = client_for(other_leader)
    assert "robot" not in client.get(reverse("api:tokens")).content.decode()
    assert client.post(reverse("api:token_issue", args=[robot.account.pk]), {"days": 90}).status_code == 404
    assert client.post(reverse("api:token_revoke", args=[robot.token.pk])).status_code == 404
    assert ApiToken.objects.filter(account=robot.account).count() == 1
    assert ApiToken.objects.get(pk=robot.token.pk).revoked_at is None


def test_a_person_who_signed_in_cannot_become_an_integration_account(world, client_for):
    world.head.last_login = timezone.now()
    world.head.save()
    response = client_for(world.secadmin).post(reverse("api:account_flag"), {"username": "head", "system": "other"})
    assert response.status_code == 400
    assert not IntegrationAccount.objects.filter(user=world.head).exists()
    world.head.refresh_from_db()
    assert world.head.has_usable_password()


def test_token_lifetime_is_bounded(world):
    from .conftest import integration

    robot = integration(world, "robot", "school_leader", world.school)
    with pytest.raises(services.TokenError):
        services.token_issue(actor=world.secadmin, account=robot.account, days=366)
