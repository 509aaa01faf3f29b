"""Saving answers as they are given: the draft of one instrument for one target, and the target's start time.
services.answer_save() checks what may be saved; this module only writes it.

During a screening this runs once for every answer every student gives (about 25 per student, against one
submission), so on PostgreSQL it is one upsert statement; other databases (the SQLite demo) lock the draft and
save it in a short transaction. test_submission.py runs both paths on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection, transaction

from .models import CampaignTarget, ResponseDraft

_UPSERT = f"""
    WITH d AS (
        INSERT INTO {ResponseDraft._meta.db_table} AS d (target_id, version_id, answers, started_at, updated_at)
        VALUES (%s, %s, %s::jsonb, %s, %s)
        ON CONFLICT (target_id, version_id) DO UPDATE
        SET answers = (d.answers - %s::text[]) || EXCLUDED.answers, updated_at = EXCLUDED.updated_at
        RETURNING d.id, d.answers, d.started_at, d.updated_at
    ), t AS (
        UPDATE {CampaignTarget._meta.db_table} SET started_at = %s WHERE id = %s AND started_at IS NULL
    )
    SELECT id, answers::text, started_at, updated_at FROM d
"""  # noqa: S608 — table names from the models; every value is a parameter


def save_in_one_statement(*, target: CampaignTarget, version_id: int, given: dict, cleared: list[str],
                          now: datetime) -> ResponseDraft:
    """The draft's answers become its saved answers without `cleared`, with `given` over them (the first answer
    makes the draft), and the target is marked started: one INSERT … ON CONFLICT DO UPDATE, atomic by itself (a
    second tab saving at the same moment waits for the row and merges into what the first wrote)."""
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [target.pk, version_id, json.dumps(given, ensure_ascii=False), now, now, cleared,
                                 now, target.pk])
        draft_id, answers, started_at, updated_at = cursor.fetchone()
    return ResponseDraft(id=draft_id, target_id=target.pk, version_id=version_id, answers=json.loads(answers),
                         started_at=started_at, updated_at=updated_at)


def save_in_a_transaction(*, target: CampaignTarget, version_id: int, given: dict, cleared: list[str],
                          now: datetime) -> ResponseDraft:
    """The same as save_in_one_statement, with the draft locked in a transaction."""
    with transaction.atomic():
        draft, created = ResponseDraft.objects.select_for_update().get_or_create(
            target=target, version_id=version_id, defaults={"answers": given, "started_at": now, "updated_at": now})
        if not created:
            draft.answers = {k: v for k, v in draft.answers.items() if k not in cleared} | given
            draft.updated_at = now
            draft.save(update_fields=["answers", "updated_at"])
        CampaignTarget.objects.filter(pk=target.pk, started_at__isnull=True).update(started_at=now)
    return draft
