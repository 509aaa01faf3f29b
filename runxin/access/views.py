"""The break-glass page (紧急访问)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import break_glass as glass
from . import roles
from .decorators import requires


class BreakGlassForm(forms.Form):
    student_number = forms.CharField(label=gettext_lazy("Student number (学籍号)"), max_length=32)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Why you need this student's record now, outside your own students. "
                               "The audit administrator reads it."),
    )


@requires(roles.BREAK_GLASS)
def break_glass(request):
    if not glass.may_use(request.user):
        raise PermissionDenied("break-glass")
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = glass.break_glass_request(
                user=request.user, student_number=form.cleaned_data["student_number"],
                reason=form.cleaned_data["reason"], request=request,
            )
        except glass.BreakGlassRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if outcome.grant is None:
                messages.info(request, _("This student is one of yours: no emergency access was needed."))
            elif outcome.reused:
                messages.info(request, _("Your emergency access to this student is still open."))
            else:
                messages.warning(request, _("Emergency access granted until %(time)s. Every page you open is recorded.")
                                 % {"time": timezone.localtime(outcome.grant.expires_at).strftime("%H:%M")})
            return redirect(reverse("people:student_detail", args=[outcome.student_id]))
    context = {
        "form": form,
        "grants": glass.active_grants(request.user),
        "now": timezone.now(),
        "hours": settings.BREAK_GLASS_HOURS,
        "min_reason": glass.MIN_REASON_LENGTH,
    }
    return render(request, "access/break_glass.html", context, status=400 if form.errors else 200)
