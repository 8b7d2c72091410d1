"""Each SQL mutation of the written list (sql_mutations.py) makes some model test fail.

For each entry: copy the `models` package to a temporary folder, apply the entry there, and run
the model tests (tests/models, not slow) in a child process that imports the copy; they rebuild
their scenario databases through it, and at least one must fail. Run by `make mutate`, not by
`make test` (about half an hour on two cores).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sql_mutations import MUTATIONS, SqlMutation, apply

pytestmark = pytest.mark.sql_mutation

ROOT = Path(__file__).resolve().parents[2]
PYTEST = Path(sys.executable).with_name("pytest")


def _models_copy(tmp_path: Path) -> Path:
    """A copy of the models package; its parent goes first on the child's PYTHONPATH."""
    shutil.copytree(ROOT / "models", tmp_path / "models", ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    return tmp_path


def _model_tests(models_parent: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    # `pytest` the script, not `python -m pytest`: -m would put the checkout (and its own
    # models package) ahead of PYTHONPATH.
    env = {**os.environ, "PYTHONPATH": str(models_parent), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [str(PYTEST), "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow and not sql_mutation",
         "tests/models"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_the_child_imports_the_copy_and_passes_on_it_unmutated(tmp_path):
    parent = _models_copy(tmp_path)
    probe = subprocess.run(
        [sys.executable, "-c", "import models; print(models.__file__)"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(parent)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(probe.stdout.strip()).parent == parent / "models"
    result = _model_tests(parent)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_some_model_test_fails_on_the_mutation(mutation: SqlMutation, tmp_path):
    parent = _models_copy(tmp_path)
    apply(mutation, parent / "models")  # an entry whose text moved fails here, named
    result = _model_tests(parent)
    assert result.returncode == 1, (
        f"SURVIVED: {mutation.name} ({mutation.kind}) in {mutation.file}; rule {mutation.rule}\n"
        + result.stdout[-2000:]
    )
