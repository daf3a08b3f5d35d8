"""Previews of what a draft's service issues, drawn by the app that draws the real thing.

The builder (this floor) shows a department admin the PDF of each document a draft issues,
filled with the form's example; drawing a PDF is the documents app's work, a floor above.
That app registers its renderer here ("pdf") when it is ready, so the builder calls it by
name without importing it (ADR 0016)."""

from __future__ import annotations

from typing import Any, Protocol

from seva.core.registry import Registry
from seva.workflows.engine import Workflow

from .spec import IssueSpec, ServiceSpec


class DocumentPreview(Protocol):
    """The bytes of one document of a service, in one language, filled with sample values
    (the form's first example, the officers' example inputs, sample facts) and marked as a
    preview: no number from a series, no signature, no QR code a scanner could trust."""

    def __call__(
        self,
        *,
        service: ServiceSpec,
        issue: IssueSpec,
        form_schema: dict[str, Any],
        workflow: Workflow,
        language: str,
    ) -> bytes: ...


DOCUMENT_PREVIEW: Registry[DocumentPreview] = Registry("document preview")
PDF = "pdf"  # the renderer the builder's "Preview" links use
