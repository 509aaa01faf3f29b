"""Parents sign in with their phone and an SMS code (or the printed invitation code); head teachers print the
invitation letters of their class. The rules live in accounts/parents.py and accounts/sms_codes.py."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, public, requires
from runxin.access.ip import client_ip
from runxin.access.read_audit import record_reads
from runxin.org.models import OrgUnit

from . import parents, sms_codes

_SESSION_PHONE = "parent_sign_in_phone"


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20, widget=forms.TextInput(
        attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}))


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("6-digit code from the SMS"), max_length=6, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}))


class InvitationForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    code = forms.CharField(label=gettext_lazy("Invitation code on the school's letter"), max_length=12,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}))


def _signed_in(request, user):
    # The session names the project's account backend (the last one; axes' backend only counts failures).
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    request.session.pop(_SESSION_PHONE, None)
    return redirect("front:family")


@public
@require_http_methods(["GET", "POST"])
def parent_login(request):
    """Step 1: the phone number. The answer is the same whether the roster knows the number or not."""
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sms_codes.request_code(phone=form.cleaned_data["phone"], ip=client_ip(request))
        except sms_codes.CodeRefused as exc:
            form.add_error("phone", str(exc))
        else:
            request.session[_SESSION_PHONE] = sms_codes.normalise_phone(form.cleaned_data["phone"])
            return redirect("accounts:parent_code")
    return render(request, "accounts/parents/login.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@public
@require_http_methods(["GET", "POST"])
def parent_code(request):
    """Step 2: the code from the SMS."""
    phone = request.session.get(_SESSION_PHONE)
    if not phone:
        return redirect("accounts:parent_login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone = sms_codes.check_code(phone=phone, code=form.cleaned_data["code"], ip=client_ip(request))
            user = parents.account_for_phone(phone)
        except sms_codes.CodeRefused as exc:
            form.add_error("code", str(exc))
        else:
            return _signed_in(request, user)
    masked = f"{phone[:3]}****{phone[-4:]}"
    return render(request, "accounts/parents/code.html", {"form": form, "masked_phone": masked},
                  status=400 if request.method == "POST" else 200)


@public
@require_http_methods(["GET", "POST"])
def parent_invitation(request):
    """The fallback: the invitation code printed on the school's letter, with the phone the roster lists."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = parents.invitation_redeem(code=form.cleaned_data["code"], phone=form.cleaned_data["phone"],
                                             ip=client_ip(request))
        except sms_codes.CodeRefused as exc:
            form.add_error(None, str(exc))
        else:
            return _signed_in(request, user)
    return render(request, "accounts/parents/invitation.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@requires(roles.PARENT_INVITE)
@audited_read
def parent_invitations(request, class_id: int):
    """A class's invitation letters: GET says for how many guardians, the POST issues new codes and shows the
    printable sheet once (printing again replaces the codes of the earlier sheet)."""
    school_class = scope.units(request.user, roles.PARENT_INVITE).filter(pk=class_id, kind=OrgUnit.Kind.CLASS).first()
    if school_class is None:
        raise Http404("No such class")
    if request.method == "POST":
        invitations = parents.invitations_issue(actor=request.user, school_class=school_class)
        record_reads(user=request.user, request=request, record_type="parent.invitations",
                     students=[i.guardian.student_id for i in invitations])
        if not invitations:
            messages.info(request, _("Every guardian with a phone number on the class list already has an account."))
            return redirect("accounts:parent_invitations", class_id=school_class.pk)
        response = render(request, "accounts/parents/invitation_sheet.html", {
            "school_class": school_class, "invitations": invitations,
            "sign_in_url": request.build_absolute_uri(reverse("accounts:parent_invitation")),
        })
        response["Cache-Control"] = "no-store"
        return response
    guardians = parents.invitable_guardians(actor=request.user, school_class=school_class)
    return render(request, "accounts/parents/invitations.html", {
        "school_class": school_class, "count": len(guardians)})



@requires(roles.GUARDIAN_CONTACT)
@require_http_methods(["POST"])
def parent_call_request(request, student_id: int):
    """The student page's "ask the parents to call" button (家校联系)."""
    student = scope.student_or_404(request.user, student_id, roles.GUARDIAN_CONTACT)
    result = parents.call_request_send(actor=request.user, student=student)
    if result.parents and result.sent:
        messages.success(request, _("The parents were sent a short message asking them to call you. It says "
                                    "nothing about why."))
    elif result.parents:
        messages.info(request, _("You already asked these parents to call today; nothing was sent again."))
    elif not result.without_account:
        messages.info(request, _("No parent has signed in yet and no phone number is on the roster."))
    if result.without_account:
        messages.warning(request, _("No parent account yet for: %(names)s. Please phone them directly.") % {
            "names": "、".join(f"{g.name} {g.phone}" for g in result.without_account)})
    return redirect(reverse("people:student_detail", args=[student.pk]) + "#guardians")
