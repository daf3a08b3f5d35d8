"""gunicorn's settings for Seva's web processes (ADR 0021, docs/operations.md).

Start a web node with the production settings named:

    DJANGO_SETTINGS_MODULE=seva.config.settings.prod .venv/bin/gunicorn -c gunicorn.conf.py

Workers and threads come from the environment; the access log is one JSON object a line on
standard output, for the log collector."""

import json
import os

wsgi_app = "seva.config.wsgi:application"
pythonpath = "platform"
bind = os.environ.get("SEVA_BIND", "0.0.0.0:8000")
# Threads serve requests that wait on the database while the process's other threads run:
# a few processes of several threads each, rather than many single-threaded processes.
workers = int(os.environ.get("SEVA_WEB_WORKERS", "2"))
threads = int(os.environ.get("SEVA_WEB_THREADS", "4"))
worker_class = "gthread"
# A request longer than this is killed and logged: no page of Seva's should take it.
timeout = int(os.environ.get("SEVA_WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter), bounding slow memory growth.
max_requests = int(os.environ.get("SEVA_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Behind the load balancer: the client's address from its header, if it is trusted.
forwarded_allow_ips = os.environ.get("SEVA_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = json.dumps(
    {
        "time": "%(t)s",
        "remote": "%(h)s",
        "method": "%(m)s",
        "path": "%(U)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "duration_ms": "%(M)s",
        "request_id": "%({x-request-id}i)s",
        "user_agent": "%(a)s",
    }
)
