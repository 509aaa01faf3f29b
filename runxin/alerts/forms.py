"""Input forms of the alerts pages. They parse and check what was typed; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from runxin.access import roles

from . import services, states, triage
from .models import Tier, Warning, WarningLevel

TEXT = forms.Textarea(attrs={"rows": 4, "cols": 60})


def urgency_field(audience: str, *, required: bool = True) -> forms.ChoiceField:
    """"How urgent is it?" with plain examples written for the person reporting."""
    examples = {
        "parent": {
            triage.NOW: _("Now: my child talks about dying or not wanting to live, is hurting themselves, or "
                          "could do so at any moment"),
            triage.TODAY: _("Today: my child has been very low for days, does not eat or sleep, or shuts "
                            "everyone out"),
            triage.CONCERN: _("A worry: my child seems unhappy lately, or something changed that I want the "
                              "school to know"),
        },
        "student": {
            triage.NOW: _("Now: I might hurt myself, or I do not feel safe"),
            triage.TODAY: _("Today: I feel very bad and want to talk to someone today"),
            triage.CONCERN: _("Not urgent: I would like to talk when there is time"),
        },
        "peer": {
            triage.NOW: _("Now: my classmate talks about dying, hurting themselves, or has done it"),
            triage.TODAY: _("Today: my classmate has been very sad or not themselves for days"),
            triage.CONCERN: _("A worry: something seems wrong and a teacher should know"),
        },
        "staff": {
            triage.NOW: _("Imminent: statement of suicidal intent, self-harm, a plan or means, or harm to others"),
            triage.TODAY: _("Today: severe distress, not eating or sleeping, withdrawal, a recent loss or crisis"),
            triage.CONCERN: _("Attention: a change in mood, behaviour or grades to look into"),
        },
    }[audience]
    return forms.ChoiceField(label=_("How urgent is it?"), choices=[(k, examples[k]) for k in triage.URGENCIES],
                             widget=forms.RadioSelect, required=required,
                             error_messages={"required": _("Choose how urgent it is.")})


def level_choices(levels, language: str):
    return [(lv.pk, lv.label(language)) for lv in levels]


class ReportForm(forms.Form):
    student_number = forms.CharField(label=_("Student number (学籍号)"), max_length=32, required=False)
    source = forms.ChoiceField(label=_("Source"))
    # Optional: by default the urgency (and the words) decide; a level chosen here only ever raises it. A lowest
    # level picked in advance read as the staff member's choice, beside an urgency that said otherwise.
    level = forms.TypedChoiceField(label=_("Level"), coerce=int, required=False, empty_value=None)
    reporter_name = forms.CharField(
        label=_("Sent by (hospital, police station, court, community, caller)"), max_length=100, required=False,
        help_text=_("Only for a report from outside the school; leave it empty for what you saw yourself."))
    summary = forms.CharField(label=_("What was observed or reported"), widget=TEXT, max_length=services.MAX_TEXT)

    def __init__(self, *args, sources, levels, language, needs_student, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["urgency"] = urgency_field("staff")
        self.order_fields(["student_number", "source", "urgency", "summary", "level", "reporter_name"])
        self.fields["level"].help_text = _("Imminent risk, or words such as 想死 or 割腕 in the text, enter at the "
                                           "highest level whatever is chosen here.")
        self.fields["source"].choices = [(s, Warning.Source(s).label) for s in sources]
        self.fields["level"].choices = [("", _("As the urgency says")), *level_choices(levels, language)]
        self.fields["student_number"].required = needs_student
        self.levels = {lv.pk: lv for lv in levels}

    def chosen_level(self) -> WarningLevel | None:
        chosen = self.cleaned_data.get("level")
        return None if chosen is None else self.levels[chosen]


class PeerReportForm(forms.Form):
    classmate_name = forms.CharField(label=_("Your classmate's name"), max_length=60)
    urgency = urgency_field("peer")
    summary = forms.CharField(label=_("What did you notice?"), widget=TEXT, max_length=services.MAX_TEXT)


class ParentReportForm(forms.Form):
    student = forms.TypedChoiceField(label=_("Child"), coerce=int)
    urgency = urgency_field("parent")
    summary = forms.CharField(label=_("What worries you?"), widget=TEXT, max_length=services.MAX_TEXT)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = children


class SelfHelpForm(forms.Form):
    # Optional: a student in crisis is never stopped by a form; not saying counts as "today".
    urgency = urgency_field("student", required=False)
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


ACK_ROLE_CHOICES = [(code, roles.role_label(code)) for code in ("head_teacher", "grade_leader", "psych_teacher",
                                                                         "school_leader")]
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
    ack_roles = forms.MultipleChoiceField(label=_("Acknowledged at the class, grade and school by"),
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
                  "ack_roles", "ack_minutes", "assess_minutes", "progress_minutes", "clear_tier",
                  "min_monitoring_days", "notify_tiers", "channels", "follow_up_days", "screening_codes",
                  "visible_to_centres"]
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
        ack_tier = data.get("ack_tier")
        if ack_tier is not None and states.rank(ack_tier) <= states.rank(Tier.SCHOOL) and not data.get("ack_roles"):
            self.add_error("ack_roles", _("Name at least one role who acknowledges at the class or school."))
        # The grade tier is on for a level only when the level names it (received at, or told).
        through_grade = ack_tier is not None and states.routes_through_grade(ack_tier, data.get("notify_tiers"))
        if "grade_leader" in (data.get("ack_roles") or []) and not through_grade:
            self.add_error("ack_roles", _("The grade leader acknowledges only levels that route through the grade: "
                                          "choose the grade where it is received or among who is told."))
        if data.get("clear_tier") == Tier.GRADE:
            self.add_error("clear_tier", _("Clearing is approved at the class, the school or a centre; the grade "
                                           "leader does not approve clearing."))
        return data


class RiskPhrasesForm(forms.Form):
    """The city's list of risk phrases, one a line (不想活, 想死, 割腕 …)."""

    phrases = forms.CharField(label=_("Risk phrases, one a line"), widget=forms.Textarea(attrs={"rows": 14, "cols": 30}))

    def clean_phrases(self):
        lines = [line.strip() for line in self.cleaned_data["phrases"].replace("，", "\n").splitlines()]
        phrases = list(dict.fromkeys(line for line in lines if line))
        for line in phrases:
            if len(line) > 40:
                raise forms.ValidationError(_("“%(phrase)s” is longer than 40 characters."), params={"phrase": line})
            if len(line) < 2:
                raise forms.ValidationError(_("“%(phrase)s” is too short: a single character matches almost "
                                              "every text."), params={"phrase": line})
        if not phrases:
            raise forms.ValidationError(_("Keep at least one phrase."))
        return phrases


class FollowUpScheduleForm(forms.Form):
    """Schedule a follow-up (回访) on an open warning: when, who is responsible, what to look at."""

    due_on = forms.DateField(label=_("Due on"), error_messages={"required": _("Give the day the follow-up is due."),
                                                                 "invalid": _("Give the due day as YYYY-MM-DD.")})
    assigned_to = forms.TypedChoiceField(label=_("Responsible"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("What to look at (optional)"), required=False, max_length=services.MAX_TEXT)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("Whoever handles the warning"))] + list(candidates)


class FollowUpRecordForm(forms.Form):
    note = forms.CharField(label=_("What the follow-up found"), max_length=services.MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write what the follow-up found.")})
