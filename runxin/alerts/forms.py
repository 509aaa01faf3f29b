"""Input forms of the alerts pages. They parse and check what was typed; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from runxin.access import roles

from . import services
from .models import Tier, Warning, WarningLevel

TEXT = forms.Textarea(attrs={"rows": 4, "cols": 60})


def level_choices(levels, language: str):
    return [(lv.pk, lv.label(language)) for lv in levels]


class ReportForm(forms.Form):
    student_number = forms.CharField(label=_("Student number (学籍号)"), max_length=32, required=False)
    source = forms.ChoiceField(label=_("Source"))
    level = forms.TypedChoiceField(label=_("Level"), coerce=int)
    reporter_name = forms.CharField(label=_("Sent by (hospital, police station, court, community, caller)"),
                                    max_length=100, required=False)
    summary = forms.CharField(label=_("What was observed or reported"), widget=TEXT, max_length=services.MAX_TEXT)

    def __init__(self, *args, sources, levels, language, needs_student, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(s, Warning.Source(s).label) for s in sources]
        self.fields["level"].choices = level_choices(levels, language)
        self.fields["student_number"].required = needs_student
        self.levels = {lv.pk: lv for lv in levels}
        if levels:
            self.fields["level"].initial = min(levels, key=lambda lv: lv.severity).pk

    def chosen_level(self) -> WarningLevel:
        return self.levels[self.cleaned_data["level"]]


class PeerReportForm(forms.Form):
    classmate_name = forms.CharField(label=_("Your classmate's name"), max_length=60)
    summary = forms.CharField(label=_("What did you notice?"), widget=TEXT, max_length=services.MAX_TEXT)


class ParentReportForm(forms.Form):
    student = forms.TypedChoiceField(label=_("Child"), coerce=int)
    summary = forms.CharField(label=_("What worries you?"), widget=TEXT, max_length=services.MAX_TEXT)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = children


class SelfHelpForm(forms.Form):
    message = forms.CharField(label=_("Anything you want to tell us (you may leave this empty)"), widget=TEXT,
                              required=False, max_length=services.MAX_TEXT)


class ExportForm(forms.Form):
    since = forms.DateField(label=_("Changed since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Changed before"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise forms.ValidationError(_("“Changed since” must be before “Changed before”."))
        return data


ACK_ROLE_CHOICES = [(code, roles.role_label(code)) for code in ("head_teacher", "psych_teacher", "school_leader")]
CHANNEL_CHOICES = [("inbox", _("In-app inbox")), ("email", _("E-mail")), ("sms", _("SMS")), ("wechat", _("WeChat"))]
SCREENING_CHOICES = [("critical", _("critical")), ("high", _("high")), ("moderate", _("moderate")),
                     ("review", _("needs review"))]


class DaysField(forms.CharField):
    """A list of whole days such as "7, 14, 30"."""

    def to_python(self, value):
        text = (super().to_python(value) or "").replace("，", ",")
        days = []
        for part in [p.strip() for p in text.split(",") if p.strip()]:
            if not part.isdigit() or not 1 <= int(part) <= 730:
                raise forms.ValidationError(_("“%(part)s” is not a number of days between 1 and 730."),
                                            params={"part": part})
            days.append(int(part))
        return sorted(set(days))

    def prepare_value(self, value):
        return ", ".join(str(d) for d in value) if isinstance(value, list) else value


class LevelForm(forms.ModelForm):
    ack_roles = forms.MultipleChoiceField(label=_("Acknowledged at the class and school by"),
                                          choices=ACK_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple,
                                          required=False)
    notify_tiers = forms.TypedMultipleChoiceField(label=_("Who is told when it is raised"), choices=Tier.choices,
                                                  coerce=int, widget=forms.CheckboxSelectMultiple)
    channels = forms.MultipleChoiceField(label=_("Channels"), choices=CHANNEL_CHOICES,
                                         widget=forms.CheckboxSelectMultiple)
    follow_up_days = DaysField(label=_("Follow-up visits after clearing (days, comma-separated)"), required=False)
    screening_codes = forms.MultipleChoiceField(label=_("Screening suggestions it receives"),
                                                choices=SCREENING_CHOICES, widget=forms.CheckboxSelectMultiple,
                                                required=False)

    class Meta:
        model = WarningLevel
        fields = ["code", "name_zh", "name_en", "colour", "severity", "description", "is_active", "ack_tier",
                  "ack_roles", "ack_minutes", "assess_minutes", "progress_minutes", "clear_tier", "notify_tiers",
                  "channels", "follow_up_days", "screening_codes", "visible_to_centres"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def clean_channels(self):
        channels = self.cleaned_data["channels"]
        if "inbox" not in channels:
            raise forms.ValidationError(_("The in-app inbox is always used; keep it ticked."))
        return channels

    def clean(self):
        data = super().clean()
        for name in ("ack_minutes", "assess_minutes", "progress_minutes"):
            if data.get(name) is not None and data[name] < 1:
                self.add_error(name, _("At least one minute."))
        if data.get("ack_tier") and data["ack_tier"] <= Tier.SCHOOL and not data.get("ack_roles"):
            self.add_error("ack_roles", _("Name at least one role who acknowledges at the class or school."))
        return data
