"""What do a service's rules cost a submission? Takes the published service with the most
expressions (computed answers and cross-field rules), makes --submissions varied submissions
from its form's example (other dates of birth, categories, incomes, rows), and times, for
each, everything the expressions do on submission: the computed answers computed, then the
rules checked. Prints the median and the 95th percentile, and the one-off cost of compiling
the expressions (kept for the process's life after that).

    python manage.py expressions_benchmark
"""

from __future__ import annotations

import copy
import random
import statistics
import time

from django.core.management.base import BaseCommand, CommandError

from seva.definitions.models import Service
from seva.definitions.selectors import form_schema_for
from seva.expressions.language import compiled_clear
from seva.formschemas.rules import COMPUTE, RULES, form_variables, rule_errors, with_computed

TARGET_MS = 5.0


def _expressions(schema: dict) -> int:
    count = len(schema.get(RULES) or [])

    def walk(node) -> int:
        if isinstance(node, dict):
            return (COMPUTE in node) + sum(walk(v) for v in node.values())
        if isinstance(node, list):
            return sum(walk(v) for v in node)
        return 0

    return count + walk(schema.get("properties"))


def _varied(example: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(example)

    def vary(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, bool):
                    continue
                if isinstance(value, int):
                    node[key] = max(0, int(value * rng.uniform(0.2, 3.0)))
                elif key == "date_of_birth" or key.endswith("_date"):
                    node[key] = (
                        f"{rng.randint(1930, 2015)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
                    )
                else:
                    vary(value)
        elif isinstance(node, list):
            rows = [vary(row) or row for row in node]
            node[:] = rows[: rng.randint(1, len(rows))] if rows else rows

    vary(data)
    return data


class Command(BaseCommand):
    help = "Time a service's expressions per submission (computed answers and rules)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--submissions", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=18)

    def handle(self, *args, submissions: int, seed: int, **options) -> None:
        if submissions < 1:
            raise CommandError("--submissions: give a number of at least 1.")
        versions = [
            s.current_version
            for s in Service.objects.select_related("current_version")
            if s.current_version is not None
        ]
        if not versions:
            raise CommandError("No published service: run sync_definitions first.")
        version = max(versions, key=lambda v: _expressions(v.form_schema))
        schema = form_schema_for(version)  # as submission reads it
        count = _expressions(schema)
        if not count:
            raise CommandError("No published service has expressions.")
        rng = random.Random(seed)
        example = schema["examples"][0]
        cases = [_varied(example, rng) for _ in range(submissions)]

        compiled_clear()
        started = time.perf_counter()
        rule_errors(schema, with_computed(schema, cases[0]))
        first_ms = (time.perf_counter() - started) * 1000

        timings, refused = [], 0
        for data in cases:
            started = time.perf_counter()
            computed = with_computed(schema, data)
            refused += bool(rule_errors(schema, computed))
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        median = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1] if len(timings) > 1 else timings[0]
        self.stdout.write(
            f"{version.service.code} v{version.number}: {count} expressions over "
            f"{len(form_variables(schema))} fields"
        )
        self.stdout.write(
            f"{submissions} submissions ({refused} refused by a rule): median {median:.3f} ms, "
            f"p95 {p95:.3f} ms per submission; first one, compiling: {first_ms:.2f} ms"
        )
        verdict = "meets" if median < TARGET_MS else "MISSES"
        self.stdout.write(f"target: median under {TARGET_MS:g} ms per submission: {verdict}")
