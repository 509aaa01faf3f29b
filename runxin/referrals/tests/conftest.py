"""Fixtures for the referral tests: the small world with a partner hospital (one clinician), a second hospital
(its own clinician), and a clock the referral services read, set and moved by the test."""

import datetime as dt
from types import SimpleNamespace

import pytest

from runxin.org import services as org_services
from runxin.org.models import OrgUnit
from runxin.referrals import services
from runxin.testing import factories as f
from runxin.testing.clock import SHANGHAI, FrozenClock


@pytest.fixture
def clock(monkeypatch):
    """The referrals' clock stopped at Friday 2026-10-09 10:00 Shanghai time; `clock.advance(hours=3)`."""
    fake = FrozenClock(dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))
    monkeypatch.setattr(services, "clock", fake)
    return fake


@pytest.fixture
def w(world):
    world.hospital_unit = org_services.unit_create(kind=OrgUnit.Kind.HOSPITAL, name="市第一医院", parent=world.city)
    world.hospital = f.UserFactory(username="doctor", display_name="王医生")
    f.assign(world.hospital, "hospital", world.hospital_unit)
    world.other_hospital_unit = org_services.unit_create(kind=OrgUnit.Kind.MHC, name="市精神卫生中心",
                                                         parent=world.city)
    world.other_hospital = f.UserFactory(username="other_doctor", display_name="李医生")
    f.assign(world.other_hospital, "hospital", world.other_hospital_unit)
    return world


def refer(w, *, student=None, to_unit=None, actor=None, urgent=False, reason="持续低落，有自伤念头", warning=None,
          informed=None) -> SimpleNamespace:
    """A referral through the service, with the guardian informed ten minutes before."""
    now = services.clock()
    return services.referral_create(
        actor=actor or w.psych, student=student or w.a1, to_unit=to_unit or w.hospital_unit, reason=reason,
        urgent=urgent, guardian_name="张母", guardian_how="phone",
        guardian_informed_at=informed or now - dt.timedelta(minutes=10), guardian_response="同意，将陪同就诊",
        warning=warning)
