"""Forms for the staff pages. They parse and check input; the rules themselves are in services.py."""

import re
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.models import SpecialGroup

from .models import Campaign, ConsentRecord, InstrumentVersion
from .services import CampaignSpec

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. 2026 autumn semester-start screening")}))
    kind = forms.ChoiceField(label=_("Kind"), choices=Campaign.Kind.choices, widget=forms.RadioSelect)
    owner = forms.ModelChoiceField(label=_("Run by"), queryset=OrgUnit.objects.none())
    window_start = forms.DateField(label=_("Opens on"), widget=DATE)
    window_end = forms.DateField(label=_("Closes after"), widget=DATE)
    consent_mode = forms.ChoiceField(label=_("Consent"), choices=Campaign.ConsentMode.choices, widget=forms.RadioSelect,
                                     initial=Campaign.ConsentMode.OPT_OUT)
    grades = forms.TypedMultipleChoiceField(label=_("Grades"), coerce=int, required=False,
                                            choices=[(g, g) for g in range(1, 13)], widget=forms.CheckboxSelectMultiple)
    groups = forms.ModelMultipleChoiceField(label=_("Special-attention groups"), required=False,
                                            queryset=SpecialGroup.objects.filter(is_active=True),
                                            widget=forms.CheckboxSelectMultiple)
    key_students = forms.BooleanField(label=_("Key students (重点学生)"), required=False)
    student_numbers = forms.CharField(
        label=_("Listed students"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("National student numbers (学籍号), one per line or separated by commas."))
    interval_days = forms.IntegerField(label=_("Repeat every (days)"), required=False, min_value=1, max_value=365)
    round_days = forms.IntegerField(label=_("Each round open for (days)"), required=False, min_value=1, max_value=60)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = (
            scope.units(user, roles.SCREENING_MANAGE)
            .filter(kind__in=[OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.SCHOOL], is_active=True)
            .order_by("depth", "name"))
        # Students' questionnaires first, then those answered by parents (a campaign takes one kind only).
        self.versions = [v for v in InstrumentVersion.objects.filter(is_published=True,
                                                                      respondent__in=["student", "parent"])
                         .select_related("instrument").order_by("-respondent", "instrument__code", "-uploaded_at")]
        self.chosen_order: dict[int, int] = {}
        data = self.data if self.is_bound else {}
        language = get_language() or ""
        for version in self.versions:
            raw = data.get(f"order-{version.pk}", "") if data else self.initial.get("order", {}).get(version.pk, "")
            version.order_value = raw
            version.display_title = version.title_in(language)

    def clean(self):
        cleaned = super().clean()
        order: list[tuple[int, InstrumentVersion]] = []
        for version in self.versions:
            raw = str(self.data.get(f"order-{version.pk}", "")).strip()
            if not raw:
                continue
            if not raw.isdigit() or not 1 <= int(raw) <= 20:
                self.add_error(None, _("The order of %(version)s must be a number from 1 to 20.") % {"version": version})
                continue
            order.append((int(raw), version))
        cleaned["versions"] = [v for _n, v in sorted(order, key=lambda pair: (pair[0], pair[1].pk))]
        if not cleaned["versions"]:
            self.add_error(None, _("Choose at least one instrument: give it a number in the order it is answered."))
        elif len({v.respondent for v in cleaned["versions"]}) > 1:
            self.add_error(None, _("A campaign is answered by students or by parents, not both: choose only "
                                   "questionnaires answered by parents, or none of them."))
        return cleaned

    def spec(self) -> CampaignSpec:
        data = self.cleaned_data
        numbers = [n for n in re.split(r"[\s,，;；]+", data.get("student_numbers") or "") if n]
        return CampaignSpec(
            name=data["name"], kind=data["kind"], owner=data["owner"], window_start=data["window_start"],
            window_end=data["window_end"], consent_mode=data["consent_mode"], versions=data["versions"],
            grades=list(data.get("grades") or []), groups=list(data.get("groups") or []),
            key_students=bool(data.get("key_students")), student_numbers=numbers,
            interval_days=data.get("interval_days"), round_days=data.get("round_days"),
        )

    @classmethod
    def initial_for(cls, campaign: Campaign | None) -> dict:
        if campaign is None:
            today = timezone.localdate()
            return {"window_start": today, "window_end": today + timedelta(days=14),
                    "kind": Campaign.Kind.UNIVERSAL, "consent_mode": Campaign.ConsentMode.OPT_OUT, "order": {}}
        return {
            "name": campaign.name, "kind": campaign.kind, "owner": campaign.owner_id,
            "window_start": campaign.window_start, "window_end": campaign.window_end,
            "consent_mode": campaign.consent_mode, "grades": campaign.target_grades,
            "groups": list(campaign.target_groups.all()), "key_students": campaign.target_key_students,
            "student_numbers": "\n".join(campaign.listed_students.values_list("student_number", flat=True)),
            "interval_days": campaign.interval_days, "round_days": campaign.round_days,
            "order": {ci.version_id: ci.position for ci in campaign.instruments.all()},
        }


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Definition file (.json)"), required=False)
    text = forms.CharField(label=_("…or paste the JSON"), required=False,
                           widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}))
    scoring = forms.CharField(
        label=_("Scoring rules for a foreign FHIR Questionnaire (optional)"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("Scales, bands and critical items in runxin's JSON format; without them the import sums "
                    "the scored items into one total."))
    code = forms.SlugField(label=_("Code (for a FHIR Questionnaire, optional)"), required=False, max_length=64)
    version = forms.CharField(label=_("Version (when the FHIR Questionnaire has none)"), required=False, max_length=40)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > 2 * 1024 * 1024:
                raise forms.ValidationError(_("The file is larger than 2 MB; a definition is much smaller."))
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not (cleaned.get("text") or "").strip():
            raise forms.ValidationError(_("Choose a file or paste the JSON."))
        return cleaned


class TryForm(forms.Form):
    answers = forms.CharField(label=_("Answers (JSON)"), widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
                              help_text=_('Item ids and option values, e.g. {"q1": "LA6569-3"}; optionally '
                                          '{"answers": {…}, "elapsed_seconds": 120}.'))


class ConsentEntryForm(forms.Form):
    """Staff record a guardian's answer given on paper or by phone."""

    target = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[(ConsentRecord.State.CONSENTED, _("Consented")),
                                          (ConsentRecord.State.DECLINED, _("Declined"))])
    channel = forms.ChoiceField(choices=[(ConsentRecord.Channel.PAPER, _("Paper slip")),
                                         (ConsentRecord.Channel.PHONE, _("Phone call"))])
    guardian_name = forms.CharField(max_length=60, required=False)
