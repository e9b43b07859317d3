"""The Celery app: one worker pool and one beat, configured from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phb.settings")

app = Celery("phb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
