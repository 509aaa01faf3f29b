"""Sign-in, sign-out, second-factor enrolment and verification, password change."""

from base64 import b32encode
from io import BytesIO

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from runxin.access import scope
from runxin.access.decorators import signed_in

from . import services, throttle
from .forms import OwnPasswordChangeForm


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=gettext_lazy("6-digit code"), regex=r"^\d{6}$", max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"invalid": gettext_lazy("Enter the 6 digits shown in your authenticator app.")},
    )


def _next_url(request) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_initial(self):
        # The QR code on a student's credential slip opens this page with the username filled in.
        return {**super().get_initial(), "username": self.request.GET.get("username", "")[:150]}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Django puts its Site under "site", hiding runxin's context (banner, lockout rule) on this one page.
        context.pop("site", None)
        context.pop("site_name", None)
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        # A complete sign-in makes this browser a known device (accounts/throttle.py); where the role needs a
        # second factor, that happens once the code is given (otp_verify, otp_setup).
        if settings.SECOND_FACTOR_WAIVED or not scope.needs_second_factor(user):
            throttle.remember_device(self.request, response, user)
        return response


LoginView.runxin_access = "public"  # type: ignore[attr-defined]


class LogoutView(auth_views.LogoutView):
    pass


LogoutView.runxin_access = "public"  # type: ignore[attr-defined]


@signed_in
def otp_setup(request):
    """Enrol a TOTP device: show the QR code, confirm with one code."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return redirect("accounts:otp_verify")
        device = TOTPDevice.objects.create(user=request.user, name="default", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Second factor set up."))
            response = redirect(_next_url(request))
            throttle.remember_device(request, response, request.user)
            return response
        form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
    buffer = BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True)
    return render(request, "accounts/otp_setup.html", {
        "form": form, "qr_svg": buffer.getvalue().decode(), "secret": b32encode(device.bin_key).decode(),
        "next": _next_url(request),
    })


@signed_in
def otp_verify(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                response = redirect(_next_url(request))
                throttle.remember_device(request, response, request.user)
                return response
        form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@method_decorator(signed_in, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password; a temporary password (new account, reset) must be replaced here first."""

    template_name = "accounts/password_change.html"
    form_class = OwnPasswordChangeForm

    def get_success_url(self) -> str:
        return _next_url(self.request)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"next": _next_url(self.request)}

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=self.request.user)
        # The known-device cookie is bound to the password: this browser, signed in fully, stays known.
        throttle.remember_device(self.request, response, self.request.user)
        messages.success(self.request, _("Password changed."))
        return response


PasswordChangeView.runxin_access = "signed_in"  # type: ignore[attr-defined]
