"""How fast are documents issued? Makes income-certificate files with the services (the
demo citizen's, in Ambala tehsil) up to the tehsildar's decision, and has the tehsildar
approve them with the bulk action. Then times (a) one certificate filled, rendered and
signed, English and Hindi apart (--runs each: the first, cold, run, the median and the
95th percentile), and (b) the issuing of the --bulk approved certificates by
`document_issue`, one after the other in this one process (no worker): the total, the
median per document, and documents per second; and checks every one was issued once, with
a number of its own and its SMS. Needs the synced definitions and seed_demo's people.
Everything happens in one transaction that is rolled back at the end (so no worker is
asked to issue them), and the files stored on the way are deleted.

    python manage.py documents_benchmark --runs 30 --bulk 200
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max

from seva.applications.models import Application
from seva.demo.benchmarks.documents import (
    MissingDemo,
    approve_in_bulk,
    certificate_renderer,
    files_at_decision,
    issue_all,
    pending_certificates,
    storage_delete,
    stored_since,
    timed,
)

TARGET_MS = 300.0
# fontTools logs every font it subsets at INFO, hundreds of lines per document: at the
# settings' default LOG_LEVEL that buries the figures and doubles them. Quiet while measuring.
CHATTY_LOGGERS = ("fontTools",)


class Command(BaseCommand):
    help = "Time signing one certificate and issuing a bulk approval's (rolled back)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--runs", type=int, default=30, help="Renderings of the certificate per language."
        )
        parser.add_argument(
            "--bulk", type=int, default=200, help="Files the tehsildar approves at once."
        )

    def handle(self, *args, runs: int, bulk: int, **options) -> None:
        if runs < 1 or bulk < 1:
            raise CommandError("--runs and --bulk: give a number of at least 1.")
        last_application = Application.objects.aggregate(last=Max("pk"))["last"] or 0
        stored: list[str] = []
        levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            with transaction.atomic():
                try:
                    self._measure(runs=runs, bulk=bulk)
                finally:
                    try:
                        stored = stored_since(last_application)
                    except DatabaseError:  # the transaction broke: what it stored stays
                        stored = []
                    transaction.set_rollback(True)
        except MissingDemo as exc:
            raise CommandError(str(exc)) from exc
        finally:
            storage_delete(stored)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
        self.stdout.write(
            f"Rolled back: the database is as it was; the {len(stored)} files stored "
            "(uploads and PDFs) are deleted."
        )

    def _measure(self, *, runs: int, bulk: int) -> None:
        self.stdout.write(
            f"Database: {connection.vendor}; one process, no worker; fontTools' INFO log off."
        )
        started = time.perf_counter()
        references = files_at_decision(bulk)
        self.stdout.write(
            f"Made {bulk} income-certificate files at the tehsildar's decision "
            f"(submitted, checked, verified) in {time.perf_counter() - started:.1f} s."
        )
        started = time.perf_counter()
        refused = approve_in_bulk(references)
        if refused:
            raise CommandError(f"The bulk approval refused {len(refused)}: {refused[:3]}")
        documents = pending_certificates(references)
        self.stdout.write(
            f"The tehsildar approved them with the bulk action in "
            f"{time.perf_counter() - started:.1f} s: {len(documents)} certificates pending."
        )
        if len(documents) != bulk:
            raise CommandError(f"Expected {bulk} pending certificates, found {len(documents)}.")

        # (a) One certificate, the first approved, filled, rendered and signed.
        render_and_sign = certificate_renderer(documents[0])
        self.stdout.write(
            f"\n(a) One income certificate ({documents[0].application.reference}), filled, "
            f"rendered and signed; {runs} runs per language, the first one cold:"
        )
        verdicts = []
        for language in ("en", "hi"):
            timings = timed(lambda language=language: render_and_sign(language), runs=runs)
            self.stdout.write(
                f"  {language}: median {timings.median:.1f} ms, p95 {timings.p95:.1f} ms, "
                f"first {timings.first:.1f} ms"
            )
            verdicts.append(timings.median < TARGET_MS)
        verdict = "meets" if all(verdicts) else "MISSES"
        self.stdout.write(f"  target: median under {TARGET_MS:g} ms per language: {verdict}")

        # (b) The bulk approval's certificates, issued one after the other.
        issued = issue_all(documents)
        self.stdout.write(
            f"\n(b) {bulk} certificates of one bulk approval issued by document_issue, one "
            f"after the other in this process (each: number, English and Hindi filled, "
            f"rendered and signed, stored, SMS queued):"
        )
        self.stdout.write(
            f"  total {issued.seconds:.1f} s, median {issued.timings.median:.1f} ms per "
            f"document (p95 {issued.timings.p95:.1f} ms), "
            f"{bulk / issued.seconds:.1f} documents per second"
        )
        checks = (issued.issued, issued.numbers, issued.sms)
        self.stdout.write(
            f"  issued {issued.issued} of {bulk}, {issued.numbers} distinct numbers, "
            f"{issued.sms} 'approved' SMS queued: {'ok' if checks == (bulk,) * 3 else 'WRONG'}"
        )
        if checks != (bulk,) * 3:
            raise CommandError(
                f"Expected {bulk} issued documents with distinct numbers and {bulk} SMS; "
                f"found {checks}."
            )
