"""Walk every URL pattern: nothing answers 200 to an anonymous visitor or a stranger, except the pages the policy
table opens to them."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from runxin.access import policy

pytestmark = pytest.mark.django_db

# Pages that are meant for everyone, or for every signed-in user whatever their role, as the policy table
# (runxin/access/policy.py) says. The full matrix, every role × relation × method, is
# runxin/access/tests/test_access_matrix.py; this quick walk stays as the smoke test of deny-by-default.
PUBLIC = {name for name, row in policy.ROUTES.items() if row.get.allows(policy.ANONYMOUS, policy.NONE)}
ANY_SIGNED_IN = {name for name, row in policy.ROUTES.items() if row.get.allows(policy.STRANGER, policy.NONE)}


def _walk(resolver, prefix="", namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry


def _concrete(route: str, world) -> str:
    import re

    # Fill every converter with the id of a record that exists, so a 404 means "refused", not "absent".
    url = re.sub(r"<int:student_id>", str(world.a1.pk), route)
    url = re.sub(r"<int:unit_id>", str(world.school.pk), url)
    url = re.sub(r"<int:[a-z_]+>", "1", url)
    url = re.sub(r"<(?:uuid|slug|str|path):[a-z_]+>", "00000000-0000-0000-0000-000000000000", url)
    url = url.replace("^", "").replace("$", "")
    return "/" + url


def routes(world):
    for name, route, _ in _walk(get_resolver()):
        if name.startswith("static") or "media" in route:
            continue
        yield name, _concrete(route, world)


def test_every_view_declares_its_access(world):
    from runxin.access.decorators import PUBLIC as P  # noqa: F401

    for name, route, pattern in _walk(get_resolver()):
        callback = pattern.callback
        target = getattr(callback, "view_class", None) or callback
        declared = getattr(callback, "runxin_access", None) or getattr(target, "runxin_access", None)
        module = getattr(callback, "__module__", "")
        assert declared or module.startswith(("django.views",)), f"{name} ({route}) declares no access"


def test_anonymous_gets_nothing(world, client):
    for name, url in routes(world):
        if name in PUBLIC:
            continue
        response = client.get(url)
        assert response.status_code in {302, 403, 404, 405}, f"{name} {url} answered {response.status_code}"
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], f"{name} redirected elsewhere"


def test_stranger_gets_nothing(world, client_for):
    client = client_for(world.outsider)
    for name, url in routes(world):
        if name in PUBLIC or name in ANY_SIGNED_IN:
            continue
        response = client.get(url)
        assert response.status_code in {403, 404, 405}, f"{name} {url} answered {response.status_code} to a stranger"
