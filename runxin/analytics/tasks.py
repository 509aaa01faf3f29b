"""Celery tasks of the analytics app: the figures' upkeep. Production runs them from Celery beat
(CELERY_BEAT_SCHEDULE: "analytics-refresh" every minute, "analytics-rebuild" at night); the embedded default runs
the same functions from `runxin run-scheduler`. Both are safe to run twice: a pass that finds another running
returns at once."""

from celery import shared_task

from . import refresh as upkeep


@shared_task(name="runxin.analytics.tasks.refresh", ignore_result=True)
def refresh() -> dict:
    return upkeep.refresh()


@shared_task(name="runxin.analytics.tasks.rebuild", ignore_result=True)
def rebuild() -> dict:
    return upkeep.nightly()


# >>> screening reports
@shared_task(name="runxin.analytics.tasks.campaign_figures", ignore_result=True)
def campaign_figures() -> dict:
    """The screening reports' figures (campaign_figures.py): open and recently closed campaigns that changed,
    and a few never computed. Beat entry "analytics-campaign-figures"."""
    from .campaign_figures import refresh_campaign_figures

    return refresh_campaign_figures()
# <<< screening reports
