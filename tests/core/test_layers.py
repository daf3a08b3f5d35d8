"""The floors (docs/architecture.md, ADR 0016) are kept: import-linter's contract in
pyproject.toml passes on the code, and fails on an app that imports one above it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(package_parent: Path) -> subprocess.CompletedProcess:
    """Run the contract on the `seva` package found in `package_parent`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_code_keeps_to_its_floors():
    answer = _lint_imports(ROOT / "platform")
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "1 kept, 0 broken" in answer.stdout


def test_an_app_importing_one_above_it_breaks_the_contract(tmp_path):
    shutil.copytree(
        ROOT / "platform" / "seva",
        tmp_path / "seva",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates"),
    )
    (tmp_path / "seva" / "org" / "upward.py").write_text(
        "from seva.applications.models import Application  # the kernel reaching up\n"
    )
    answer = _lint_imports(tmp_path)
    assert answer.returncode != 0
    assert "seva.org is not allowed to import seva.applications" in answer.stdout
    assert "seva.org.upward -> seva.applications.models" in answer.stdout


def test_a_new_app_not_placed_on_a_floor_breaks_the_contract(tmp_path):
    shutil.copytree(
        ROOT / "platform" / "seva",
        tmp_path / "seva",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates"),
    )
    (tmp_path / "seva" / "unplaced").mkdir()
    (tmp_path / "seva" / "unplaced" / "__init__.py").write_text("")
    answer = _lint_imports(tmp_path)
    assert answer.returncode != 0
    assert "seva.unplaced" in answer.stdout + answer.stderr
