from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "runxin.visits"
    verbose_name = _("Home visits and family contact")
