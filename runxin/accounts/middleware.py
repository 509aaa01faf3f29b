"""Staff whose roles can see identified risk data must pass a second factor (TOTP) before anything else."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from runxin.access import scope

_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/media/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not settings.SECOND_FACTOR_WAIVED
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and scope.needs_second_factor(user)
            and not user.is_verified()
        ):
            from django_otp.plugins.otp_totp.models import TOTPDevice

            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            target = "accounts:otp_verify" if has_device else "accounts:otp_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)
