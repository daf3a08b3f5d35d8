"""The test settings, with tasks handed to a real broker instead of run inline: for the tests
that start gunicorn and a Celery worker as processes of their own (test_request_id)."""

from seva.config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
