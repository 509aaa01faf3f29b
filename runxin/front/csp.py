"""django-csp's middleware, with the policy header built once per process.

django-csp builds both headers from the settings on every response (dataclass copies, string joins) to
allow per-view overrides and nonces. The project uses neither on almost every response, and the same
settings give the same string, so that string is kept; a response or request that does use an override or
a nonce takes django-csp's own path unchanged.
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What django-csp reads from a response to change its policy (csp.decorators sets these).
_OVERRIDES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


@cache
def _headers() -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
    return (build_policy(), build_policy(report_only=True),
            tuple(policy.get("EXCLUDE_URL_PREFIXES") or ()), tuple(report_only.get("EXCLUDE_URL_PREFIXES") or ()))


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _OVERRIDES) \
                or (settings.DEBUG and response.status_code in (404, 500)):
            return super().process_response(request, response)
        csp, csp_ro, excluded, excluded_ro = _headers()
        path = request.path_info
        if csp and not getattr(response, "_csp_exempt", False) and HEADER not in response \
                and not path.startswith(excluded):
            response[HEADER] = csp
        if csp_ro and not getattr(response, "_csp_exempt_ro", False) and HEADER_REPORT_ONLY not in response \
                and not path.startswith(excluded_ro):
            response[HEADER_REPORT_ONLY] = csp_ro
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent miss.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@receiver(setting_changed)
def _forget_headers(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _headers.cache_clear()
