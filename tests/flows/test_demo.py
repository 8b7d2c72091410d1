"""`dora demo --no-serve` end to end: simulator, ingest flow, build, exports and report agree."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

from flows.demo import DEMO_TOKEN, _demo_config, _start_dashboard, stop_dashboard

VENV_BIN = Path(sys.executable).parent


def test_demo_without_dashboard_leaves_consistent_database_exports_and_report(tmp_path):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": "",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("GITHUB_TOKEN", None)
    result = subprocess.run(
        [str(VENV_BIN / "dora"), "demo", "--no-serve", "--days", "30", "--data-dir", str(data)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for number in range(1, 7):  # every step shows itself
        assert f"[{number}/6]" in result.stdout
    assert DEMO_TOKEN not in result.stdout + result.stderr

    db, snapshot = data / "dora.duckdb", data / "dora.published.duckdb"
    assert db.exists() and snapshot.exists()
    assert DEMO_TOKEN.encode() not in db.read_bytes() + snapshot.read_bytes()

    with duckdb.connect(str(snapshot), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        ]
        counts = {t: con.execute(f"select count(*) from main.{t}").fetchone()[0] for t in tables}
        repos = {r for (r,) in con.execute("select distinct repo from deployments").fetchall()}
    assert repos == {"acme/platform", "acme/web", "acme/infra"}
    assert counts["deployments"] > 0 and counts["changes"] > 0 and counts["dora_weekly"] > 0
    exports = data / "exports"
    for table, rows in counts.items():  # one CSV and one Parquet per table, every row
        assert len(pd.read_parquet(exports / f"{table}.parquet")) == rows, table
        assert len(pd.read_csv(exports / f"{table}.csv")) == rows, table

    [eml] = (data / "reports").glob("*.eml")
    html = eml.with_suffix(".html")
    assert html.exists()
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"].startswith("DORA weekly ")
    assert message["Subject"] in result.stdout
    assert "acme/platform" in message.get_body(preferencelist=("plain",)).get_content()


def test_demo_never_overwrites_a_database_it_did_not_make(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "dora.duckdb").write_bytes(b"a real ingest's database")
    result = subprocess.run(
        [str(VENV_BIN / "dora"), "demo", "--no-serve", "--data-dir", str(data)],
        cwd=tmp_path,
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: demo stopped: {data / 'dora.duckdb'} was not made by `dora demo`; "
        "pass --data-dir to run the demo elsewhere"
    ]
    assert (data / "dora.duckdb").read_bytes() == b"a real ingest's database"


def test_the_demos_dashboard_ignores_a_dora_toml_with_sign_in_in_the_folder(tmp_path, monkeypatch):
    # The folder's dora.toml is someone's real one: its [dashboard.auth] (without the secrets in
    # the environment) would refuse to start; the demo's loopback dashboard uses the demo's config.
    (tmp_path / "dora.toml").write_text(
        '[dashboard.auth]\ndiscovery_url = "https://id.example.com/.well-known/openid-configuration"\n'
        'client_id = "dora"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DORA_CONFIG", raising=False)
    monkeypatch.delenv("DORA_DASHBOARD_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    data = tmp_path / "data"
    data.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url, dashboard = _start_dashboard(data / "dora.duckdb", port, _demo_config(data))
    try:
        assert url == f"http://127.0.0.1:{port}/"
    finally:
        stop_dashboard(dashboard)
