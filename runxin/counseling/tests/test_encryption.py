"""Notes are encrypted at rest: no plaintext in the column, in a dump of the table, in the change audit; and the
keys rotate (`runxin reencrypt-fields`): written under k1, rotated under [k2, k1], read under k2 alone."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from runxin.counseling import services
from runxin.counseling.management.commands.reencrypt_fields import encrypted_models
from runxin.counseling.models import Consultation, ConsultationOpinion, CounselingSession

pytestmark = pytest.mark.django_db

CANARY = "CANARY-金丝雀-7f3a9c"


def _session(world, text=CANARY):
    return services.session_record(actor=world.psych, student=world.a1, held_at=timezone.now() - timedelta(hours=1),
                                   duration_minutes=30, form="online", main_problem=text, measures=text,
                                   current_state=text, assessment=text, analysis=text, effect=text)


def _dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {connection.ops.quote_name(table)} t")  # noqa: S608
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_columns_and_a_dump_of_the_tables_hold_no_plaintext(world):
    session = _session(world)
    consultation = services.consultation_request(actor=world.psych, student=world.a1, question=CANARY)
    ExpertPoolMember = __import__("runxin.counseling.models", fromlist=["ExpertPoolMember"]).ExpertPoolMember
    ExpertPoolMember.objects.create(district=world.east, user=world.district_centre)
    services.consultation_opinion(actor=world.district_centre, consultation=consultation, opinion=CANARY,
                                  recommendations=CANARY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT main_problem, measures FROM counseling_counselingsession WHERE id = %s", [session.pk])
        stored = cursor.fetchone()
    assert all(value and CANARY not in value and value.startswith("gAAAA") for value in stored)
    for model in (CounselingSession, Consultation, ConsultationOpinion):
        dump = _dump(model._meta.db_table)
        assert dump and CANARY not in dump, model
    # nor in what the platform writes beside it: the change audit, the notifications, the read audit
    for table in ("auditlog_logentry", "notify_notification", "access_readevent"):
        assert CANARY not in _dump(table), table
    # and the model still reads it
    assert CounselingSession.objects.get(pk=session.pk).main_problem == CANARY


def test_keys_rotate_with_the_command(world, use_keys, new_key):
    k1, k2 = new_key(), new_key()
    use_keys([k1])
    session = _session(world)
    empty = services.session_record(actor=world.psych, student=world.a2, held_at=timezone.now(), duration_minutes=20,
                                    form="individual", main_problem="问题", measures="措施")  # blank note fields too
    # Without rotation, k2 alone cannot read what k1 wrote (the library then hands back the token itself).
    use_keys([k2])
    assert CounselingSession.objects.get(pk=session.pk).main_problem != CANARY
    use_keys([k2, k1])
    assert CounselingSession.objects.get(pk=session.pk).main_problem == CANARY
    out = StringIO()
    call_command("reencrypt_fields", "--batch-size", "1", stdout=out)
    assert "counseling.CounselingSession: 12 value(s) rotated" in out.getvalue()
    use_keys([k2])
    assert CounselingSession.objects.get(pk=session.pk).main_problem == CANARY
    assert CounselingSession.objects.get(pk=empty.pk).measures == "措施"
    assert CounselingSession.objects.get(pk=empty.pk).effect == ""
    # a second run finds everything under the first key already
    use_keys([k2, k1])
    again = StringIO()
    call_command("reencrypt_fields", stdout=again)
    assert "rotated 0 value(s); 12 already under the first key" in again.getvalue()


def test_a_dry_run_writes_nothing_and_an_unreadable_value_is_named_not_rewritten(world, use_keys, new_key):
    k1, k2, k3 = new_key(), new_key(), new_key()
    use_keys([k1])
    session = _session(world)
    with connection.cursor() as cursor:
        cursor.execute("SELECT main_problem FROM counseling_counselingsession WHERE id = %s", [session.pk])
        before = cursor.fetchone()[0]
    use_keys([k2, k1])
    call_command("reencrypt_fields", "--dry-run", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT main_problem FROM counseling_counselingsession WHERE id = %s", [session.pk])
        assert cursor.fetchone()[0] == before
    use_keys([k3, k2])  # the key that wrote it is missing
    with pytest.raises(CommandError, match=rf"counseling.CounselingSession id={session.pk} main_problem"):
        call_command("reencrypt_fields", stdout=StringIO())
    use_keys([k1])
    assert CounselingSession.objects.get(pk=session.pk).main_problem == CANARY  # untouched, not double-encrypted


def test_the_command_covers_every_app_with_encrypted_columns():
    labels = {model._meta.label for model, _fields in encrypted_models()}
    assert {"counseling.CounselingSession", "counseling.Consultation", "counseling.ConsultationOpinion",
            "counseling.CaseAnalysisReport"} <= labels
    assert any(label.startswith("referrals.") for label in labels) and any(label.startswith("cases.") for label in labels)
