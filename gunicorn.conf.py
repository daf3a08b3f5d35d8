"""gunicorn's settings for Seva's web processes (ADR 0021, docs/operations.md).

Start a web node with the production settings named:

    DJANGO_SETTINGS_MODULE=seva.config.settings.prod .venv/bin/gunicorn -c gunicorn.conf.py

Workers and threads come from the environment; the access log is one JSON object a line on
standard output, for the log collector."""

import json
import os
import shutil
import tempfile
from pathlib import Path

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
# gunicorn 24+ opens a control socket in ~/.gunicorn by default: a write to the disk (refused
# on a read-only root file system) and one path for every server of the same user. Nothing
# of Seva's uses it; workers are managed with signals.
control_socket_disable = True

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
        # The response's: the caller's id if it was sane, else the one Seva made for it
        # (seva.core.requestid), as in the application's own log lines.
        "request_id": "%({x-request-id}o)s",
        "user_agent": "%(a)s",
    }
)

# ------------------------------------------------------------------------------
# Metrics (ADR 0022): the workers' figures are added up from files in one folder, a temporary
# one unless PROMETHEUS_MULTIPROC_DIR names it. Set before any worker imports prometheus_client.
# ------------------------------------------------------------------------------
_made_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _made_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="seva-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

# Only now: prometheus_client chooses its per-process files when it is first imported, and the
# workers inherit this process's modules.
from prometheus_client import multiprocess  # noqa: E402


def on_starting(server):
    """Figures left by an earlier run would be added to this one's: start from an empty folder."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for leftover in METRICS_DIR.iterdir():
        if leftover.is_file():
            leftover.unlink()


def child_exit(server, worker):
    """A worker that ended no longer counts in the gauges of live processes."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
