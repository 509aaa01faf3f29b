import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import ACTION_CHOICES, Filters

_RECORD = re.compile(r"^(?P<type>[A-Za-z_][\w.]{0,60})[#:](?P<id>[\w-]{1,64})$")
_STUDENT_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,32}$")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Username"), max_length=150, required=False)
    subject = forms.CharField(
        label=_("Student number (学籍号) or record"), max_length=100, required=False,
        help_text=_("A student number, or a record as type#id, e.g. people.guardian#12 or student.profile#7."),
    )
    action = forms.ChoiceField(label=_("Action"), choices=[("", _("All"))] + ACTION_CHOICES, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ip = forms.GenericIPAddressField(label=_("IP address"), required=False, unpack_ipv4=True)

    def clean_subject(self) -> str:
        value = self.cleaned_data["subject"].strip()
        if value and not (_RECORD.match(value) or _STUDENT_NUMBER.match(value)):
            raise forms.ValidationError(
                _("Enter a student number (letters and digits only) or a record as type#id, e.g. people.guardian#12."),
                code="bad_subject",
            )
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> Filters:
        """The validated filters (call after is_valid())."""
        data = self.cleaned_data
        subject = data.get("subject") or ""
        record = _RECORD.match(subject)
        return Filters(
            actor=(data.get("actor") or "").strip(),
            student_number="" if record else subject,
            record_type=record["type"] if record else "",
            record_id=record["id"] if record else "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            ip=data.get("ip") or "",
        )
