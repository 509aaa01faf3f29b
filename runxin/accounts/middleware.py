"""Before anything else, staff whose roles can see identified risk data pass a second factor (TOTP); then
people holding a temporary password choose their own."""

from functools import cache

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from runxin.access import scope

# Pages reachable before the second factor: exactly those that lead there. The password page is not among
# them: whoever knows only the password must not be able to change it.
_BEFORE_SECOND_FACTOR = ("accounts:login", "accounts:logout", "accounts:otp_setup", "accounts:otp_verify")
_BEFORE_PASSWORD_CHANGE = _BEFORE_SECOND_FACTOR + ("accounts:password_change",)
_OPEN_PREFIXES = ("/static/", "/i18n/", "/media/")


@cache
def _paths(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(reverse(name) for name in names)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or request.path.startswith(_OPEN_PREFIXES):
            return self.get_response(request)
        if (
            not settings.SECOND_FACTOR_WAIVED
            and request.path not in _paths(_BEFORE_SECOND_FACTOR)
            and scope.needs_second_factor(user)
            and not user.is_verified()
        ):
            from django_otp.plugins.otp_totp.models import TOTPDevice

            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            target = "accounts:otp_verify" if has_device else "accounts:otp_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        if user.must_change_password and request.path not in _paths(_BEFORE_PASSWORD_CHANGE):
            return redirect(f"{reverse('accounts:password_change')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
