from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The picture at every level: figures kept up to date from the domain apps' records (facts), the
    dashboards, screening reports, district risk zoning and the yearly white paper, with small counts
    suppressed for viewers outside need-to-know."""

    name = "runxin.analytics"
    verbose_name = _("Analytics and reports")
