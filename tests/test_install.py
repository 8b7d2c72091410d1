"""The wheel is the product: built, installed into a new venv outside the checkout, and run from
an empty folder with an empty HOME, it runs the whole demo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]


def _uv() -> str:
    found = shutil.which("uv") or REPO / ".venv-uv" / "bin" / "uv"
    if not Path(found).exists():
        pytest.fail("uv is not installed: run `make setup` (it installs uv into .venv-uv)")
    return str(found)


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
    return result


def test_the_installed_wheel_runs_the_demo_from_anywhere(tmp_path):
    uv = _uv()
    dist, venv, work, home = (tmp_path / n for n in ("dist", "venv", "work", "home"))
    _run(uv, "build", "--wheel", "--out-dir", dist, cwd=REPO)
    [wheel] = dist.glob("dora_pipeline-*.whl")
    # the locked versions, not whatever the index has today
    requirements = tmp_path / "requirements.txt"
    _run(uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
         "--output-file", requirements, cwd=REPO)  # fmt: skip
    _run(uv, "venv", "--python", sys.executable, venv)
    _run(uv, "pip", "install", "--python", venv / "bin" / "python", "-r", requirements, wheel)

    work.mkdir()
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "DORA_", "VIRTUAL_ENV", "GITHUB_", "GH_"))
        and k != "PYTHONPATH"
    }
    env.update(HOME=str(home), PREFECT_API_URL="")
    dora = venv / "bin" / "dora"
    assert _run(dora, "--version", cwd=work, env=env).stdout.startswith("dora ")
    data = tmp_path / "demo-data"
    result = _run(dora, "demo", "--no-serve", "--days", "14", "--data-dir", data, cwd=work, env=env)
    assert "ready in" in result.stdout
    # the installed code ran, not the checkout's
    probe = _run(venv / "bin" / "python", "-c", "import models, sys; print(models.__file__)",
                 cwd=work, env=env)  # fmt: skip
    assert str(venv) in probe.stdout and str(REPO) not in probe.stdout
    with duckdb.connect(str(data / "dora.published.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from deployments").fetchone()[0] > 0
    assert list(work.iterdir()) == []
