"""`dora simulator` in a subprocess, and `/_simulator/advance` over the generator's organisation."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from simulator.generator import generate_organisation
from simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[2]


def get(url: str, method: str = "GET") -> object:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_cli_prints_base_url_first_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "simulator", "--port", "0", "--scale", "tiny",
         "--end", "2026-11-20", "--days", "20"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        first_line = proc.stdout.readline().strip()
        assert first_line.startswith("http://127.0.0.1:"), (
            proc.stderr.read() if proc.poll() else first_line
        )
        repo = get(f"{first_line}/repos/acme/platform")
        assert repo["full_name"] == "acme/platform"
        assert get(f"{first_line}/api/v3/orgs/acme/repos")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_budgets_per_credential_and_knows_a_github_app(tmp_path):
    import jwt

    from tests.ingest.sim_helpers import app_key

    private, public = app_key()
    (tmp_path / "app.pem").write_text(public)
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "simulator", "--port", "0", "--scale", "tiny",
         "--end", "2026-11-20", "--days", "5", "--per-credential-budgets", "--rate-limit", "2",
         "--rate-reset-seconds", "600", "--app", f"77={tmp_path / 'app.pem'}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://"), proc.stderr.read() if proc.poll() else base

        def status(token: str, path: str = "/repos/acme/web", method: str = "GET") -> int:
            headers = {"Authorization": f"Bearer {token}"}
            req = urllib.request.Request(base + path, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status
            except urllib.error.HTTPError as exc:
                return exc.code

        # two requests a window each: the third of one token is refused, the other goes on
        assert [status("token-a") for _ in range(3)] == [200, 200, 403]
        assert status("token-b") == 200
        now = int(time.time())
        app_jwt = jwt.encode({"iat": now - 30, "exp": now + 300, "iss": "77"}, private, "RS256")
        assert status(app_jwt, "/app/installations/4242/access_tokens", "POST") == 201
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_rejects_bad_faults_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "simulator", "--faults", "boom=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: --faults: unknown fault 'boom'")
    assert result.stdout == ""


def test_advance_generates_more_activity():
    org = generate_organisation(seed=3, days=10, end=date(2026, 11, 20), scale="tiny")
    with SimulatorServer(org) as server:
        before = get(f"{server.base_url}/repos/acme/platform/actions/runs?per_page=1")
        end_before = org.end
        answer = get(f"{server.base_url}/_simulator/advance?days=3", method="POST")
        assert answer["advanced_days"] == 3
        after = get(f"{server.base_url}/repos/acme/platform/actions/runs?per_page=1")
        assert org.end > end_before
        assert after["total_count"] >= before["total_count"]
        total_runs = sum(len(r.runs) for r in org.repos.values())
        served = sum(
            get(f"{server.base_url}/repos/{name}/actions/runs?per_page=1")["total_count"]
            for name in org.repos
        )
        assert served == total_runs  # the indexes were rebuilt
