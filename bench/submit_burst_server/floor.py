"""The floor of the submission as this product stores it: the same database work (the target read with what handing
in needs, then the one-statement write of a submission, two results and their flags) behind the same middleware and
CSRF check, with none of the submission's Python work (no pass signature, no gate, no scoring: the results are
scored once per process from two fixed answer sets, one of them with PHQ-A item 9 positive, and reused). What the
submission cannot beat however lean its Python becomes; bench/submit_burst.py measures it beside the submission."""

import uuid

import orjson
from django.http import HttpResponse
from django.utils import timezone

from runxin.access.decorators import public
from runxin.screening import services, submission_store
from runxin.screening.core.risk import risk_signal
from runxin.screening.core.scoring import score

FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
_SCORED: dict[tuple[int, bool], list] = {}


def _scored(target, flagged: bool) -> list:
    key = (target.campaign_id, flagged)
    if key not in _SCORED:
        answers = {"phqa": {f"q{n}": FREQ[1] for n in range(1, 10)} | {"q9": FREQ[2 if flagged else 0]},
                   "gad7": {f"q{n}": FREQ[1] for n in range(1, 8)}}
        found = []
        for step in services.steps_for(target):
            result = score(step.definition, answers[step.code], elapsed_seconds=200)
            found.append((step, result, risk_signal(result)))
        _SCORED[key] = found
    return _SCORED[key]


@public
def floor(request):
    body = orjson.loads(request.body)
    target = services.target_for_pass(int(body["target"]), for_submission=True)
    now = timezone.now()
    scored = _scored(target, bool(body["flagged"]))
    submission = {
        "client_id": uuid.UUID(body["client_id"]), "target": target.pk, "answers": body["answers"], "elapsed": {},
        "received_at": now, "via": "code", "user": None, "remote_addr": "127.0.0.1",
        "risk_rank": max(services.RISK_RANK[signal.level] for _s, _r, signal in scored),
        "critical": any(result.critical_flags for _s, result, _sig in scored),
    }
    results = [services.result_row(target, step, result, signal, now) for step, result, signal in scored]
    written = submission_store.write_in_one_statement(submission=submission, results=results,
                                                      warn_levels=services.WARN_LEVELS)
    return HttpResponse(status=201 if written else 200)
