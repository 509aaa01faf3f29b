"""Input forms of the referral pages. They parse what was typed; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Referral
from .services import MAX_TEXT

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def when_field(label, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, input_formats=DATETIME_FORMATS,
                               widget=DateTimeLocal(),
                               error_messages={"required": _("Give the date and time."),
                                               "invalid": _("Give a date and time such as 2026-10-09 14:30.")})


class ReferralForm(forms.Form):
    to_unit = forms.TypedChoiceField(label=_("Refer to"), coerce=int, empty_value=None,
                                     error_messages={"required": _("Choose where the student is referred."),
                                                     "invalid_choice": _("Choose one of the units offered.")})
    urgent = forms.BooleanField(label=_("Green channel: urgent (the student must be seen at once)"), required=False)
    reason = forms.CharField(label=_("Why the student is referred (what the receiving side needs to know)"),
                             widget=forms.Textarea(attrs={"rows": 5}), max_length=MAX_TEXT,
                             error_messages={"required": _("Write why the student is referred.")})
    guardian_told = forms.BooleanField(
        label=_("I confirm the guardian has been informed of this referral (第一时间告知家长)"),
        error_messages={"required": _("A referral is sent only after the guardian has been informed: inform them "
                                      "first, then confirm here.")})
    guardian_name = forms.CharField(label=_("Guardian informed (name and relation)"), max_length=60,
                                    error_messages={"required": _("Write which guardian was informed.")})
    guardian_how = forms.ChoiceField(label=_("How"), choices=Referral.GuardianHow.choices, widget=forms.RadioSelect,
                                     error_messages={"required": _("Choose how the guardian was informed.")})
    guardian_informed_at = when_field(_("When the guardian was informed"))
    guardian_response = forms.CharField(label=_("What the guardian said (agreed, will accompany, refused …)"),
                                        widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                        max_length=MAX_TEXT)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].choices = [("", _("Choose…"))] + [
            (u.pk, f"{u.name} · {u.get_kind_display()}") for u in units]


class StepForm(forms.Form):
    """The fields of the steps on the referral page; each step reads the ones it needs."""

    at = when_field(_("When"), required=False)
    note = forms.CharField(required=False, max_length=MAX_TEXT)
    reason = forms.CharField(required=False, max_length=MAX_TEXT)
    clinical_summary = forms.CharField(required=False, max_length=MAX_TEXT)
    return_advice = forms.CharField(required=False, max_length=MAX_TEXT)
    decision = forms.ChoiceField(required=False, choices=[("", "")] + list(Referral.ReturnDecision.choices))
    arrangements = forms.CharField(required=False, max_length=MAX_TEXT)
    advice_considered = forms.BooleanField(required=False)
