"""How fast can citizens submit? Submissions over HTTP under the production server (gunicorn,
gunicorn.conf.py, production settings), against a bare endpoint that inserts one JSON row,
in the same run (seva.demo.benchmarks.submissions).

    DATABASE_URL=postgres://.../seva_bench python manage.py submission_benchmark

Needs PostgreSQL with the demo loaded (migrate, sync_definitions, seed_demo) and Redis for
the server's cache and broker. Deletes what it made and rebuilds the rollups at the end.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import redis
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from seva.definitions.models import Service
from seva.demo.benchmarks.submissions import (
    Run,
    bare_callers,
    bare_table_create,
    bench_rows_delete,
    callers_prepare,
    drive,
    production_server,
)

TARGETS = (
    "Targets (issue 20), at 8 clients: submissions at 50% or more of the bare endpoint's "
    "throughput; 1.8 times or more their own throughput at 1 client; at most 15 SQL "
    "statements each; p99 under 300 ms."
)


class Command(BaseCommand):
    help = "Submissions over HTTP under gunicorn with production settings, against a bare insert."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--services",
            default="disability-pension,public-grievance",
            help="Comma-separated service codes (default: the largest sample form and the "
            "grievance).",
        )
        parser.add_argument("--clients", default="1,2,4,8")
        parser.add_argument("--seconds", type=float, default=10.0, help="Per level.")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--redis-url",
            default=os.environ.get("SEVA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
            help="The server's cache and broker (a database the benchmark may flush).",
        )
        parser.add_argument(
            "--server-root",
            default="",
            help="Serve from another checkout (an older commit, with this one's "
            "settings/bench.py, bench_urls.py and benchmarks/submissions.py copied in).",
        )
        parser.add_argument(
            "--most-per-second",
            type=int,
            default=300,
            help="The most submissions a second expected: bounds the bodies prepared.",
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The submission benchmark measures PostgreSQL: set DATABASE_URL.")
        codes = [c.strip() for c in options["services"].split(",") if c.strip()]
        services = list(Service.objects.filter(code__in=codes, current_version__isnull=False))
        missing = set(codes) - {s.code for s in services}
        if missing:
            raise CommandError(
                f"No published service {', '.join(sorted(missing))}: run sync_definitions."
            )
        levels = [int(n) for n in options["clients"].split(",")]
        seconds = options["seconds"]
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url:
            raise CommandError("Set DATABASE_URL: the server uses the same database.")
        self._flush_redis(options["redis_url"])

        bare_table_create()
        prepared = {
            (service.code, clients): callers_prepare(
                service=service,
                clients=clients,
                per_client=int(options["most_per_second"] * seconds / clients) + 50,
            )
            for service in services
            for clients in levels
        }
        example = services[0].current_version.form_schema["examples"][0]
        body = json.dumps({"service": services[0].code, "data": example}).encode()
        self.stdout.write(
            f"gunicorn: {options['workers']} workers x {options['threads']} threads, "
            f"production settings, PostgreSQL database {connection.settings_dict['NAME']}; "
            f"{seconds:.0f} s per level."
        )
        runs: dict[tuple[str, int], Run] = {}
        try:
            with production_server(
                workers=options["workers"],
                threads=options["threads"],
                database_url=database_url,
                redis_url=options["redis_url"],
                root=Path(options["server_root"]) if options["server_root"] else None,
            ) as (port, pid):
                # Warm every worker and thread (caches, connections) before measuring.
                drive(
                    port=port,
                    pid=pid,
                    name="warm-up",
                    path="/bench/bare/",
                    callers=bare_callers(prepared[(services[0].code, max(levels))], body),
                    seconds=2,
                )
                for clients in levels:
                    runs[("bare", clients)] = drive(
                        port=port,
                        pid=pid,
                        name="bare insert",
                        path="/bench/bare/",
                        callers=bare_callers(prepared[(services[0].code, clients)], body),
                        seconds=seconds,
                    )
                    for service in services:
                        runs[(service.code, clients)] = drive(
                            port=port,
                            pid=pid,
                            name=service.code,
                            path="/api/v1/applications/",
                            callers=prepared[(service.code, clients)],
                            seconds=seconds,
                        )
        finally:
            counts = bench_rows_delete()
            call_command("reconcile_rollups", "--fix", stdout=io.StringIO())
            self._flush_redis(options["redis_url"])
            self.stdout.write(f"Deleted what the benchmark made: {counts}.")
        self._report(runs, levels, services)

    def _report(self, runs, levels, services) -> None:
        names = ["bare", *(s.code for s in services)]
        self.stdout.write("")
        self.stdout.write(
            f"{'endpoint':<20} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'SQL':>5} {'CPU ms':>7} {'failed':>7}"
        )
        for clients in levels:
            for name in names:
                run = runs[(name, clients)]
                self.stdout.write(
                    f"{name:<20} {clients:>7} {run.per_second:>8.1f} {run.percentile(50):>8.1f} "
                    f"{run.percentile(95):>8.1f} {run.percentile(99):>8.1f} {run.sql:>5.0f} "
                    f"{run.cpu_ms:>7.1f} {sum(run.failures.values()):>7}"
                )
                for reason, count in run.failures.items():
                    self.stdout.write(f"    {count} x {reason}")
        self.stdout.write("")
        top, bottom = max(levels), min(levels)
        for service in services:
            at_top, bare = runs[(service.code, top)], runs[("bare", top)]
            scaling = at_top.per_second / max(runs[(service.code, bottom)].per_second, 1e-9)
            self.stdout.write(
                f"{service.code}: at {top} clients {at_top.per_second / max(bare.per_second, 1e-9):.2f}x "
                f"the bare endpoint's throughput; {scaling:.2f}x its own at {bottom} client(s); "
                f"{at_top.sql:.0f} SQL statements; p99 {at_top.percentile(99):.0f} ms; "
                f"CPU {at_top.cpu_ms:.1f} ms against {bare.cpu_ms:.1f} ms."
            )
        self.stdout.write(TARGETS)

    def _flush_redis(self, url: str) -> None:
        """The server's queued SMS tasks and throttle counters (no worker runs here)."""
        redis.Redis.from_url(url).flushdb()
