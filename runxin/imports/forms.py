from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ImportBatch


class UploadForm(forms.Form):
    school = forms.ModelChoiceField(queryset=None, label=_("School"), empty_label=None)
    file = forms.FileField(label=_("Roster file (.xlsx or .csv)"))

    def __init__(self, *args, schools, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from runxin.org.models import OrgUnit

        self.fields["school"].queryset = OrgUnit.objects.filter(pk__in=[s.pk for s in schools]).order_by("name")
        self.only_school = schools[0] if len(schools) == 1 else None
        if self.only_school is not None:
            self.fields["school"].initial = self.only_school.pk
            self.fields["school"].widget = forms.HiddenInput()
            self.fields["school"].required = False

    def clean_school(self):
        return self.cleaned_data.get("school") or self.only_school

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if name.endswith(".xls"):
            raise forms.ValidationError(_("Old .xls workbooks cannot be read: save the file as .xlsx or CSV."))
        if not name.endswith((".xlsx", ".xlsm", ".csv", ".txt")):
            raise forms.ValidationError(_("Choose an .xlsx or .csv file."))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class CommitForm(forms.Form):
    mode = forms.ChoiceField(choices=ImportBatch.Mode.choices, widget=forms.RadioSelect, label=_("How to import"),
                             initial=ImportBatch.Mode.VALID)
