"""The screening side of a parent's home: which screenings of their children wait for the guardian's answer.

A parent answers through the same consent page as the guardian's link (views_student.guardian_consent, by the
record's token): the home only lists the records and links there, so there is one way to consent.
"""

import secrets
from dataclasses import dataclass

from django.utils import timezone

from .models import Campaign, CampaignTarget, ConsentRecord, Submission
from .services import answered_by_parents


@dataclass(frozen=True)
class ConsentTask:
    student_id: int
    campaign_name: str
    window_end: object
    token: str
    state: str  # ConsentRecord.State
    consent_mode: str
    done: bool  # decided, or the child has already answered


def consent_tasks(student_ids) -> list[ConsentTask]:
    """The open screenings of these students (a parent's own children, as the scoping layer gave them), each
    with its guardian consent record – made now when the school has not yet made the links, so the parent can
    answer before the class's links go out. Undecided first."""
    today = timezone.localdate()
    targets = list(CampaignTarget.objects.filter(
        student_id__in=list(student_ids), campaign__status=Campaign.Status.OPEN, campaign__window_end__gte=today,
    ).exclude(answered_by_parents()).select_related("campaign"))  # a parent's questionnaire needs no consent
    if not targets:
        return []
    have = set(ConsentRecord.objects.filter(target__in=targets).values_list("target_id", flat=True))
    missing = [ConsentRecord(target=t, token=secrets.token_urlsafe(32)) for t in targets if t.pk not in have]
    if missing:
        ConsentRecord.objects.bulk_create(missing, ignore_conflicts=True)
    records = {r.target_id: r for r in ConsentRecord.objects.filter(target__in=targets)}
    answered = set(Submission.objects.filter(target__in=targets).values_list("target_id", flat=True))
    decided = {ConsentRecord.State.CONSENTED, ConsentRecord.State.DECLINED}
    tasks = [
        ConsentTask(student_id=t.student_id, campaign_name=t.campaign.name, window_end=t.campaign.window_end,
                    token=records[t.pk].token, state=records[t.pk].state, consent_mode=t.campaign.consent_mode,
                    done=records[t.pk].state in decided or t.pk in answered)
        for t in targets if t.pk in records
    ]
    return sorted(tasks, key=lambda task: (task.done, task.window_end, task.campaign_name))
