"""What tests need from outside Python's own code, and one way to say it is missing.

Locally a missing prerequisite skips the tests that need it; under CI (`CI=true`) the same skip
fails the run, naming what is missing (`tests/conftest.py` turns every skip into a failure there),
so a CI machine without chromium or the fixture data cannot pass by running less.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")
PREFIX = "missing prerequisite: "


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def missing(what: str) -> NoReturn:
    """Skip (locally) or fail (CI) the current test or module because `what` is not there."""
    if in_ci():
        pytest.fail(PREFIX + what, pytrace=False)
    pytest.skip(PREFIX + what, allow_module_level=True)


def fixture_path(relative: str) -> Path:
    """A file or folder under tests/fixtures/ (missing: skip locally, fail in CI)."""
    path = FIXTURES / relative
    if not path.exists():
        missing(f"fixture data {path.relative_to(ROOT)} (see tests/fixtures/README.md)")
    return path


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        missing(f"Debian chromium ({CHROMIUM}; apt-get install chromium)")
    return CHROMIUM


def require_module(name: str) -> None:
    if importlib.util.find_spec(name) is None:
        missing(f"Python package {name} (make setup)")
