"""The policy table itself (access/policy.py): a row for every route, rows that name only known people and
relations, and rows that never open a route wider than its declaration (@requires) lets anyone in.
No database: these run first and fail fast when someone adds a route without writing down who may use it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from runxin.access import policy
from runxin.access.decorators import PUBLIC, SIGNED_IN
from runxin.access.roles import ALL_PERMISSIONS, ROLES

SKIP_PREFIXES = ("static", "media")


def _patterns(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name and not (prefix + str(entry.pattern)).startswith(SKIP_PREFIXES):
            yield f"{namespace}{entry.name}", entry


def _declared(pattern) -> str | None:
    callback = pattern.callback
    target = getattr(callback, "view_class", None) or callback
    return getattr(callback, "runxin_access", None) or getattr(target, "runxin_access", None)


ROUTES = dict(_patterns())


def test_every_route_has_a_row():
    missing = sorted(set(ROUTES) - set(policy.ROUTES))
    assert not missing, f"write down who may use these routes in runxin/access/policy.py: {missing}"


def test_every_row_is_a_route():
    stale = sorted(set(policy.ROUTES) - set(ROUTES))
    assert not stale, f"rows in runxin/access/policy.py for routes that no longer exist: {stale}"


def test_rows_name_known_identities_and_relations():
    for name, row in policy.ROUTES.items():
        for access in (row.get, row.post):
            assert set(access.allowed) <= set(policy.IDENTITIES), name
            for relations in access.allowed.values():
                assert relations <= set(policy.RELATIONS), name
                # A route without an object is asked on "none" only; one with an object on the five others.
                assert relations <= ({policy.NONE} if row.objects is None else set(policy.RELATIONS)), name


def test_every_role_has_a_place_in_the_matrix():
    assert set(policy.REACH_OF) == set(policy.IDENTITIES)
    assert set(ROLES) | {policy.STRANGER, policy.ANONYMOUS} == set(policy.IDENTITIES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_no_row_opens_a_route_wider_than_its_declaration(name):
    """The table may narrow what the declaration lets in (reach, objects, methods), never widen it: a row that
    lets a role in whose role lacks the declared permission is a mistake in the table or in roles.py."""
    if name not in policy.ROUTES:
        pytest.skip("no row (test_every_route_has_a_row fails)")
    declared = _declared(ROUTES[name])
    row = policy.ROUTES[name]
    let_in = {who for access in (row.get, row.post) for who, relations in access.allowed.items() if relations}
    if declared in ALL_PERMISSIONS:
        holders = {code for code, role in ROLES.items() if declared in role.permissions}
        assert let_in <= holders, f"{name} ({declared}) lets in {sorted(let_in - holders)}"
    elif declared == SIGNED_IN:
        assert policy.ANONYMOUS not in let_in or name in {"accounts:logout"}, name
    elif declared not in (PUBLIC, None):  # None: Django's own views the middleware lets through (set_language)
        # Declared some other way (an API token, an integration): no person's session is let in unless the row
        # says so explicitly for documentation pages.
        assert let_in <= set(policy.ANY_ROLE), name
