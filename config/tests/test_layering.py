"""The layering holds (pyproject.toml's import-linter contracts; docs/architecture.md): common <- accounts <- bots <-
documents | analytics <- config, at module level and inside functions alike; bots' domain imports neither app
above it. A violation fails this test, and so the suite; the second test shows that it would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("common", "accounts", "bots", "documents", "analytics", "config")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """import-linter's command over the packages found in ``cwd``, with pyproject.toml's contracts."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
        ],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.fixture
def copy_of_the_code(tmp_path) -> Path:
    """The packages' Python files and the contracts, elsewhere: the probe below must not touch the real tree."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # accounts reaching up to bots, inside a function as the old user deletion did.
        (
            "accounts/probe.py",
            "def f():\n    from bots.services import bot_delete\n",
            "accounts is not allowed to import bots",
        ),
        # bots' services reaching documents, as bot_create once did to store files.
        ("bots/probe.py", "import documents.services\n", "bots is not allowed to import documents"),
        (
            "analytics/probe.py",
            "from documents.models import Document\n",
            "analytics is not allowed to import documents",
        ),
        ("common/probe.py", "from accounts.models import User\n", "common is not allowed to import accounts"),
    ],
)
def test_an_upward_import_breaks_the_contracts(copy_of_the_code, module, line, broken):
    (copy_of_the_code / module).write_text(line)

    result = lint_imports(copy_of_the_code)

    assert result.returncode == 1, result.stdout
    assert broken in result.stdout
