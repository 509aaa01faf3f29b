"""Forms of the team pages: crisis team member, mentor contact, contact policy, post-incident review."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .mentoring import DAYS_MAX, DAYS_MIN, NOTE_MAX
from .models import CrisisTeamMember, IncidentReview, MentorContact

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class MemberForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Staff member"), coerce=int, choices=())
    duty = forms.ChoiceField(label=_("Duty"), choices=CrisisTeamMember.Duty.choices)
    phone = forms.CharField(label=_("Duty phone"), max_length=20, required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—")] + [(u.pk, f"{u} ({u.username})") for u in staff]


class ContactForm(forms.Form):
    at = forms.DateTimeField(label=_("When"), input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT)
    form = forms.ChoiceField(label=_("How"), choices=MentorContact.Form.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Short note"), required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Only you and the case team (psychology teacher, school leader) read the note."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"at": timezone.localtime().replace(second=0, microsecond=0),
                                      "form": MentorContact.Form.TALK})
        super().__init__(*args, **kwargs)


class PolicyForm(forms.Form):
    """One row per level: contact_<level id> and review_<level id>."""

    def __init__(self, *args, policies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for p in policies:
            contact = forms.IntegerField(label=_("Mentor contact at least every (days)"), min_value=DAYS_MIN,
                                         max_value=DAYS_MAX, initial=p.mentor_contact_days)
            review = forms.IntegerField(label=_("Plan reviewed at least every (days)"), min_value=DAYS_MIN,
                                        max_value=DAYS_MAX, initial=p.review_days)
            self.fields[f"contact_{p.level.pk}"] = contact
            self.fields[f"review_{p.level.pk}"] = review
            self.rows.append(p)

    def row_fields(self):
        return [(p, self[f"contact_{p.level.pk}"], self[f"review_{p.level.pk}"]) for p in self.rows]


class ReviewNewForm(forms.Form):
    school = forms.TypedChoiceField(label=_("School"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("Kind of incident"), choices=IncidentReview.Kind.choices)
    incident_on = forms.DateField(label=_("Date of the incident"), widget=forms.DateInput(attrs={"type": "date"}))
    student_number = forms.CharField(label=_("Student number (学籍号), if the incident concerns a student"),
                                     max_length=32, required=False)

    def __init__(self, *args, schools=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [(s.pk, s.name) for s in schools]


class TimelineLineForm(forms.Form):
    at = forms.DateTimeField(label=_("When"), input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT)
    what = forms.CharField(label=_("What happened"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewTextForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), required=False, max_length=20_000,
                               widget=forms.Textarea(attrs={"rows": 6}),
                               help_text=_("What happened and why; what worked and what did not."))
    actions = forms.CharField(label=_("Actions"), required=False, max_length=20_000,
                              widget=forms.Textarea(attrs={"rows": 6}),
                              help_text=_("What will change, who does it, by when."))
