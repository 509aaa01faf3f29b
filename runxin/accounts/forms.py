from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from runxin.access import roles

from . import staff


def role_choices(user) -> list[tuple[str, str]]:
    return [("", "—")] + [(code, roles.role_label(code)) for code in staff.grantable_roles(user)]


class RoleUnitFields(forms.Form):
    """A role and the org unit where it is held; the unit list follows the role (see the unit-options view)."""

    role = forms.ChoiceField(label=_("Role"))
    unit = forms.IntegerField(label=_("Org unit"), widget=forms.Select,
                              error_messages={"required": _("Choose the org unit where the role is held.")})

    def __init__(self, *args, actor, unit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor)
        self.fields["unit"].widget.choices = [("", "—")] + list(unit_choices)


class StaffCreateForm(RoleUnitFields):
    username = forms.CharField(label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()],
                               help_text=_("Letters, digits and @ . + - _ only; used to sign in."))
    display_name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)

    field_order = ["username", "display_name", "phone", "email", "role", "unit"]


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Username or name"), required=False, max_length=150)
    role = forms.ChoiceField(label=_("Role"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("All")), ("active", _("Active")), ("inactive", _("Deactivated")), ("locked", _("Locked out")),
        ("must_change", _("Must change password")),
    ])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("All"))] + [
            (code, roles.role_label(code)) for code in roles.ROLES if code in staff.STAFF_ROLES]


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's form, plus: the new password must differ from the current one."""

    def clean(self):
        data = super().clean()
        password = data.get("new_password2")
        if password and not self.has_error("new_password2") and self.user.check_password(password):
            self.add_error("new_password2", forms.ValidationError(
                _("Choose a password different from your current one."), code="password_unchanged"))
        return data


class MentorPairForm(forms.Form):
    student = forms.IntegerField(widget=forms.HiddenInput)
