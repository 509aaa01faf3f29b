from functools import cache, partial

from auditlog import get_logentry_model
from auditlog.cid import set_cid
from auditlog.context import _set_extra_data, auditlog_value
from django.db.models.signals import pre_save
from django.urls import reverse

from runxin.access.ip import client_ip

# Routes that write no model registered with auditlog (audit/apps.py registers no screening model; the test
# test_submission_speed.py fails if one of the models a submission writes is registered) and that carry the
# peak of a semester start: a whole school handing in at once. No change-audit context is set up there.
_WITHOUT_CHANGE_AUDIT = ("screening:take_submit",)

# The one receiver that puts the request's actor, address and correlation id on auditlog's rows. auditlog's
# own middleware connects and disconnects a receiver on every request (a lock and a cache flush of the
# pre_save signal each time); this one is connected once, and reads the request's context variable.
CONTEXT_ID = ("runxin-request",)


@cache
def _skipped_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in _WITHOUT_CHANGE_AUDIT)


def connect() -> None:
    """Called once from audit's AppConfig.ready()."""
    pre_save.connect(partial(_set_extra_data, signal_duid=CONTEXT_ID), sender=get_logentry_model(),
                     dispatch_uid=CONTEXT_ID, weak=False)


class AuditContextMiddleware:
    """auditlog's request context (acting user and address on every change event), reading the address the
    way the read audit and the sign-in log do (auditlog's own trusts the first, client-supplied, forwarded
    entry). The actor is the request's lazy user: it is looked up only if the request writes an audited row."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in _skipped_paths():
            return self.get_response(request)
        set_cid(request)
        token = auditlog_value.set({"signal_duid": CONTEXT_ID, "actor": request.user,
                                    "remote_addr": client_ip(request), "remote_port": None})
        try:
            return self.get_response(request)
        finally:
            auditlog_value.reset(token)
