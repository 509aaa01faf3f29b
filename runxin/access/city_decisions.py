"""Decisions of what to hide, made over a whole city and kept a while.

Pages that show counts to people outside the care team (the warning overview, the home-visit coverage) hide every
small count, and whatever would let one be worked out, with one decision over the whole city, so no page undoes
another's. At city scale counting and deciding take seconds (bench/dashboards.py), so a decision is kept in the
cache for REPORT_DECISION_SECONDS and made ahead of the viewers every minute by beat; a page reads it. 0 keeps
nothing: every request decides from the figures as they are.
"""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from runxin.org.models import OrgUnit

T = TypeVar("T")

MARGIN = 60  # seconds a scheduled decision is kept beyond REPORT_DECISION_SECONDS: until the next one is done


def city_of(unit: OrgUnit) -> OrgUnit:
    """The city a unit is in: the root of its tree (its path names its ancestors, the root first)."""
    return unit if unit.kind == OrgUnit.Kind.CITY or not unit.ancestor_ids else \
        OrgUnit.objects.get(pk=unit.ancestor_ids[0])


def kept(key: str, decide: Callable[[], T], *, fresh: bool = False) -> T:
    """The decision kept under `key`, or `decide()` kept there now. `fresh`: decide anew whatever is kept, and keep
    it until the next scheduled decision is done (what beat's runs ask)."""
    seconds = settings.REPORT_DECISION_SECONDS
    found = cache.get(key) if seconds and not fresh else None
    if found is None:
        found = decide()
        if seconds:
            cache.set(key, found, seconds + (MARGIN if fresh else 0))
    return found


def decide_every_city(decide: Callable[[OrgUnit], object]) -> dict:
    """Run `decide(city, fresh=True)` for every active city ahead of its viewers (nothing when decisions are not
    kept, REPORT_DECISION_SECONDS = 0)."""
    if not settings.REPORT_DECISION_SECONDS:
        return {"cities": 0}
    cities = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY, is_active=True))
    for city in cities:
        decide(city, fresh=True)
    return {"cities": len(cities)}
