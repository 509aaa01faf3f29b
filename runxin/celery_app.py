"""Celery application for production; the embedded default runs tasks in-process (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runxin.settings")

app = Celery("runxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
