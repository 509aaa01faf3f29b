"""Publishing needs scoring rules, or the administrator's explicit "not scored" (collect only); results of a
not-scored instrument read "not scored" on every results page, never "no risk" or the lowest band. Query
strings on the results pages never cause a 500."""

import json
import uuid

import pytest

from runxin.screening import services
from runxin.screening.core import load_definition
from runxin.screening.core.fhir import RULES_EXT, definition_to_questionnaire
from runxin.screening.core.publishing import publish_problems
from runxin.screening.models import InstrumentVersion, Result, Submission

from .helpers import notify_guardians, open_campaign, phqa_answers, target_of, version

pytestmark = pytest.mark.django_db


def foreign(code: str, *, keep_bands: bool = False) -> str:
    """Our export of a shipped instrument as a foreign FHIR Questionnaire: no runxin rules, a new version."""
    questionnaire = definition_to_questionnaire(load_definition(code))
    questionnaire["extension"] = [e for e in questionnaire["extension"] if e["url"] != RULES_EXT]
    questionnaire["version"] = "9.9"
    return json.dumps(questionnaire)


def test_a_questionnaire_without_scoring_rules_is_not_published_as_scored(world, client_for):
    upload = services.instrument_upload(user=world.city_admin, text=foreign("who5"))
    imported = upload.version
    assert publish_problems(services.definition_of(imported)) == [
        "scales.total: has no bands, so every score would show no level (no risk)"]
    client = client_for(world.city_admin)
    page = client.get(f"/screening/instruments/{imported.pk}/").content.decode()
    assert "scales.total: has no bands" in page and "Publish as not scored (collect only)" in page
    response = client.post(f"/screening/instruments/{imported.pk}/publish/", follow=True)
    assert "cannot be published as scored" in response.content.decode()
    imported.refresh_from_db()
    assert not imported.is_published
    with pytest.raises(services.ScreeningError) as caught:
        services.instrument_publish(user=world.city_admin, version=imported)
    assert caught.value.problems == ["scales.total: has no bands, so every score would show no level (no risk)"]

    client.post(f"/screening/instruments/{imported.pk}/publish/", {"scoring": "not_scored"})
    imported.refresh_from_db()
    assert (imported.is_published, imported.not_scored, imported.published_by) == (True, True, world.city_admin)
    listing = client.get("/screening/instruments/").content.decode()
    assert "Not scored (collect only)" in listing


def test_a_phq9_with_bands_but_no_critical_item_is_not_published_as_scored(world):
    data = load_definition("phq9").to_dict() | {"version": "9.9", "critical_items": []}
    upload = services.instrument_upload(user=world.city_admin, text=json.dumps(data))
    with pytest.raises(services.ScreeningError) as caught:
        services.instrument_publish(user=world.city_admin, version=upload.version)
    [problem] = caught.value.problems
    assert problem.startswith("critical_items: none, although items ask about self-harm or suicide: 9 (")
    assert not InstrumentVersion.objects.get(pk=upload.version.pk).is_published


def test_scored_definitions_still_publish(world):
    data = load_definition("gad7").to_dict() | {"version": "9.9"}
    upload = services.instrument_upload(user=world.city_admin, text=json.dumps(data))
    published = services.instrument_publish(user=world.city_admin, version=upload.version)
    assert (published.is_published, published.not_scored) == (True, False)


@pytest.fixture
def collect_only(world):
    """An open campaign with PHQ-A and a who5 imported without scoring rules, published as not scored."""
    imported = services.instrument_upload(user=world.city_admin, text=foreign("who5")).version
    services.instrument_publish(user=world.city_admin, version=imported, not_scored=True)
    campaign = open_campaign(world, versions=[version("phqa"), imported])
    notify_guardians(world, campaign)
    return campaign, imported


def hand_in(campaign, imported, student, phqa=0) -> Submission:
    definition = services.definition_of(imported)
    best = {i.id: i.options[-1].value for i in definition.items}  # the highest well-being answers
    accepted = services.submission_accept(target=target_of(campaign, student), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(phqa), "who5": best})
    return Submission.objects.get(pk=accepted.submission_id)


def test_results_of_a_not_scored_instrument_read_not_scored(world, client_for, collect_only):
    campaign, imported = collect_only
    submission = hand_in(campaign, imported, world.a1)
    stored = Result.objects.get(submission=submission, instrument_code="who5")
    assert stored.risk_level == "none"  # what scoring says; the pages must not show it as "no risk"
    client = client_for(world.psych)

    listing = client.get(f"/screening/campaigns/{campaign.pk}/results/").content.decode()
    who5_cell = listing.split(f'href="/screening/results/{submission.pk}/"')[1].split("</tr>")[0]
    assert '<span class="tag">Not scored</span>' in who5_cell

    detail = client.get(f"/screening/results/{submission.pk}/").content.decode()
    who5_section = detail.split(imported.definition["title"]["en"])[1].split("</section>")[0]
    assert "Not scored (collect only)" in who5_section
    assert "No risk indicator" not in who5_section and "<dd>None</dd>" not in who5_section
    assert "<dd>Not scored</dd>" in who5_section

    summary = client.get(f"/screening/campaigns/{campaign.pk}/summary/").content.decode()
    charts = json.loads(summary.split('id="chart-data" type="application/json">')[1].split("</script>")[0])
    who5 = next(c for c in charts if c["id"] == "chart-who5")
    assert who5["series"] == []  # no band to draw
    section = summary.split('id="chart-who5"')[1].split("</section>")[0]
    assert "Not scored (collect only)" in summary
    assert '<td class="num">1</td><td class="num">1</td>' in section  # one result: not scored, total 1


def test_only_not_scored_results_show_not_scored_as_the_signal(world, client_for, collect_only):
    campaign, imported = collect_only
    submission = hand_in(campaign, imported, world.a1)
    Result.objects.filter(submission=submission, instrument_code="phqa").delete()  # as if only who5 was asked
    row = client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/results/").content.decode()
    row = row.split(f'href="/screening/results/{submission.pk}/"')[1].split("</tr>")[0]
    assert row.count("Not scored") == 2 and '<span class="tag ok">None</span>' not in row


# -- query strings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "status"), [
    ("page=99999999999999999999", 404), ("page=100001", 404), ("page=abc", 200), ("page=-3", 200),
    ("page=", 200), ("page=٣", 200), ("page=2", 200), ("page=1e9", 200),
    ("class=99999999999999999999", 200), ("class=-1", 200), ("class=abc", 200), ("class=9223372036854775808", 200),
    ("since=2026-13-45", 200), ("attention=%00", 200),
])
def test_results_list_query_strings_never_fail(world, client_for, campaign, query, status):
    response = client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/results/?{query}")
    assert response.status_code == status


@pytest.mark.parametrize("query", ["by=grade", "by=99999999999999999999", "since=2026-13-45", "page=abc"])
def test_summary_query_strings_never_fail(world, client_for, campaign, query):
    assert client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/summary/?{query}").status_code == 200
