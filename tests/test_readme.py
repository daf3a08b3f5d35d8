"""The README's shell sessions work as written. Each fenced block the README marks with
`<!-- readme-session: ... -->` is run, command by command, by bash against a live server (the
development server on the test database and its committed demo state, as `make run` serves
it), from a folder laid out like the repository (its `docs/examples/` files, and the demo
partner's key in `var/demo-partner-key.txt`). Every command must succeed, and each answer the
README shows after `# ->` must match what the server printed: the same keys, the same
values, where a number may differ (a reference's serial, an id) but not a letter."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from seva.api.models import ApiToken, IdempotencyRecord, Partner, PartnerApplication, PartnerKey
from seva.api.services import partner_key_issue, partner_key_revoke
from seva.applications.models import Application, Document
from seva.demo.api import DEMO_PARTNER
from tests.threads import cleanup, committed, needs_postgres

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MARKER = re.compile(r"<!-- readme-session:[^>]*-->\s*\n```sh\n(.*?)```", re.DOTALL)
ANSWER = re.compile(r"^#\s*->\s*(.*)$")
MORE_OF_THE_ANSWER = re.compile(r"^#\s{2,}(\S.*)$")
PAIR = re.compile(r'"([A-Za-z_]+)":\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')


@dataclass
class Step:
    command: str
    expected: str = ""  # what the README shows after `# ->`
    output: str = ""
    returncode: int | None = None
    errors: str = ""
    lines: list[str] = field(default_factory=list)


def sessions() -> list[str]:
    return MARKER.findall(README.read_text())


def steps_of(session: str) -> list[Step]:
    """Commands (a line and its backslash continuations), each with the answer shown after it."""
    steps: list[Step] = []
    pending: list[str] = []
    for line in session.splitlines():
        stripped = line.strip()
        if pending:
            pending.append(line)
            if not line.endswith("\\"):
                steps.append(Step(command="\n".join(pending)))
                pending = []
            continue
        answer = ANSWER.match(stripped)
        more = MORE_OF_THE_ANSWER.match(stripped)
        if answer and steps:
            steps[-1].expected = answer.group(1)
        elif more and steps and steps[-1].expected:
            steps[-1].expected += " " + more.group(1)
        elif stripped and not stripped.startswith("#"):
            if line.endswith("\\"):
                pending = [line]
            else:
                steps.append(Step(command=line))
    assert not pending, f"a command ends with a backslash: {pending}"
    return steps


def _shape(value: str) -> str:
    """A value the README shows, as a pattern: digits stand for any digits."""
    return "".join(
        r"\d+" if part.isdigit() else re.escape(part) for part in re.split(r"(\d+)", value)
    )


def _values_by_key(data, found: dict[str, list[str]]) -> dict[str, list[str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            found.setdefault(key, []).append(json.dumps(value))
            _values_by_key(value, found)
    elif isinstance(data, list):
        for item in data:
            _values_by_key(item, found)
    return found


def check_answer(step: Step) -> None:
    expected = step.expected.split("#")[0].strip()
    status = re.match(r"^(\d{3})\b\s*(.*)$", expected)
    if status and not status.group(2):  # the command prints a status code and nothing else
        assert step.output.strip() == status.group(1), step
        return
    if status:
        expected = status.group(2)
    try:
        actual = _values_by_key(json.loads(step.output), {})
    except json.JSONDecodeError:
        pytest.fail(f"{step.command}\nprinted no JSON: {step.output[:2000]!r} {step.errors}")
    pairs = PAIR.findall(expected)
    assert pairs, f"the README shows no answer to compare: {expected}"
    for key, shown in pairs:
        assert key in actual, f"{step.command}\nno {key!r} in {step.output[:2000]}"
        if shown == '"..."':
            continue
        pattern = _shape(shown)
        if shown.endswith('..."'):  # "doc_5e0c...": its "doc_", then any letters and digits
            fixed = re.match(r"^(.*[^A-Za-z0-9])?", shown[1:-4]).group(1) or ""
            pattern = rf'"{re.escape(fixed)}[^"]*"'
        assert any(re.fullmatch(pattern, value) for value in actual[key]), (
            f"{step.command}\n{key}: the README shows {shown}, the server said {actual[key]}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevServer:
    """`manage.py runserver` on the test database, as `make run` serves the demo."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        db = connection.settings_dict
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.test",
            "DATABASE_URL": url,
        }
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "runserver",
                    "--noreload",
                    "--skip-checks",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):
                    return
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"the server did not start:\n{self.log.read_text()[-3000:]}")
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def run_session(session: str, *, port: int, folder: Path) -> list[Step]:
    """Run the session's commands in one bash, in order (variables carry from one to the
    next), each one's output kept apart; the first that fails stops the rest."""
    steps = steps_of(session.replace("localhost:8000", f"127.0.0.1:{port}"))
    outputs = folder / ".outputs"
    outputs.mkdir(exist_ok=True)
    script = ["set -o pipefail"]
    for number, step in enumerate(steps):
        out = outputs / str(number)
        script.append(
            f"{{\n{step.command}\n}} > {out}.out 2> {out}.err; status=$?; echo $status > {out}.rc; "
            f'[ "$status" = 0 ] || exit "$status"'
        )
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=folder, timeout=300, check=False)
    for number, step in enumerate(steps):
        out = outputs / str(number)
        if (out.parent / f"{number}.rc").exists():
            step.returncode = int((out.parent / f"{number}.rc").read_text())
            step.output = (out.parent / f"{number}.out").read_text()
            step.errors = (out.parent / f"{number}.err").read_text()
    return steps


def test_the_readme_marks_its_api_sessions():
    found = sessions()
    assert len(found) == 2
    assert "api/v1/documents/" in found[0] and "api/v1/partner/applications/" in found[1]
    assert all(any(step.expected for step in steps_of(s)) for s in found)


@needs_postgres
@pytest.mark.django_db
def test_the_readmes_api_sessions_work_against_a_live_server(tmp_path):
    if shutil.which("curl") is None:
        pytest.fail("the README's sessions need curl")
    folder = tmp_path / "checkout"
    (folder / "docs").mkdir(parents=True)
    shutil.copytree(REPO / "docs" / "examples", folder / "docs" / "examples")

    def issue_demo_key() -> str:
        return partner_key_issue(partner=Partner.objects.get(code=DEMO_PARTNER), label="readme")

    key = committed(issue_demo_key)
    (folder / "var").mkdir()
    (folder / "var" / "demo-partner-key.txt").write_text(key + "\n")

    def existing() -> dict[str, set[int]]:
        return {
            model.__name__: set(model.objects.values_list("pk", flat=True))
            for model in (Application, Document, ApiToken, IdempotencyRecord)
        }

    before = committed(existing)
    server = DevServer(tmp_path / "server.log")
    try:
        results = [run_session(s, port=server.port, folder=folder) for s in sessions()]
    finally:
        server.stop()

        def tidy() -> None:
            """What the sessions made, and the key made for them, are gone again."""
            made = Application.objects.exclude(pk__in=before["Application"])
            PartnerApplication.objects.filter(application__in=made).delete()
            cleanup(list(made.values_list("reference", flat=True)))
            Document.objects.exclude(pk__in=before["Document"]).filter(application=None).delete()
            ApiToken.objects.exclude(pk__in=before["ApiToken"]).delete()
            IdempotencyRecord.objects.exclude(pk__in=before["IdempotencyRecord"]).delete()
            for made_key in PartnerKey.objects.filter(label="readme", revoked_at=None):
                partner_key_revoke(key=made_key)

        committed(tidy)
    for steps in results:
        for step in steps:
            assert step.returncode == 0, (
                f"{step.command}\nexited {step.returncode}: {step.output[-2000:]} "
                f"{step.errors[-2000:]}\n{server.log.read_text()[-2000:]}"
            )
            if step.expected:
                check_answer(step)
