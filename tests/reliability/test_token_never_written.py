"""No credential (GITHUB_TOKEN, GITHUB_TOKENS, GH_TOKEN, a GitHub App's private key from the
environment or a file, its installation tokens) reaches a log, a table, an export, the report or
Prefect's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from simulator.generator import generate_organisation
from simulator.server import Credentials, SimulatorServer
from tests.ingest.sim_helpers import app_key
from tests.reliability.harness import TOKEN, PipelineRun, PrefectServer, run_pipeline


def _is_duckdb(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(12)[8:12] == b"DUCK"


def _found(con: duckdb.DuckDBPyConnection, source: str, needles: list[str]) -> list[bool]:
    """Which needles appear in any row of `source` (a table, or `read_parquet(...)`), every
    column cast to text: one scan for all of them."""
    if not needles:
        return []
    checks = ", ".join(f"bool_or(contains(t::varchar, ${i + 1}))" for i in range(len(needles)))
    row = con.execute(f"select {checks} from {source} t", needles).fetchone()
    return [bool(found) for found in row]


def _tables_containing(con: duckdb.DuckDBPyConnection, needles: list[str]) -> list[list[str]]:
    """Per needle, every table whose text contains it: DuckDB compresses strings on disk, so a
    byte grep of the file alone could miss it."""
    hits: list[list[str]] = [[] for _ in needles]
    tables = con.execute(
        "select database_name, schema_name, table_name from duckdb_tables()"
    ).fetchall()
    for database, schema, table in tables:
        found = _found(con, f'"{database}"."{schema}"."{table}"', needles)
        for index in (i for i, hit in enumerate(found) if hit):
            hits[index].append(f"{schema}.{table}")
    return hits


def find_secrets(roots: list[Path], needles: dict[str, str]) -> dict[str, list[str]]:
    """Per named needle, every place under `roots` it is stored: raw bytes, DuckDB tables,
    Parquet cells (only the needles found anywhere are keys)."""
    names, values = list(needles), list(needles.values())
    hits: dict[str, list[str]] = {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            for name, value in needles.items():
                if value.encode() in data:
                    hits.setdefault(name, []).append(str(path))
            if path.suffix == ".duckdb" and _is_duckdb(path):
                with duckdb.connect(str(path), read_only=True) as con:
                    for name, tables in zip(names, _tables_containing(con, values), strict=True):
                        hits.setdefault(name, []).extend(f"{path}:{t}" for t in tables)
            elif path.suffix == ".parquet":
                with duckdb.connect() as con:
                    found = _found(con, f"read_parquet('{path}')", values)
                for name in (n for n, hit in zip(names, found, strict=True) if hit):
                    hits.setdefault(name, []).append(str(path))
    return {name: places for name, places in hits.items() if places}


def find_secret(roots: list[Path], needle: str) -> list[str]:
    """Every place under `roots` the needle is stored."""
    return find_secrets(roots, {"needle": needle}).get("needle", [])


def _outputs(run: PipelineRun) -> list[Path]:
    return [run.root, run.prefect.home, run.prefect.log.parent]


def test_the_finder_finds_a_token_wherever_it_is_stored(tmp_path):
    # The check must be able to fail: a token in a compressed DuckDB column and in Parquet is found.
    with duckdb.connect(str(tmp_path / "x.duckdb")) as con:
        con.execute("create table t as select 'Bearer ' || ? || range::varchar as s from range(5000)", [TOKEN])  # fmt: skip
        con.execute(f"copy t to '{tmp_path / 'x.parquet'}' (format parquet, compression zstd)")
    hits = find_secret([tmp_path], TOKEN)
    assert any(h.endswith("x.duckdb:main.t") for h in hits), hits
    assert str(tmp_path / "x.parquet") in hits
    # several needles at once: each is found where it is, and only there
    with duckdb.connect(str(tmp_path / "y.duckdb")) as con:
        con.execute("create table u as select 'k=' || ? || range::varchar as s from range(5000)", ["ghs_INSTALLATIONtoken"])  # fmt: skip
    found = find_secrets([tmp_path], {"a": TOKEN, "b": "ghs_INSTALLATIONtoken", "c": "absent"})
    assert set(found) == {"a", "b"}
    assert any(h.endswith("y.duckdb:main.u") for h in found["b"]) and not any(
        "x.duckdb" in h or "x.parquet" in h for h in found["b"]
    )


def test_the_pipeline_run_with_a_token_writes_it_nowhere(pipeline: PipelineRun):
    # Proof that the right places were searched: the run's flow parameters are in Prefect's
    # database, the data is in the DuckDB files, the exports and the report exist.
    prefect_files = b"".join(p.read_bytes() for p in pipeline.prefect.home.glob("prefect.db*"))
    assert str(pipeline.db).encode() in prefect_files, "flow-run parameters not found"
    assert pipeline.snapshot.exists()
    assert len(list((pipeline.root / "export-csv").glob("*.csv"))) >= 9
    assert len(list((pipeline.root / "export-parquet").glob("*.parquet"))) >= 9
    assert pipeline.results["report"].returncode == 0, pipeline.results["report"].stderr
    assert "Ingested 3 repositories" in (pipeline.root / "ingest.stdout").read_text()

    assert find_secret(_outputs(pipeline), TOKEN) == []
    # A token cut into a URL or a header would still leak its tail.
    assert find_secret(_outputs(pipeline), TOKEN[4:]) == []


def test_flow_run_parameters_hold_no_token(pipeline: PipelineRun):
    # Prefect stores flow parameters; the token is read from the environment inside the flow.
    import sqlite3

    with sqlite3.connect(pipeline.prefect.home / "prefect.db") as con:
        rows = con.execute("select name, parameters from flow_run").fetchall()
    assert rows, "no flow runs recorded"
    for _, parameters in rows:
        assert "token" not in parameters.lower(), parameters


@pytest.mark.slow
def test_with_every_python_logger_at_debug_the_token_is_still_nowhere(
    tmp_path, simulator, prefect_server
):
    # urllib3, PyGithub, httpx: all of them at DEBUG, printed to stderr.
    run = run_pipeline(tmp_path, simulator, prefect_server, PREFECT_LOGGING_ROOT_LEVEL="DEBUG")
    assert find_secret(_outputs(run), TOKEN) == []


# --- Every credential kind: several tokens, GH_TOKEN, a GitHub App and its installation tokens ---

SEVERAL = ["ghp_SEVERALfirst0123456789", "ghp_SEVERALsecond123456789", "ghp_SEVERALthird0123456789"]
GH_TOKEN = "gho_GHtokenSECRET0123456789"
APP_ID = "4711"


@dataclass
class CredentialRuns:
    """Two pipeline runs, every credential kind among them, and what the simulator saw."""

    runs: list[PipelineRun]
    secrets: dict[str, str]  # what it is -> a piece of it that must be stored nowhere
    usage: dict[str, dict[str, int]]  # per credential label (hashed by the simulator)


def _key_pieces(private_key: str) -> list[str]:
    """Slices of the key's base64 body: the PEM wraps at 64 characters, so any stored copy
    holds whole lines of it."""
    lines = private_key.strip().splitlines()[1:-1]
    return [lines[0][:40], lines[len(lines) // 2][:40], lines[-2][:40]]


@pytest.fixture(scope="module")
def every_credential(tmp_path_factory, prefect_server: PrefectServer) -> CredentialRuns:
    """Run A: GITHUB_TOKENS (three) and the App's key in GITHUB_APP_PRIVATE_KEY. Run B: GH_TOKEN
    and the App's key in a file named by `github.app_private_key_file`. Each App credential gets
    installation tokens from the simulator (renewed during the run: 21 s of life, and PyGithub
    renews a token 20 s before it expires; an ingest takes about 3 s)."""
    private, public = app_key()
    keys = tmp_path_factory.mktemp("keys")  # outside every folder searched below
    key_file = keys / "app.pem"
    key_file.write_text(private)
    org = generate_organisation(scale="tiny", days=14, end=date(2026, 11, 20))
    budgets = Credentials(apps={APP_ID: public}, per_credential=True, installation_seconds=21)
    root = tmp_path_factory.mktemp("credentials")
    with SimulatorServer(org, credentials=budgets) as server:
        first = run_pipeline(
            root / "run-a", server, prefect_server,
            credentials={"GITHUB_TOKENS": ",".join(SEVERAL), "GITHUB_APP_ID": APP_ID,
                         "GITHUB_APP_PRIVATE_KEY": private},
        )  # fmt: skip
        second = run_pipeline(
            root / "run-b", server, prefect_server,
            credentials={"GH_TOKEN": GH_TOKEN},
            github_config=f'app_id = "{APP_ID}"\napp_private_key_file = "{key_file}"',
        )  # fmt: skip
        usage = server.stats()["credentials"]
        issued = server.credentials.issued_tokens()
    secrets = {f"GITHUB_TOKENS #{i}": token for i, token in enumerate(SEVERAL, 1)}
    secrets["GH_TOKEN"] = GH_TOKEN
    secrets.update({f"App private key, piece {i}": p for i, p in enumerate(_key_pieces(private))})
    secrets.update({f"installation token {i}": token for i, token in enumerate(issued)})
    return CredentialRuns([first, second], secrets, usage)


def test_every_credential_kind_was_really_used(every_credential: CredentialRuns):
    # A credential that sent nothing could not have leaked anything: each one paid for requests.
    usage = every_credential.usage
    tokens = [label for label in usage if label.startswith("token ")]
    installations = [label for label in usage if label.startswith("installation ")]
    assert len(tokens) == len(SEVERAL) + 1, usage  # the three of GITHUB_TOKENS, and GH_TOKEN
    assert all(usage[label]["rest_charged"] > 0 for label in tokens), usage
    assert installations and all(
        usage[label]["rest_charged"] + usage[label]["graphql_charged"] > 0
        for label in installations
    ), usage
    issued = [name for name in every_credential.secrets if name.startswith("installation")]
    assert len(issued) >= 3, issued  # both runs' App credential, renewed during a run
    for run in every_credential.runs:
        assert "Ingested 3 repositories" in (run.root / "ingest.stdout").read_text()
        assert run.snapshot.exists() and run.results["report"].returncode == 0


def test_no_credential_of_any_kind_is_written_anywhere(every_credential: CredentialRuns):
    # Logs (stdout/stderr kept as files), DuckDB tables, exports, the email preview, Prefect's
    # database and logs: everything under the runs' folders and the Prefect server's home.
    roots = list(dict.fromkeys(p for run in every_credential.runs for p in _outputs(run)))
    needles = dict(every_credential.secrets)
    # a token cut into a URL or a header would still leak its tail
    needles.update(
        {
            f"{name}, tail": s[4:]
            for name, s in every_credential.secrets.items()
            if "piece" not in name
        }
    )
    assert find_secrets(roots, needles) == {}


def test_no_credential_is_a_flow_run_parameter(every_credential: CredentialRuns):
    import sqlite3

    database = every_credential.runs[0].prefect.home / "prefect.db"
    with sqlite3.connect(database) as con:
        rows = con.execute("select name, parameters from flow_run").fetchall()
    assert rows, "no flow runs recorded"
    for _, parameters in rows:
        assert not [n for n, s in every_credential.secrets.items() if s in parameters], parameters
        assert "private" not in parameters.lower() and "token" not in parameters.lower()
