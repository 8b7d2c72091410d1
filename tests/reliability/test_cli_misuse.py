"""CLI misuse: wrong arguments, missing or corrupt databases, bad config, unwritable output.

Each gives one clear line on stderr (no traceback), a non-zero exit, and nothing half-written.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.reliability.harness import TOKEN, PipelineRun, base_env, run_dora

COMMANDS = ["config", "ingest", "report", "simulator", "dashboard", "serve", "build", "export", "demo"]  # fmt: skip
BAD_CONFIGS = {
    "not toml": "repos = [",
    "wrong type": "repos = 5",
    "unknown key": "[github]\ntoken = 'x'",
    "bad regex": "[metrics]\nrollback_pattern = '(('",
}


def one_clear_line(result, code: int | None = None) -> str:
    """The error line; fails unless the run exited non-zero with exactly one line on stderr."""
    assert result.returncode != 0, result
    if code is not None:
        assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    escaped = getattr(result, "exception", None)
    assert escaped is None or isinstance(escaped, SystemExit), repr(escaped)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture
def dora(tmp_path, monkeypatch):
    """`dora ARGS` in-process (Typer's runner; stderr kept apart) in an empty folder: for the
    misuses that are caught before any flow runs. The subprocess tests below cover the real entry."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, **env: str):
        env = {"GITHUB_TOKEN": None, "DORA_CONFIG": None, **env}
        result = runner.invoke(app, list(args), env=env)
        return SimpleNamespace(
            returncode=result.exit_code,
            stdout=result.stdout,
            stderr=result.stderr,
            exception=result.exception,
        )

    return run


def _subprocess(tmp_path: Path, *args: str, prefect=None, **env: str):
    return run_dora(*args, cwd=tmp_path, env=base_env(prefect, tmp_path / "prefect", **env))


def test_help_lists_every_command(tmp_path):
    result = _subprocess(tmp_path, "--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_the_real_entry_point_prints_one_line_for_a_bad_value(tmp_path):
    one_clear_line(_subprocess(tmp_path, "build", "--as-of", "yesterday"), code=2)
    config = tmp_path / "bad.toml"
    config.write_text("repos = 5")
    assert str(config) in one_clear_line(_subprocess(tmp_path, "config", "--config", str(config)))


def corrupt(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(64 * 1024))
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_is_a_usage_error_without_traceback(dora, command):
    result = dora(command, "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--no-such-option" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--as-of", "yesterday"],
        ["report", "--week", "last week"],
        ["export", "--out", "x", "--format", "xls"],
        ["simulator", "--scale", "huge"],
        ["simulator", "--faults", "5xx=lots"],
        ["simulator", "--end", "soon"],
        ["ingest", "--repo", "not a repo"],
        ["ingest", "--repo", "acme/web", "--since", "last year"],
    ],
    ids=lambda args: " ".join(args),
)
def test_a_bad_value_is_one_line_and_exit_2(dora, args):
    line = one_clear_line(dora(*args, GITHUB_TOKEN=TOKEN), code=2)
    assert args[-1] in line or args[1] in line


def test_ingest_without_a_token_says_where_the_token_comes_from(dora):
    assert "GITHUB_TOKEN" in one_clear_line(dora("ingest", "--repo", "acme/web"), code=2)


@pytest.mark.parametrize(
    ("command", "problem"),
    [("config", problem) for problem in sorted(BAD_CONFIGS)]
    + [(command, "wrong type") for command in ("ingest", "report", "serve", "build")],
)
def test_a_bad_config_is_one_line_naming_the_file(dora, tmp_path, command, problem):
    config = tmp_path / "bad.toml"
    config.write_text(BAD_CONFIGS[problem])
    line = one_clear_line(dora(command, "--config", str(config), GITHUB_TOKEN=TOKEN), code=2)
    assert str(config) in line


def test_a_missing_config_named_by_dora_config_is_one_line(dora, tmp_path):
    line = one_clear_line(dora("config", DORA_CONFIG=str(tmp_path / "nope.toml")), code=2)
    assert "nope.toml" in line


@pytest.mark.parametrize("command", ["build", "report", "export"])
def test_a_missing_database_is_one_line_and_writes_nothing(dora, tmp_path, command):
    db = tmp_path / "data" / "dora.duckdb"
    out = tmp_path / "out"
    args = [command, "--db", str(db)] + (["--out", str(out)] if command == "export" else [])
    line = one_clear_line(dora(*args))
    assert "dora " in line  # it names the command to run first
    assert not out.exists() and not db.exists() and not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", ["report", "export"])
def test_a_corrupt_snapshot_is_one_line(dora, tmp_path, command):
    db = tmp_path / "dora.duckdb"
    corrupt(tmp_path / "dora.published.duckdb")
    out = tmp_path / "out"
    args = [command, "--db", str(db)] + (["--out", str(out)] if command == "export" else [])
    one_clear_line(dora(*args))
    assert not out.exists() or not any(out.iterdir())
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_build_of_a_corrupt_database_is_one_line_and_keeps_the_snapshot(
    tmp_path, pipeline: PipelineRun
):
    db = corrupt(tmp_path / "dora.duckdb")
    snapshot = shutil.copy(pipeline.snapshot, tmp_path / "dora.published.duckdb")
    before = Path(snapshot).read_bytes()
    env = base_env(pipeline.prefect, tmp_path / "prefect")
    one_clear_line(run_dora("build", "--db", str(db), cwd=tmp_path, env=env))
    assert Path(snapshot).read_bytes() == before
    leftovers = {p.name for p in tmp_path.iterdir()} - {"dora.duckdb", "dora.published.duckdb"}
    assert leftovers <= {"prefect"}, leftovers  # no staging file of a half-made snapshot


def test_ingest_into_a_corrupt_database_is_one_line_and_leaves_it(tmp_path, pipeline, simulator):
    db = corrupt(tmp_path / "dora.duckdb")
    before = db.read_bytes()
    env = base_env(pipeline.prefect, tmp_path / "prefect", GITHUB_TOKEN=TOKEN)
    result = run_dora(
        "ingest", "--repo", "acme/*", "--base-url", simulator.base_url, "--db", str(db),
        cwd=tmp_path, env=env,
    )  # fmt: skip
    one_clear_line(result)
    assert db.read_bytes() == before


@pytest.mark.parametrize("where", ["under a file", "is a file"])
def test_export_to_an_unwritable_folder_is_one_line(dora, tmp_path, pipeline: PipelineRun, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    out = blocker / "out" if where == "under a file" else blocker
    line = one_clear_line(dora("export", "--db", str(pipeline.db), "--out", str(out)))
    assert str(blocker) in line
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_an_export_that_fails_half_way_leaves_no_file_behind(dora, tmp_path, pipeline, file_format):
    # A folder where one table's file must go: the tables before it were already written.
    out = tmp_path / "out"
    (out / f"deployments.{file_format}").mkdir(parents=True)
    (out / "notes.txt").write_text("mine")
    one_clear_line(
        dora("export", "--db", str(pipeline.db), "--out", str(out), "--format", file_format)
    )
    assert sorted(p.name for p in out.iterdir()) == [f"deployments.{file_format}", "notes.txt"]
