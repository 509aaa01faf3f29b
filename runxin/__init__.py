"""runxin (润心): a city's student mental-health service platform."""

from .celery_app import app as celery_app

__all__ = ["celery_app"]
