"""Shared set-up for the screening tests: an open PHQ-A + GAD-7 campaign in the small world (world.py)."""

import datetime as dt

from django.utils import timezone

from runxin.screening import services
from runxin.screening.models import Campaign, CampaignTarget, InstrumentVersion

# PHQ-A and GAD-7 option values (LOINC answer codes), by score.
FREQ = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}


def version(code: str) -> InstrumentVersion:
    return InstrumentVersion.objects.get(instrument__code=code, is_published=True)


def phqa_answers(score: int = 0, *, q9: int = 0) -> dict:
    """PHQ-A answers with every item 1–8 at `score`, item 9 at `q9`, and the follow-ups answered 'no'."""
    answers = {f"q{n}": FREQ[score] for n in range(1, 9)} | {"q9": FREQ[q9]}
    return answers | _phqa_followups()


def _phqa_followups() -> dict:
    definition = services.definition_of(version("phqa"))
    extra = {}
    for item in definition.items:
        if item.id.startswith("q") and item.id[1:].isdigit():
            continue
        if item.ask_if is None and item.options:
            extra[item.id] = "no" if item.type == "yes_no" else item.options[0].value
    return extra


def gad7_answers(score: int = 0) -> dict:
    answers = {f"q{n}": FREQ[score] for n in range(1, 8)}
    definition = services.definition_of(version("gad7"))
    for item in definition.items:
        if item.id not in answers and item.ask_if is None and item.options:
            answers[item.id] = item.options[0].value
    return answers


def make_spec(world, **overrides) -> services.CampaignSpec:
    today = timezone.localdate()
    fields = {
        "name": "2026 秋季开学普测", "kind": Campaign.Kind.UNIVERSAL, "owner": world.school,
        "window_start": today, "window_end": today + dt.timedelta(days=14),
        "consent_mode": Campaign.ConsentMode.OPT_OUT, "versions": [version("phqa"), version("gad7")],
        "grades": [7], "groups": [], "key_students": False, "student_numbers": [],
    }
    fields.update(overrides)
    return services.CampaignSpec(**fields)


def open_campaign(world, **overrides) -> Campaign:
    campaign = services.campaign_create(user=world.psych, spec=make_spec(world, **overrides))
    return services.campaign_open(user=world.psych, campaign=campaign)


def notify_guardians(world, campaign: Campaign) -> None:
    """The world's students are 13: under 14, so the guardians must have been notified (opt-out)."""
    for school_class in (world.class1, world.class2):
        services.consent_mark_notified(user=world.psych, campaign=campaign, school_class=school_class)


def target_of(campaign: Campaign, student) -> CampaignTarget:
    return (CampaignTarget.objects.select_related("campaign", "student", "consent")
            .get(campaign=campaign, student=student))
