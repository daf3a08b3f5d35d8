"""The documents benchmark runs end to end on a few files (so it does not rot): it makes
files at the tehsildar's decision, has them approved in bulk, times one certificate and
their issuing, finds every one issued once with its own number and its SMS, and leaves the
database and the storage as they were."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from seva.applications.models import Application, Document
from seva.documents.models import IssuedDocument
from seva.notifications.models import OutboxMessage


@pytest.mark.django_db
def test_the_documents_benchmark_times_a_certificate_and_a_bulk_approval_and_leaves_nothing(
    settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path  # the storage of this test alone, to see it left empty
    counts = (
        Application.objects.count(),
        IssuedDocument.objects.count(),
        OutboxMessage.objects.count(),
        Document.objects.count(),
    )
    out = io.StringIO()

    call_command("documents_benchmark", "--runs", "2", "--bulk", "3", stdout=out)

    printed = out.getvalue()
    assert "Made 3 income-certificate files at the tehsildar's decision" in printed, printed
    assert "3 certificates pending" in printed
    for language in ("en", "hi"):
        assert f"  {language}: median " in printed, printed
    assert "target: median under 300 ms per language" in printed
    assert "documents per second" in printed
    assert "issued 3 of 3, 3 distinct numbers, 3 'approved' SMS queued: ok" in printed
    assert "Rolled back" in printed
    assert (
        Application.objects.count(),
        IssuedDocument.objects.count(),
        OutboxMessage.objects.count(),
        Document.objects.count(),
    ) == counts
    assert [p for p in Path(tmp_path).rglob("*") if p.is_file()] == []  # uploads, PDFs


@pytest.mark.django_db
def test_the_documents_benchmark_refuses_a_count_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("documents_benchmark", "--runs", "0")
