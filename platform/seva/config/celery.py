"""The Celery application. Tasks live in each app's tasks.py and are autodiscovered.

The settings module is whatever DJANGO_SETTINGS_MODULE names (the production settings in
production; `make run` names the development ones): never a default, so that importing this
package cannot choose the development settings for a web or worker process."""

from celery import Celery

app = Celery("seva")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
