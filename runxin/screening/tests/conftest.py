"""Fixtures of the screening app's Django tests (the pure core's tests need none)."""

import pytest
from django.utils import translation

from runxin.screening import services
from runxin.screening.models import Campaign, CampaignTarget

from .helpers import notify_guardians, open_campaign


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English msgids: translations change centrally and must not break them.
    (The browser test sends its own Accept-Language and gets Chinese pages.)"""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def campaign(world):
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    return campaign


@pytest.fixture
def code_of(world):
    """code_of(campaign, student) → the printed one-time code (creating the class's codes as printing does)."""

    def make(campaign: Campaign, student) -> str:
        school_class = student.school_class
        services.codes_for_class(user=world.psych, campaign=campaign, school_class=school_class)
        return CampaignTarget.objects.get(campaign=campaign, student=student).access_code

    return make
