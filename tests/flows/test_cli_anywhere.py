"""`dora` as a tool: from any folder with an empty HOME, in-process without a Prefect server, as
flow runs on one when PREFECT_API_URL names it, and never leaving a process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.prefect_server import free_port, wait_for
from tests.reliability.table_diff import compare_databases

DORA = Path(sys.executable).with_name("dora")
TOKEN = "ghp_anywhereTOKEN0123456789"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    org = generate_organisation(scale="tiny", days=14, end=date(2026, 11, 20))
    with SimulatorServer(org) as server:
        yield server


def fresh_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's shell: an empty HOME, no Prefect or dora settings, no token unless given."""
    home.mkdir(parents=True, exist_ok=True)
    drop = ("GITHUB_TOKEN", "GH_TOKEN", "DORA_CONFIG", "PREFECT_HOME", "XDG_DATA_HOME", "DORA_HOME")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PREFECT_")}
    env.update({"HOME": str(home), "PREFECT_API_URL": "", "NO_COLOR": "1", "COLUMNS": "200"})
    env.update(extra)
    return env


def dora(*args: str, cwd: Path, env: dict[str, str], timeout: float = 300):
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(DORA), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def ingest_build_export_report(
    work: Path, db: Path, exports: Path, simulator: SimulatorServer, env: dict[str, str]
) -> None:
    """The four commands a scheduled job runs, each of which must exit 0."""
    for args in (
        ("ingest", "--repo", "acme/*", "--base-url", simulator.base_url, "--db", str(db)),
        ("build", "--db", str(db)),
        ("export", "--db", str(db), "--out", str(exports), "--format", "csv"),
        ("report", "--db", str(db)),
    ):
        result = dora(*args, cwd=work, env=env)
        assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_every_command_runs_from_a_fresh_folder_and_writes_only_where_told(tmp_path, simulator):
    home, work = tmp_path / "home", tmp_path / "work"
    db = tmp_path / "store" / "nested" / "h.duckdb"  # parent folders that do not exist yet
    exports = tmp_path / "exports"
    env = fresh_env(home, GITHUB_TOKEN=TOKEN)

    ingest_build_export_report(work, db, exports, simulator, env)

    written = files_under(tmp_path)
    expected_places = (db.parent, exports)
    stray = sorted(str(p) for p in written if not any(p.is_relative_to(d) for d in expected_places))
    assert stray == []  # nothing in the working folder, nothing in HOME (no Prefect was needed)
    assert {p.name for p in files_under(db.parent) if p.suffix == ".duckdb"} == {
        "h.duckdb",
        "h.published.duckdb",
    }
    assert len(list((db.parent / "reports").glob("*.html"))) == 1
    assert (exports / "deployments.csv").exists()


def test_a_prefect_home_is_made_in_the_users_data_folder_when_a_server_is_named(
    tmp_path, simulator, prefect_api
):
    home, work = tmp_path / "home", tmp_path / "work"
    env = fresh_env(home, GITHUB_TOKEN=TOKEN, PREFECT_API_URL=prefect_api)
    result = dora("build", "--db", str(tmp_path / "missing.duckdb"), cwd=work, env=env)
    assert result.returncode == 1  # no database: stops before Prefect is needed
    db = tmp_path / "db" / "p.duckdb"
    result = dora(
        "ingest", "--repo", "acme/web", "--base-url", simulator.base_url, "--db", str(db),
        cwd=work, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    prefect_home = home / ".local" / "share" / "dora" / "prefect"
    assert prefect_home.is_dir()
    assert list(work.iterdir()) == []
    assert not (home / ".prefect").exists()


def _flow_runs_for(api: str, db: Path) -> dict[str, list]:
    """The flow runs on the server whose `db` parameter is this database, by flow name."""
    from prefect.client.orchestration import SyncPrefectClient

    runs: dict[str, list] = {}
    with SyncPrefectClient(api=api) as client:
        for run in client.read_flow_runs(limit=200):
            if run.parameters.get("db") == str(db):
                runs.setdefault(client.read_flow(run.flow_id).name, []).append(run)
    return runs


def test_in_process_and_on_a_prefect_server_give_the_same_tables(tmp_path, simulator, prefect_api):
    local_db = tmp_path / "local" / "dora.duckdb"
    ingest_build_export_report(
        tmp_path / "work-local", local_db, tmp_path / "local-exports", simulator,
        fresh_env(tmp_path / "home-local", GITHUB_TOKEN=TOKEN),
    )  # fmt: skip
    server_db = tmp_path / "server" / "dora.duckdb"
    ingest_build_export_report(
        tmp_path / "work-server", server_db, tmp_path / "server-exports", simulator,
        fresh_env(tmp_path / "home-server", GITHUB_TOKEN=TOKEN, PREFECT_API_URL=prefect_api),
    )  # fmt: skip

    working = compare_databases(local_db, server_db, schemas=("raw", "staging", "marts"))
    assert working.differences == 0, working.report()
    rows = {t.name: t.rows_expected for t in working.tables}
    assert (
        min(
            rows[t]
            for t in ("raw.deployment_statuses", "raw.pull_request_commits", "marts.changes")
        )
        > 0
    ), rows
    published = compare_databases(
        local_db.with_name("dora.published.duckdb"),
        server_db.with_name("dora.published.duckdb"),
        schemas=("main",),
    )
    assert published.differences == 0, published.report()

    # On the server, the commands were flow runs; in-process, nothing reached it.
    runs = _flow_runs_for(prefect_api, server_db)
    assert sorted(runs) == ["build", "ingest"]
    assert [r.state.type.value for r in runs["ingest"] + runs["build"]] == ["COMPLETED"] * 2
    assert _flow_runs_for(prefect_api, local_db) == {}
    assert TOKEN not in str([r.parameters for rs in runs.values() for r in rs])


# --- Signals: nothing of ours outlives a stopped command ---


def _marked_processes(mark: str) -> list[int]:
    """Live processes whose environment carries `mark` (children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"DORA_TEST_MARK={mark}".encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


def _start(args: list[str], tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    mark = uuid.uuid4().hex
    process = subprocess.Popen(
        [str(DORA), *args],
        cwd=tmp_path,
        env={**env, "DORA_TEST_MARK": mark},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, mark


def _read_until(process: subprocess.Popen, text: str, timeout: float) -> str:
    """stdout up to the line containing `text` (the command's progress says where it is)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} never printed; stdout: {''.join(seen)}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize(
    "stage",
    ["demo-ingesting", "demo-serving-dashboard", "ingest", "ingest-on-a-prefect-server"],
)
def test_a_stopped_command_leaves_no_process_behind(tmp_path, simulator, prefect_api, stage, sig):
    env = fresh_env(tmp_path / "home", GITHUB_TOKEN=TOKEN)
    data = tmp_path / "data"
    if stage.startswith("demo"):
        args = ["demo", "--days", "30", "--data-dir", str(data), "--port", str(free_port())]
        if stage == "demo-ingesting":
            args.append("--no-serve")
        wait_text = "Ingesting" if stage == "demo-ingesting" else "dashboard http"
    else:
        if stage == "ingest-on-a-prefect-server":
            env["PREFECT_API_URL"] = prefect_api
        # paced requests: the sync is still going when the signal arrives
        config = tmp_path / "slow.toml"
        config.write_text("[github]\nseconds_between_requests = 0.3\nconcurrency = 1\n")
        args = ["ingest", "--repo", "acme/*", "--base-url", simulator.base_url,
                "--db", str(data / "d.duckdb"), "--config", str(config)]  # fmt: skip
        wait_text = ""
    process, mark = _start(args, tmp_path, env)
    try:
        if wait_text:
            _read_until(process, wait_text, timeout=240)
        else:
            wait_for(lambda: (data / "d.duckdb").exists(), 120, "the ingest to start", process)
            time.sleep(1.0)
        assert process.poll() is None, "the command ended before the signal"
        process.send_signal(sig)
        # The caller's pipes close: communicate() returns (an orphan holding them would hang it).
        process.communicate(timeout=60)
        assert process.returncode == (143 if sig == signal.SIGTERM else -signal.SIGKILL)
        wait_for(lambda: not _marked_processes(mark), 20, "every child of the command to exit")
    finally:
        for pid in _marked_processes(mark):
            os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.communicate()
