"""The submission benchmark's server (manage.py submission_benchmark): the production
settings, plus the benchmark's bare endpoint and a middleware that reports each request's
SQL statements in a response header. Never used to serve anyone."""

from .prod import *  # noqa: F403
from .prod import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "seva.demo"]
ROOT_URLCONF = "seva.config.bench_urls"
# Outermost, so that every statement of the request is counted.
MIDDLEWARE = ["seva.demo.benchmarks.submissions.StatementsCounted", *MIDDLEWARE]
