from functools import cache

from auditlog.middleware import AuditlogMiddleware
from django.urls import reverse

from runxin.access.ip import client_ip

# Routes that write no model registered with auditlog (audit/apps.py registers no screening model; the test
# test_submission_speed.py fails if one of the models a submission writes is registered) and that carry the
# peak of a semester start: a whole school handing in at once. The change-audit context (a signal receiver
# connected and disconnected, a correlation id and the actor looked up on every request) has nothing to
# attach to there, so it is not set up.
_WITHOUT_CHANGE_AUDIT = ("screening:take_submit",)


@cache
def _skipped_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in _WITHOUT_CHANGE_AUDIT)


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's middleware (acting user and address on every change event), reading the address the way
    the read audit and the sign-in log do; auditlog's own trusts the first, client-supplied, forwarded entry."""

    def __call__(self, request):
        if request.path_info in _skipped_paths():
            return self.get_response(request)
        return super().__call__(request)

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None
