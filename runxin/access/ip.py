"""The client address every audit source records, read the same way everywhere.

Without a proxy it is REMOTE_ADDR. Behind our TLS proxy (BEHIND_TLS_PROXY, which sets SECURE_PROXY_SSL_HEADER)
it is the last X-Forwarded-For entry: the one our proxy appended. Earlier entries come from the client and
can be forged, so they are never trusted.
"""

from ipaddress import ip_address

from django.conf import settings


def _valid(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    if request is None:
        return None
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return _valid(forwarded.split(",")[-1])
    return _valid(request.META.get("REMOTE_ADDR") or "")
