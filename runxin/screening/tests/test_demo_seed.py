"""demo_seed: a finished universal screening with plausible results, for the demo city."""

import pytest

from runxin.screening import selectors, services
from runxin.screening.models import Campaign, CampaignTarget, Result, ScreeningFlag, Submission
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


def test_demo_seed_makes_a_closed_campaign_with_scored_results(world, client_for):
    for _ in range(40):
        f.StudentFactory(school_class=world.class1)
    campaign = services.demo_seed(school=world.school, created_by=world.psych, seed=3)
    assert campaign.status == Campaign.Status.CLOSED and campaign.kind == "universal"
    targets = CampaignTarget.objects.filter(campaign=campaign)
    assert targets.count() == 43
    submissions = Submission.objects.filter(target__campaign=campaign)
    assert 30 <= submissions.count() <= 43
    assert Result.objects.filter(campaign=campaign).count() == 2 * submissions.count()
    flagged = ScreeningFlag.objects.filter(result__campaign=campaign)
    assert flagged.count() == Result.objects.filter(campaign=campaign).exclude(risk_level="none").count()
    assert not flagged.filter(handed_over_at__isnull=False).exists()
    # The pages show it like any other campaign.
    assert selectors.completion(world.psych, campaign).totals.finished == submissions.count()
    assert client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/results/").status_code == 200
    # The same seed gives the same results.
    again = services.demo_seed(school=world.school, created_by=world.psych, seed=3)
    first = sorted(Result.objects.filter(campaign=campaign).values_list("student_id", "instrument_code", "total"))
    second = sorted(Result.objects.filter(campaign=again).values_list("student_id", "instrument_code", "total"))
    assert first == second


def test_demo_seed_needs_someone_who_runs_screenings_there(world):
    with pytest.raises(services.ScreeningError):
        services.demo_seed(school=world.school, created_by=world.other_psych)
