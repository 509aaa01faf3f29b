"""Questionnaires answered by parents (the PSC-17 parent form): a campaign of parent instruments, filled in by
the child's guardian from the parent's home through the normal questionnaire pages, the result on the school's
results pages — and nobody else's way in: another parent, the student, a class code."""

from datetime import date

import pytest
from django.urls import reverse

from runxin.screening import consent, services
from runxin.screening.models import CampaignTarget, Result, Submission
from runxin.testing import factories as f

from .helpers import make_spec, open_campaign, version

pytestmark = pytest.mark.django_db

FAMILY = reverse("front:family")


def psc17_answers(value: str = "often") -> dict:
    return {item.id: value for item in services.definition_of(version("psc17")).items}


@pytest.fixture
def parent_campaign(world):
    # No guardian notice is sent: a parent's questionnaire does not wait for one.
    return open_campaign(world, name="家长问卷 PSC-17", versions=[version("psc17")])


def _start(client, target) -> None:
    response = client.post(reverse("screening:parent_start", args=[target.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("screening:take")


def test_a_parent_fills_in_the_questionnaire_about_their_child(world, parent_campaign, client_for):
    client = client_for(world.parent)
    home = client.get(FAMILY).content.decode()
    assert "家长问卷 PSC-17" in home and reverse("screening:parent_start", args=[
        CampaignTarget.objects.get(campaign=parent_campaign, student=world.a1).pk]) in home
    # The guardian consent list does not ask for consent to the parent's own questionnaire.
    assert reverse("screening:guardian_consent", args=["x"]).rsplit("x", 1)[0] not in home

    target = CampaignTarget.objects.get(campaign=parent_campaign, student=world.a1)
    _start(client, target)
    assert client.get(reverse("screening:take"))["Location"] == reverse("screening:take_intro", args=[1])
    intro = client.get(reverse("screening:take_intro", args=[1])).content.decode()
    assert "How your child has been (for parents)" in intro
    answers = psc17_answers("often")
    data = {"shown": list(answers)} | {f"item-{k}": v for k, v in answers.items()}
    response = client.post(reverse("screening:take_page", args=[1]), data)
    assert response["Location"] == reverse("screening:take_review")
    review = client.get(reverse("screening:take_review")).content.decode()
    client_id = review.split('name="client_id" value="')[1].split('"')[0]
    assert client.post(reverse("screening:take_submit"), {"client_id": client_id})["Location"] == reverse(
        "screening:take_done")

    submission = Submission.objects.get(target=target)
    assert submission.via == "account" and submission.user_id == world.parent.pk
    result = Result.objects.get(submission=submission)
    assert result.instrument_code == "psc17" and result.student_id == world.a1.pk
    assert result.band_level not in ("", "none")  # every item "often": positive on the total
    # The home now says it was handed in, with no button to fill it in again.
    home = client.get(FAMILY).content.decode()
    assert "handed in" in home and reverse("screening:parent_start", args=[target.pk]) not in home
    # The school sees it like any screening result.
    staff = client_for(world.psych)
    listing = staff.get(reverse("screening:results_list", args=[parent_campaign.pk]))
    assert listing.status_code == 200 and world.a1.name in listing.content.decode()
    assert staff.get(reverse("screening:result_detail", args=[submission.pk])).status_code == 200


def test_another_childs_parent_gets_404(world, parent_campaign, client_for):
    guardian = f.GuardianFactory(student=world.a2, position=1)
    other_parent = f.UserFactory(username="parent_a2", phone=guardian.phone)
    f.assign(other_parent, "parent", world.class1, world.a2)
    guardian.user = other_parent
    guardian.save(update_fields=["user"])
    a1_target = CampaignTarget.objects.get(campaign=parent_campaign, student=world.a1)
    client = client_for(other_parent)
    assert "家长问卷 PSC-17" in client.get(FAMILY).content.decode()  # their own child's
    assert client.post(reverse("screening:parent_start", args=[a1_target.pk])).status_code == 404
    assert client.get(reverse("screening:parent_start", args=[a1_target.pk])).status_code == 405
    assert not Submission.objects.exists()


@pytest.mark.parametrize("who", ["student_user", "psych", "head", "outsider"])
def test_only_parents_start_a_parents_questionnaire(world, parent_campaign, client_for, who):
    target = CampaignTarget.objects.get(campaign=parent_campaign, student=world.a1)
    assert client_for(getattr(world, who)).post(
        reverse("screening:parent_start", args=[target.pk])).status_code in (403, 404)


def test_a_parent_cannot_start_a_students_questionnaire(world, campaign, client_for):
    target = CampaignTarget.objects.get(campaign=campaign, student=world.a1)
    assert client_for(world.parent).post(reverse("screening:parent_start", args=[target.pk])).status_code == 404


def test_the_student_never_sees_or_opens_the_parents_questionnaire(world, parent_campaign, client_for, code_of):
    client = client_for(world.student_user)
    assert "家长问卷 PSC-17" not in client.get(reverse("screening:mine")).content.decode()
    target = CampaignTarget.objects.get(campaign=parent_campaign, student=world.a1)
    assert client.post(reverse("screening:mine_start", args=[target.pk])).status_code == 404
    # A printed class code never opens it either.
    response = client.post(reverse("screening:code_entry"), {"code": code_of(parent_campaign, world.a1)})
    assert response.status_code == 400 and "for parents" in response.content.decode()


def test_a_mixed_campaign_is_refused(world, client_for):
    with pytest.raises(services.ScreeningError, match="students or by parents"):
        services.campaign_create(user=world.psych, spec=make_spec(world, versions=[version("phqa"), version("psc17")]))
    psc, phqa = version("psc17"), version("phqa")
    response = client_for(world.psych).post(reverse("screening:campaign_new"), {
        "name": "混合", "kind": "universal", "owner": world.school.pk, "window_start": "2026-09-01",
        "window_end": "2026-09-14", "consent_mode": "opt_out", "grades": [7],
        f"order-{phqa.pk}": "1", f"order-{psc.pk}": "2"})
    assert response.status_code == 400 and "students or by parents, not both" in response.content.decode()
    page = client_for(world.psych).get(reverse("screening:campaign_new")).content.decode()
    assert "answered by parents" in page and f"order-{psc.pk}" in page


def test_the_consent_rule_lets_the_parent_answer():
    """The parent answering is the guardian's own choice: no notice, no student decision needed — even under
    14 in an opt-in campaign; a student's questionnaire under the same facts waits for the guardian."""
    facts = {"mode": consent.OPT_IN, "birth_date": date(2015, 1, 1), "today": date(2026, 9, 1),
             "guardian_state": consent.PENDING, "student_decision": consent.UNDECIDED}
    assert consent.gate(**facts, respondent=consent.PARENT).may_answer
    assert consent.gate(**facts).status == "wait_guardian"
    with pytest.raises(ValueError):
        consent.gate(**facts, respondent="teacher")


def test_the_parents_questionnaire_is_open_without_a_guardian_notice(world, parent_campaign):
    target = CampaignTarget.objects.select_related("campaign", "student").get(campaign=parent_campaign,
                                                                             student=world.a1)
    assert services.gate_for(target).may_answer
