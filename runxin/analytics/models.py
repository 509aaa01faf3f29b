"""The analytics app's tables: figures derived from the domain apps' records, kept up to date incrementally
(facts.py recomputes the schools whose records changed and rolls them up), so a dashboard reads a few hundred
rows instead of scanning millions. Derived data only: a full rebuild recreates every row from the records."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from runxin.org.models import OrgUnit
from runxin.screening.models import Campaign


class UnitFigure(models.Model):
    """One figure of one org unit (class, grade, school, district, city) for one calendar month. Flows (new
    warnings, follow-ups done …) count what happened in the month; stocks (students, current warnings …) are
    the value at the month's end, or now for the running month. The catalogue of measures is facts.MEASURES."""

    unit = models.ForeignKey(OrgUnit, models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()  # the first day of the month
    measure = models.CharField(max_length=48)
    value = models.BigIntegerField(default=0)
    # Hidden from viewers outside need-to-know: 1–4 (primary) or chosen so that no total minus the visible parts
    # gives a hidden one away (complementary). Decided once over the whole tree and every measure's breakdown
    # (facts.py with core/suppression.py), so every page and every viewer hides the same figures.
    suppressed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("unit figure")
        verbose_name_plural = _("unit figures")
        constraints = [models.UniqueConstraint(fields=["unit", "month", "measure"], name="one_figure_per_unit_month")]
        indexes = [models.Index(fields=["month", "measure"], name="analytics_figure_month_measure")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.measure}={self.value}"


class CampaignFigure(models.Model):
    """One figure of one screening campaign for one org unit (the unit the student was placed in when the
    campaign opened): targets and completion for the campaign as a whole (`instrument_code` empty), results by
    band, validity, critical items and positive dimensions per instrument; overall (`dimension` "all") or by
    grade, sex or special-attention group (`key` the grade level, sex or group code)."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey(OrgUnit, models.CASCADE, related_name="+")
    instrument_code = models.CharField(max_length=64, blank=True, default="")
    dimension = models.CharField(max_length=16, default="all")
    key = models.CharField(max_length=40, blank=True, default="")
    measure = models.CharField(max_length=64)
    value = models.BigIntegerField(default=0)
    suppressed = models.BooleanField(default=False)  # as UnitFigure.suppressed, over the campaign's figures

    class Meta:
        verbose_name = _("campaign figure")
        verbose_name_plural = _("campaign figures")
        constraints = [models.UniqueConstraint(
            fields=["campaign", "unit", "instrument_code", "dimension", "key", "measure"],
            name="one_campaign_figure")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.unit_id} {self.instrument_code} {self.dimension}={self.key} {self.measure}"


class RefreshState(models.Model):
    """Where the upkeep of the figures stands (one row per kind of figures): shown on the pages ("figures as
    of …") and as the progress of a full rebuild."""

    name = models.CharField(max_length=32, unique=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # the figures include every change before started_at
    rebuild_started_at = models.DateTimeField(null=True, blank=True)
    rebuild_finished_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)  # schools recomputed in the running pass
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("figures refresh")
        verbose_name_plural = _("figures refreshes")

    def __str__(self) -> str:
        return self.name
