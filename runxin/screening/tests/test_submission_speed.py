"""What the final submission leaves out to carry a semester start, and what it keeps: no change-audit context
(nothing it writes is audited that way) and no Content-Security-Policy on its JSON answer, but CSRF, the pass
and one submission per client id, as before."""

import json
import uuid

import pytest
from auditlog.registry import auditlog
from django.db.models.signals import pre_save
from django.test import Client

from runxin.screening.models import CampaignTarget, ResponseDraft, Result, ScreeningFlag, Submission

from .helpers import FREQ, gad7_answers, phqa_answers

pytestmark = pytest.mark.django_db
SUBMIT = "/screening/take/submit/"


def signed_in(code: str, **options) -> Client:
    client = Client(**options)
    assert client.post("/screening/c/", {"code": code})["Location"] == "/screening/take/"
    return client


def body(**answers) -> str:
    return json.dumps({"client_id": str(uuid.uuid4()), "answers": answers or {"phqa": phqa_answers(0, q9=2),
                                                                             "gad7": gad7_answers(0)}})


def test_nothing_a_submission_writes_is_registered_for_change_audit():
    """The audit middleware skips the submit route only because of this: register one of these models with
    auditlog and the route must get its audit context back (runxin/audit/middleware.py)."""
    for model in (Submission, Result, ScreeningFlag, CampaignTarget, ResponseDraft):
        assert not auditlog.contains(model), model


def test_the_submit_route_sets_up_no_audit_context_other_pages_still_do(world, campaign, code_of, monkeypatch):
    from auditlog.context import auditlog_value

    from runxin.audit.middleware import CONTEXT_ID
    from runxin.screening import services

    seen = []
    original = services.target_for_pass
    monkeypatch.setattr(services, "target_for_pass",
                        lambda pk, **kw: (seen.append(auditlog_value.get(None)), original(pk, **kw))[1])
    connected = []
    monkeypatch.setattr(pre_save, "connect", lambda *a, **kw: connected.append(kw.get("dispatch_uid")))
    client = signed_in(code_of(campaign, world.a1))
    seen.clear()
    client.post("/screening/take/1/q1/", {"answer": FREQ[1]})  # an answer page: the context as everywhere
    assert seen and seen[-1]["signal_duid"] == CONTEXT_ID and seen[-1]["remote_addr"] == "127.0.0.1"
    seen.clear()
    response = client.post(SUBMIT, body(), content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 201
    assert seen and all(value is None or value["signal_duid"] != CONTEXT_ID for value in seen)
    assert Submission.objects.filter(target__student=world.a1).count() == 1
    # The context is one variable set per request: no signal receiver is connected for any of them.
    assert connected == []


def test_the_json_answer_has_no_content_security_policy_the_pages_keep_it(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    response = client.post(SUBMIT, body(), content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 201 and response.json()["created"] is True
    assert "Content-Security-Policy" not in response
    refused = client.post(SUBMIT, body(phqa={"q1": "nonsense"}), content_type="application/json",
                          headers={"Accept": "application/json"})
    assert refused.status_code == 200 and "Content-Security-Policy" not in refused  # the first one stands
    done = client.get("/screening/take/done/")
    assert done.status_code == 200 and "script-src 'self'" in done["Content-Security-Policy"]


def test_a_refused_form_submission_is_a_page_and_keeps_its_policy(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1))
    response = client.post(SUBMIT, {"client_id": "not-a-uuid"})
    assert response.status_code == 400 and "script-src 'self'" in response["Content-Security-Policy"]
    assert Submission.objects.count() == 0


def test_csrf_still_guards_the_submission(world, campaign, code_of):
    client = signed_in(code_of(campaign, world.a1), enforce_csrf_checks=False)
    client.get("/screening/take/review/")  # the review page's form leaves the CSRF cookie
    client.handler.enforce_csrf_checks = True
    payload = body()
    without = client.post(SUBMIT, payload, content_type="application/json", headers={"Accept": "application/json"})
    assert without.status_code == 403 and Submission.objects.count() == 0
    token = client.cookies["csrftoken"].value
    with_token = client.post(SUBMIT, payload, content_type="application/json",
                             headers={"Accept": "application/json", "X-CSRFToken": token})
    assert with_token.status_code == 201 and Submission.objects.count() == 1
    again = client.post(SUBMIT, payload, content_type="application/json",
                        headers={"Accept": "application/json", "X-CSRFToken": token})
    assert again.status_code == 200 and again.json()["created"] is False
    assert Submission.objects.count() == 1 and Result.objects.count() == 2


def test_without_the_pass_nothing_is_written(world, campaign):
    response = Client().post(SUBMIT, body(), content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 403 and Submission.objects.count() == 0


def test_handing_in_reads_only_what_it_needs_and_touches_no_deferred_field(world, campaign, code_of):
    """The submit route reads the target with only what handing in needs (services._FOR_SUBMISSION) and writes in
    one statement, both outside the ORM: a field left deferred and read anyway would show here as an ORM query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warm = signed_in(code_of(campaign, world.a2))  # the campaign's instruments, cached per process
    assert warm.post(SUBMIT, body(), content_type="application/json",
                     headers={"Accept": "application/json"}).status_code == 201
    client, payload = signed_in(code_of(campaign, world.a1)), body()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(SUBMIT, payload, content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 201 and response.json()["created"] is True
    assert [q["sql"] for q in queries.captured_queries] == []
    submission = Submission.objects.get(target__student=world.a1)
    assert submission.results.count() == 2 and submission.target.finished_at == submission.received_at
    # The done page (the full read) follows on the refreshed pass.
    assert client.get(response.json()["next"]).status_code == 200


def test_other_databases_read_the_same_fields_through_the_orm(world, campaign, code_of):
    """The SQLite demo reads the target for a submission with the ORM (.only of the same fields): one query, and
    handing in touches no deferred field there either."""
    from unittest import mock

    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from runxin.screening import services

    from .helpers import target_of

    target_id = target_of(campaign, world.a1).pk
    services.steps_for(target_of(campaign, world.a2))  # the campaign's instruments and respondent, cached
    services.campaign_respondent(campaign)  # per process
    answers = {"phqa": phqa_answers(1), "gad7": gad7_answers(1)}
    with mock.patch.object(type(connections["default"]), "vendor", "sqlite"), \
            mock.patch.object(services, "ONE_STATEMENT", False), CaptureQueriesContext(connection) as queries:
        target = services.target_for_pass(target_id, for_submission=True)
        read = len(queries.captured_queries)
        accepted = services.submission_accept(target=target, client_id=uuid.uuid4(), answers=answers)
    assert read == 1 and accepted.created
    # After the one read, only writes: a deferred field read anyway would be a SELECT here.
    assert [q["sql"] for q in queries.captured_queries[read:] if q["sql"].lstrip().upper().startswith("SELECT")] == []
    assert Result.objects.filter(submission_id=accepted.submission_id).count() == 2


def test_the_drafts_come_with_the_target_exactly_as_stored(world, campaign, code_of):
    """Every questionnaire page and the submission read the drafts in the target's own query (one round trip,
    not two, on every answer): the same rows, to the microsecond, as the ORM loads; an answer page asks nothing
    more about them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from runxin.screening import services

    from .helpers import target_of

    client = signed_in(code_of(campaign, world.a1))
    assert client.post("/screening/take/1/q1/", {"answer": FREQ[1]}).status_code == 302
    assert client.post("/screening/take/2/q1/", {"answer": FREQ[2]}).status_code == 302
    assert client.post("/screening/take/1/q2/", {"answer": FREQ[3]}).status_code == 302
    target = target_of(campaign, world.a1)
    stored = {d.version_id: (d.pk, d.answers, d.started_at, d.updated_at) for d in ResponseDraft.objects.filter(
        target=target)}
    assert len(stored) == 2
    for narrow in (False, True):
        read = services.drafts_of(services.target_for_pass(target.pk, for_submission=narrow))
        assert {v: (d.pk, d.answers, d.started_at, d.updated_at) for v, d in read.items()} == stored
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/screening/take/1/q3/")
    assert page.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "screening_responsedraft" in q["sql"]] == []
    # No draft yet: an empty mapping, not a query.
    fresh = services.target_for_pass(target_of(campaign, world.a2).pk)
    assert services.drafts_of(fresh) == {}


def test_an_answer_saved_after_the_read_is_what_the_drafts_then_say(world, campaign):
    """The drafts read with the target are kept on it; an answer saved afterwards on the same target must show in
    them, or a submission on that object would score the old answers."""
    from runxin.screening import services

    from .helpers import target_of

    target = services.target_for_pass(target_of(campaign, world.a1).pk)
    assert services.drafts_of(target) == {}
    step = next(s for s in services.steps_for(target) if s.code == "gad7")
    services.answer_save(target=target, step=step, answers={"q1": FREQ[2]})
    services.answer_save(target=target, step=step, answers={"q2": FREQ[1]})
    assert services.drafts_of(target)[step.version_id].answers == {"q1": FREQ[2], "q2": FREQ[1]}
    accepted = services.submission_accept(target=target, client_id=uuid.uuid4(), answers={})
    assert Submission.objects.get(pk=accepted.submission_id).answers["gad7"] == {"q1": FREQ[2], "q2": FREQ[1]}
