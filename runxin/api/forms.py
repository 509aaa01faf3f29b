from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import IntegrationAccount
from .services import MAX_TOKEN_DAYS


class AccountFlagForm(forms.Form):
    username = forms.CharField(label=_("Username of a new staff account"), max_length=150)
    system = forms.ChoiceField(label=_("System"), choices=IntegrationAccount.System.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class TokenIssueForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=80, required=False)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=MAX_TOKEN_DAYS,
                              initial=lambda: settings.API_TOKEN_DAYS)
