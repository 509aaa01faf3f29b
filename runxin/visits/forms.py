"""Forms of the visits pages. They check the shape of what was typed; the rules (a day not in the future, who went
on a home visit …) are the services', which name the field a refusal belongs to."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FamilyContact

DONE, PLANNED = "done", "planned"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ContactForm(forms.Form):
    """Record a contact that happened, or plan one (the `mode`)."""

    mode = forms.ChoiceField(label=_("This contact"), choices=[(DONE, _("has happened: record it")),
                                                               (PLANNED, _("is planned"))],
                             widget=forms.RadioSelect, initial=DONE)
    kind = forms.ChoiceField(label=_("Kind"), choices=FamilyContact.Kind.choices, initial=FamilyContact.Kind.HOME_VISIT)
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DateInput())
    planned_on = forms.DateField(label=_("Planned for"), required=False, widget=DateInput())
    visitors = forms.CharField(label=_("Who went (teachers)"), required=False, max_length=200)
    met_with = forms.CharField(label=_("Whom you met (guardians, family)"), required=False, max_length=200)
    dormitory = forms.CharField(label=_("Dormitory (for a dormitory visit)"), required=False, max_length=60)
    summary = forms.CharField(label=_("What was seen and discussed"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    agreed = forms.CharField(label=_("What was agreed with the family (家校协同)"), required=False, max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("mode") == DONE and not data.get("done_on") and "done_on" not in self.errors:
            self.add_error("done_on", _("Give the day of the contact."))
        if data.get("mode") == PLANNED and not data.get("planned_on") and "planned_on" not in self.errors:
            self.add_error("planned_on", _("Give the day it is planned for."))
        return data


class RecordPlannedForm(forms.Form):
    """Mark a planned visit done."""

    kind = forms.ChoiceField(label=_("Kind"), choices=FamilyContact.Kind.choices)
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    visitors = forms.CharField(label=_("Who went (teachers)"), required=False, max_length=200)
    met_with = forms.CharField(label=_("Whom you met (guardians, family)"), required=False, max_length=200)
    dormitory = forms.CharField(label=_("Dormitory (for a dormitory visit)"), required=False, max_length=60)
    summary = forms.CharField(label=_("What was seen and discussed"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    agreed = forms.CharField(label=_("What was agreed with the family (家校协同)"), required=False, max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ClassPlanForm(forms.Form):
    """Plan home visits for every student of a class not yet visited this school year."""

    first_day = forms.DateField(label=_("From"), widget=DateInput())
    last_day = forms.DateField(label=_("To"), widget=DateInput())
    visitors = forms.CharField(label=_("Who goes (teachers)"), required=False, max_length=200)
    weekdays_only = forms.BooleanField(label=_("School days only (Monday to Friday)"), required=False, initial=True)


class QuickRecordForm(forms.Form):
    """The class page's quick record: one student of the class, what happened, what was agreed."""

    student = forms.TypedChoiceField(label=_("Student"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("Kind"), choices=FamilyContact.Kind.choices, initial=FamilyContact.Kind.PHONE)
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    visitors = forms.CharField(label=_("Who went (teachers)"), required=False, max_length=200)
    met_with = forms.CharField(label=_("Whom you met (guardians, family)"), required=False, max_length=200)
    summary = forms.CharField(label=_("What was seen and discussed"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    agreed = forms.CharField(label=_("What was agreed with the family (家校协同)"), required=False, max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, students=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [("", "—")] + [(s.pk, s.name) for s in students]
