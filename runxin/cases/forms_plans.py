"""Input forms of the plan pages. They parse and check what was typed; the rules live in plans.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import plans
from .models import PlanAction

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


def _people(staff) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(u.pk), str(u)) for u in staff]


class _StaffForm(forms.Form):
    """A form with people to choose among (staff who can open the student's file)."""

    staff_fields: tuple[str, ...] = ()

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(u.pk): u for u in staff}
        for name in self.staff_fields:
            self.fields[name].choices = _people(staff)

    def person(self, name: str):
        return self.staff.get(str(self.cleaned_data.get(name) or ""))


class PlanForm(_StaffForm):
    staff_fields = ("lead", "mentor")

    lead = forms.ChoiceField(label=_("Case lead"), error_messages={"required": _("Choose the case lead.")})
    mentor = forms.ChoiceField(label=_("Mentor (知心导师, optional)"), required=False)
    assessment = forms.CharField(label=_("Assessment on filing (建档评估)"), widget=TEXT, required=False,
                                 max_length=plans.MAX_TEXT)
    goals = forms.CharField(label=_("Goals"), widget=TEXT, max_length=plans.MAX_TEXT,
                            error_messages={"required": _("Write the plan's goals.")})
    next_review_on = forms.DateField(label=_("Next review"), widget=DATE, required=False,
                                     help_text=_("Left empty: by the contact policy of the warning's level, or in "
                                                 "14 days."))


class ActionForm(_StaffForm):
    staff_fields = ("responsible",)

    step = forms.ChoiceField(label=_("Step"), choices=PlanAction.Step.choices,
                             error_messages={"required": _("Choose one of the six steps.")})
    description = forms.CharField(label=_("Action"), widget=TEXT, max_length=plans.MAX_TEXT,
                                  error_messages={"required": _("Describe the action.")})
    responsible = forms.ChoiceField(label=_("Responsible"),
                                    error_messages={"required": _("Choose the person responsible.")})
    due_on = forms.DateField(label=_("Due"), widget=DATE, required=False)


class ActionDoneForm(forms.Form):
    outcome = forms.CharField(label=_("What came of it"), widget=TEXT, max_length=plans.MAX_TEXT,
                              error_messages={"required": _("Write what came of the action.")})


class ReviewForm(forms.Form):
    progress = forms.CharField(label=_("Progress since the last review"), widget=TEXT, max_length=plans.MAX_TEXT,
                               error_messages={"required": _("Write the progress since the last review.")})
    next_review_on = forms.DateField(label=_("Next review"), widget=DATE, required=False,
                                     help_text=_("Left empty: by the contact policy of the warning's level, or in "
                                                 "14 days."))


class CloseForm(forms.Form):
    summary = forms.CharField(label=_("Closing summary"), widget=TEXT, max_length=plans.MAX_TEXT,
                              error_messages={"required": _("Write the closing summary: what was achieved and what "
                                                            "happens next.")})
    close_open_actions = forms.BooleanField(
        label=_("Close with the open actions listed in the summary (they are not marked done)"), required=False)


class PeerWatchForm(forms.Form):
    watcher = forms.ChoiceField(label=_("Classmate"), error_messages={"required": _("Choose the classmate.")})
    task = forms.CharField(
        label=_("Task for the classmate"), widget=forms.Textarea(attrs={"rows": 2}), max_length=plans.MAX_TASK,
        help_text=_("The classmate reads this. Write only what they do and whom they tell, e.g. “Eat lunch with "
                    "李二; tell 王老师 at once if she seems very upset.” Nothing about risk, diagnoses or the plan."),
        error_messages={"required": _("Write the classmate's task: what they do and whom they tell.")})

    def __init__(self, *args, classmates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.classmates = {str(s.pk): s for s in classmates}
        self.fields["watcher"].choices = [("", "—")] + [(str(s.pk), s.name) for s in classmates]

    def chosen(self):
        return self.classmates.get(str(self.cleaned_data.get("watcher") or ""))


class FollowUpForm(_StaffForm):
    staff_fields = ("assigned_to",)

    due_on = forms.DateField(label=_("Due on"), widget=DATE,
                             error_messages={"required": _("Give the date of the follow-up.")})
    assigned_to = forms.ChoiceField(label=_("Responsible"),
                                    error_messages={"required": _("Choose the person responsible.")})
    note = forms.CharField(label=_("What to look at (optional)"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))
