"""The city administrator's forms for the region tree. They only shape input: org.services checks it and
its refusals come back onto the field they name (UnitRefused.field)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .models import OrgUnit

SCHOOL_ONLY = ("school_type", "boarding", "enrolment")


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    school_type = forms.ChoiceField(label=_("School type"), required=False,
                                    choices=[("", "—"), *OrgUnit.SchoolType.choices])
    boarding = forms.ChoiceField(label=_("Boarding"), required=False, choices=[("", "—"), *OrgUnit.Boarding.choices])
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    enrolment = forms.IntegerField(label=_("Planned enrolment"), min_value=0, max_value=100_000, required=False)
    partner_type = forms.ChoiceField(label=_("Partner type"), required=False,
                                     choices=[("", "—"), *OrgUnit.PartnerType.choices])
    grade_level = forms.IntegerField(label=_("Grade (1–12)"), min_value=1, max_value=12, required=False)
    class_number = forms.IntegerField(label=_("Class number"), min_value=1, max_value=99, required=False)

    def __init__(self, *args, kind: str, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        keep = {"name", "code", *services.KIND_FIELDS.get(kind, ())}
        if not creating:
            keep -= {"grade_level", "class_number"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if kind == OrgUnit.Kind.SCHOOL:
            self.fields["code"].label = _("School identifier (学校标识码, 10 digits)")
        if kind in {OrgUnit.Kind.GRADE, OrgUnit.Kind.CLASS}:
            self.fields["name"].help_text = _("Leave empty to name it from its number (七年级, 七年级(1)班).")

    def refuse(self, refused: services.UnitRefused) -> None:
        self.add_error(refused.field if refused.field in self.fields else None, refused.message)


class MoveForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("New place"), coerce=int)

    def __init__(self, *args, targets: list[OrgUnit], **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {unit.pk: unit for unit in targets}
        self.fields["parent"].choices = [(unit.pk, unit.name) for unit in targets]


class ServiceGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    schools = forms.TypedMultipleChoiceField(label=_("Schools"), coerce=int, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    staff = forms.TypedMultipleChoiceField(label=_("Centre staff serving the group"), coerce=int, required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, schools, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schools"].choices = [(s.pk, s.name) for s in schools]
        self.fields["staff"].choices = [(u.pk, str(u)) for u in staff]
