"""How does "My applications" answer a citizen with thousands of applications, and what does
it cost the web process? Gives a new citizen --applications synthetic applications on
PostgreSQL (committed: the server is another process), starts the production application
server (gunicorn, one worker of one thread, production settings unless told otherwise),
asks for the first and the last page of /my/ --runs times each over HTTP, and prints the
median and p95 time, the size of the answer and the growth of the worker's resident memory.
The citizen and their applications are removed at the end.

    python manage.py my_applications_benchmark --applications 10000

Under production settings the server needs what they need: SEVA_CACHE_URL and
CELERY_BROKER_URL default to the local Redis here, and the object store to a placeholder
(the page reads no file) unless the environment names one. --server-root measures another
checkout of Seva (an older commit, for a before-and-after) against the same database.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from seva.demo.benchmarks.my_applications import (
    citizen_remove,
    citizen_with_applications,
    get,
    server,
    session_cookie,
    timed_gets,
)

# The page reads no file: unless the environment names an object store, production settings
# are given one that nothing is ever sent to (the discard port on loopback).
PLACEHOLDER_STORE = {
    "SEVA_S3_BUCKET": "seva-benchmark-unused",
    "SEVA_S3_REGION": "us-east-1",
    "SEVA_S3_ENDPOINT_URL": "http://127.0.0.1:9",
    "SEVA_S3_ACCESS_KEY_ID": "unused",
    "SEVA_S3_SECRET_ACCESS_KEY": "unused",
}
# The targets of issue 20.
MEDIAN_MS_TARGET = 200
GROWTH_MB_TARGET = 50


class Command(BaseCommand):
    help = "Time /my/ for a citizen with many applications over HTTP (PostgreSQL; cleaned up)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--applications", type=int, default=10_000)
        parser.add_argument("--runs", type=int, default=50)
        parser.add_argument(
            "--server-settings",
            default="seva.config.settings.prod",
            help="The settings module the server runs with.",
        )
        parser.add_argument(
            "--server-root",
            type=Path,
            default=Path(settings.REPO_DIR),
            help="The checkout of Seva the server runs (default: this one).",
        )
        parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark measures PostgreSQL: set DATABASE_URL.")
        count, runs = options["applications"], options["runs"]
        defaults = {
            "SEVA_CACHE_URL": options["redis_url"],
            "CELERY_BROKER_URL": options["redis_url"],
            **PLACEHOLDER_STORE,
        }
        env = {name: value for name, value in defaults.items() if not os.environ.get(name)}
        citizen = citizen_with_applications(count=count)
        self.stdout.write(f"A citizen with {count:,} applications ({citizen.username}).")
        try:
            cookie = session_cookie(citizen)
            with server(
                settings_module=options["server_settings"], root=options["server_root"], env=env
            ) as running:
                get(running, "/healthz")
                started_mb = running.worker_rss_mb()
                first = timed_gets(running, "/my/", cookie=cookie, runs=1)
                if first.status != 200:
                    raise CommandError(f"/my/ answered {first.status}: {running.log}")
                after_first_mb = running.worker_rss_mb()
                pages = [timed_gets(running, "/my/", cookie=cookie, runs=runs)]
                last = -(-count // 20)
                pages.append(timed_gets(running, f"/my/?page={last}", cookie=cookie, runs=runs))
                if pages[-1].status != 200:  # a server that does not page answers page 1
                    pages.pop()
                ended_mb, peak_mb = running.worker_rss_mb(), running.worker_peak_mb()
        finally:
            citizen_remove(citizen)

        self.stdout.write(
            f"gunicorn, 1 worker x 1 thread, {options['server_settings']}, {runs} requests a page"
        )
        self.stdout.write(f"first request: {first.milliseconds[0]:.0f} ms, {first.size:,} bytes")
        self.stdout.write("page                       median ms   p95 ms      bytes")
        for page in pages:
            self.stdout.write(
                f"{page.path:<24} {page.median:>11.1f} {page.p95:>8.1f} {page.size:>10,}"
            )
        growth = ended_mb - started_mb
        self.stdout.write(
            f"worker memory: {started_mb:.0f} MB before, {after_first_mb:.0f} MB after the first "
            f"request, {ended_mb:.0f} MB after {1 + runs * len(pages)} requests: "
            f"grew {growth:.1f} MB; at its peak {peak_mb:.0f} MB"
        )
        median = pages[0].median
        self.stdout.write(
            f"targets: median under {MEDIAN_MS_TARGET} ms: "
            f"{'met' if median < MEDIAN_MS_TARGET else 'MISSED'} ({median:.1f}); "
            f"growth under {GROWTH_MB_TARGET} MB: "
            f"{'met' if growth < GROWTH_MB_TARGET else 'MISSED'} ({growth:.1f})"
        )
        self.stdout.write("Removed: the citizen and their applications are gone.")
