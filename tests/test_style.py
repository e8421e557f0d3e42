"""Style is checked where the tests run: ``ruff check`` (lint) and ``ruff format --check`` over the
repository, with the settings in pyproject.toml ([tool.ruff]). A failure prints ruff's own report;
``ruff check --fix .`` and ``ruff format .`` fix most of it."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def ruff(*args: str) -> subprocess.CompletedProcess:
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is not installed: python -m pip install -r requirements.txt")
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_check_is_clean():
    result = ruff("check", "--no-cache", ".")
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_ruff_format_leaves_every_file_as_it_is():
    result = ruff("format", "--no-cache", "--check", "--diff", ".")
    assert result.returncode == 0, (
        f"ruff format would change files (run `ruff format .`):\n{result.stdout[-20000:]}{result.stderr}"
    )
