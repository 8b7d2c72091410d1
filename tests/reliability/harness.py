"""What the reliability tests share: `dora` run in a subprocess as a user runs it, its environment,
and the token-bearing pipeline run with hostile strings in the raw data."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from simulator.server import SimulatorServer

TOKEN = "ghp_SECRETtoken1234567890"
DORA = Path(sys.executable).with_name("dora")
DEPLOY_RULE = (
    '[[deploy_rules]]\nworkflow = ".github/workflows/terraform-apply.yml"\n'
    'environment = "production"\n'
)
# Strings a malicious repository could put in a commit message, an issue title, a description.
POISON = '=HYPERLINK("http://evil")<script>alert(\'x\')</script>"; drop table deployments; --'
# A description a spreadsheet would also run: formulas may start with "-" as well as "=".
DASH_POISON = "-2+3+cmd|' /C calc'!A0"


@dataclass
class PrefectServer:
    api_url: str
    home: Path
    log: Path


def base_env(prefect: PrefectServer | None, client_home: Path, **extra: str) -> dict[str, str]:
    """The environment of one `dora` subprocess: no token unless given, its own Prefect home."""
    secrets = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKENS", "GITHUB_APP_ID",
               "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_FILE")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in (*secrets, "DORA_CONFIG")}
    env.update(
        PREFECT_HOME=str(client_home),
        PREFECT_API_URL=prefect.api_url if prefect else "",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        DO_NOT_TRACK="1",
        NO_COLOR="1",
        COLUMNS="200",
    )
    env.update(extra)
    return env


def run_dora(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run `dora ARGS` the way a user does; output captured as text."""
    return subprocess.run(
        [str(DORA), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@dataclass
class PipelineRun:
    """What the token-bearing pipeline run left behind."""

    root: Path
    db: Path
    client_home: Path
    prefect: PrefectServer
    results: dict[str, subprocess.CompletedProcess]

    @property
    def snapshot(self) -> Path:
        return self.db.with_name(f"{self.db.stem}.published.duckdb")


def poison_raw_strings(db: Path) -> None:
    """Put hostile text where GitHub users write: commits, issue/PR titles, workflow names."""
    with duckdb.connect(str(db)) as con:
        con.execute("update raw.commits set message = ? || chr(10) || message", [POISON])
        con.execute("update raw.issues set title = ? || title", [POISON])
        con.execute("update raw.pull_requests set title = ? || title", [POISON])
        con.execute("update raw.workflows set name = ? || name", [POISON])
        con.execute(
            "update raw.workflow_runs set name = ? || name, display_title = ? || display_title",
            [POISON, POISON],
        )
        con.execute("update raw.deployments set description = ?", [DASH_POISON])


def run_pipeline(
    root: Path,
    simulator: SimulatorServer,
    prefect: PrefectServer,
    credentials: dict[str, str] | None = None,
    github_config: str = "",
    **extra_env: str,
) -> PipelineRun:
    """ingest -> (hostile strings) -> build -> export csv + parquet -> report, with the
    credentials set (environment variables; default: GITHUB_TOKEN) and `[github]` settings."""
    root.mkdir(parents=True, exist_ok=True)
    db = root / "data" / "dora.duckdb"
    client_home = root / "prefect-client"
    env = base_env(
        prefect,
        client_home,
        PREFECT_LOGGING_LEVEL="DEBUG",
        **(credentials if credentials is not None else {"GITHUB_TOKEN": TOKEN}),
        **extra_env,
    )
    # the demo's deploy rule: its runs are the ones whose jobs are fetched
    config = root / "dora.toml"
    config.write_text(DEPLOY_RULE + (f"[github]\n{github_config}\n" if github_config else ""))
    results = {}
    results["ingest"] = run_dora(
        "ingest", "--repo", "acme/*", "--base-url", simulator.base_url, "--db", str(db),
        "--config", str(config), cwd=root, env=env,
    )  # fmt: skip
    assert results["ingest"].returncode == 0, results["ingest"].stderr[-3000:]
    poison_raw_strings(db)
    results["build"] = run_dora("build", "--db", str(db), cwd=root, env=env)
    assert results["build"].returncode == 0, results["build"].stderr[-3000:]
    for fmt in ("csv", "parquet"):
        results[f"export-{fmt}"] = run_dora(
            "export", "--db", str(db), "--out", str(root / f"export-{fmt}"), "--format", fmt,
            cwd=root, env=env,
        )  # fmt: skip
        assert results[f"export-{fmt}"].returncode == 0, results[f"export-{fmt}"].stderr
    results["report"] = run_dora("report", "--db", str(db), cwd=root, env=env)
    # Everything printed is an output too: keep it on disk with the rest.
    for name, result in results.items():
        (root / f"{name}.stdout").write_text(result.stdout)
        (root / f"{name}.stderr").write_text(result.stderr)
    return PipelineRun(root, db, client_home, prefect, results)
