"""A service version as the three definition files it was (or could have been) made from:
the service file, its form and its workflow, laid out as under the definitions root, so
that `sync_definitions` reads them back into the same version. Also a readable comparison
of two versions, file by file."""

from __future__ import annotations

import difflib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Protocol

import yaml
from django.conf import settings


class Documents(Protocol):
    """A service's three documents: a version's, or a draft's on its way to being one."""

    @property
    def service_doc(self) -> dict: ...
    @property
    def form_schema(self) -> dict: ...
    @property
    def workflow_doc(self) -> dict: ...


def version_files(version: Documents) -> dict[str, str]:
    """{path under the definitions root: text} for the version's three files. A draft's
    documents may be half-written, so they are read as they are, not as a compiled spec."""
    doc = version.service_doc
    return {
        f"{settings.SEVA_SERVICE_DIR}/{doc['department']}/{doc['code']}.yaml": _yaml(doc),
        f"{settings.SEVA_FORM_DIR}/{doc['form']}": json.dumps(
            version.form_schema, indent=2, ensure_ascii=False
        )
        + "\n",
        f"{settings.SEVA_WORKFLOW_DIR}/{doc['workflow']}.yaml": _yaml(version.workflow_doc),
    }


def _yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def version_zip(version: Documents) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in version_files(version).items():
            archive.writestr(name, text)
    return out.getvalue()


@dataclass(frozen=True)
class FileChange:
    name: str
    lines: list[tuple[str, str]]  # (kind: "add", "remove", "context" or "hunk", text)

    @property
    def changed(self) -> bool:
        return any(kind in ("add", "remove") for kind, _text in self.lines)


def versions_compare(old: Documents, new: Documents) -> list[FileChange]:
    """Each file of `new` against the same file of `old` (the form and workflow paths of
    `new`; a file that moved is compared with the one it replaced)."""
    before, after = list(version_files(old).values()), version_files(new)
    changes = []
    for (name, text), earlier in zip(after.items(), before, strict=True):
        lines = []
        for line in difflib.unified_diff(earlier.splitlines(), text.splitlines(), lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "context")
            lines.append((kind, line))
        changes.append(FileChange(name=name, lines=lines))
    return changes
