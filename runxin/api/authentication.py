"""Bearer tokens of integration accounts: `Authorization: Bearer rx_…`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import services


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = services.token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.account.user, token

    def authenticate_header(self, request) -> str:
        # Empty: a call without a valid token gets 403, like every refused page of the site (the every-URL
        # test holds the whole site to 302/403/404/405 for anonymous visitors), not 401.
        return ""


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "runxin.api.authentication.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An integration account's API token (rx_…)."}
