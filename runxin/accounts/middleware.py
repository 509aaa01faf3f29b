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


class StudentLeftMiddleware:
    """A student's account whose student is no longer enrolled is signed out at its next request, the same day
    the student leaves (the daily sweep then closes the account: accounts/students.py). One query, only for
    accounts holding the student role (their grants are read for the second-factor check anyway)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            own = [g.student_id for g in scope.grants(user) if g.role == "student" and g.student_id]
            if own and not _still_enrolled(own):
                from django.contrib import messages
                from django.contrib.auth import logout
                from django.utils.translation import gettext as _

                logout(request)
                messages.info(request, _("This account is closed: you are no longer enrolled at this school."))
                return redirect("accounts:login")
        return self.get_response(request)


def _still_enrolled(student_ids: list[int]) -> bool:
    from .students import enrolled_now

    return enrolled_now(student_ids)
