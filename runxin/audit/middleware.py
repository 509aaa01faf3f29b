from auditlog.middleware import AuditlogMiddleware

from runxin.access.ip import client_ip


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's middleware (acting user and address on every change event), reading the address the way
    the read audit and the sign-in log do; auditlog's own trusts the first, client-supplied, forwarded entry."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None
