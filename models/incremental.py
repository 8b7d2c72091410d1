"""Incremental build: rebuild only the repositories whose raw rows changed since the last build.

Every model is computed per repository, except the few that look across repositories (the
build's window, which ends at the latest data of any repository, and what depends on it, or a
table without a `repo` column). So an hourly cycle that brought new data for a few repositories
runs the per-repository models for those repositories alone, in a scratch catalog whose `raw`
tables are views of theirs, swaps their rows into the build's tables, then rebuilds the
cross-repository models in full. The SQL tests then run on the whole result, as after a full build.

A full build runs instead when there is no previous build, when the model files or the settings
changed, or when most repositories changed. `tests/models/test_incremental.py` proves the
result equals a full build row for row.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from models import runner

STATE = "build_state"
# What a sync writes every time whatever GitHub said: never a reason to rebuild.
VOLATILE = {
    "sync_state": None,  # the whole table (synced_at moves at every sync)
    "http_etags": None,
    "schema_version": None,
    "repo_shards": None,
    "workflow_files": {"fetched_at"},
    "compared_shas": {"fetched_at"},
    "skipped_items": {"seen_at"},
}
# ... except how far back a repository's history is complete (ingest.history): a deepen pass
# that found nothing older still moves it, and `int_repositories__history` shows it.
FINGERPRINTED_STATE = {"history": ("cursor_at", "details")}
# The original JSON of each row, kept for reprocessing: no model reads it (a test checks), and
# hashing it would cost most of an incremental build.
UNREAD = {"payload"}
# Models that look across repositories: the window ends at the latest data of any of them.
ACROSS_REPOSITORIES = {"int.int_build__window", "stg.stg_github__sync_state"}
MOST = 0.5  # rebuild everything when more than this share of repositories changed


@dataclass
class Plan:
    """What the next build does: everything, or the changed repositories' rows."""

    full: bool
    reason: str
    changed: list[str]
    fingerprints: dict[str, int]
    signature: str


def plan(
    con: duckdb.DuckDBPyConnection, models: list[runner.Model], keep: set[str] | None = None
) -> Plan:
    """Compare the raw rows, model sources and settings with what the last build recorded.

    `keep`: repositories whose raw rows cannot be read now (a shard still locked by its
    writer): their rows from the last build stay, as if they had not changed.
    """
    keep = keep or set()
    fingerprints = raw_fingerprints(con)
    signature = _signature(con, models)
    if not _has_state(con):
        return Plan(True, "no previous build", sorted(fingerprints), fingerprints, signature)
    previous_signature = con.execute(f"select signature from {STATE}.build").fetchone()
    if previous_signature is None or previous_signature[0] != signature:
        return Plan(
            True, "models or settings changed", sorted(fingerprints), fingerprints, signature
        )
    previous = dict(con.execute(f"select repo, fingerprint from {STATE}.fingerprints").fetchall())
    fingerprints.update({repo: previous[repo] for repo in keep if repo in previous})
    changed = sorted(
        repo
        for repo in fingerprints.keys() | previous.keys()
        if fingerprints.get(repo) != previous.get(repo)
    )
    if len(changed) > MOST * max(len(fingerprints), 1):
        return Plan(True, f"{len(changed)} repositories changed", changed, fingerprints, signature)
    return Plan(False, f"{len(changed)} repositories changed", changed, fingerprints, signature)


def build(
    con: duckdb.DuckDBPyConnection,
    write_settings: Callable[[duckdb.DuckDBPyConnection], None],
    full: bool = False,
    keep: set[str] | None = None,
) -> tuple[runner.BuildResult, Plan]:
    """Build (incrementally when the plan allows it), run the SQL tests, record the state.

    A full build cannot keep anything: repositories in `keep` are then left out until they
    can be read again (logged by the caller from the plan).
    """
    started = time.perf_counter()
    models = runner.discover()
    write_settings(con)
    the_plan = plan(con, models, keep)
    if full and not the_plan.full:
        the_plan.full, the_plan.reason = True, "asked for"
    if the_plan.full:
        for repo in keep or ():  # left out now: rebuilt in full once they can be read again
            the_plan.fingerprints.pop(repo, None)
        built = runner.run_models(con, models)
    else:
        built = _rebuild_repositories(con, models, the_plan.changed, write_settings)
    tests, failures = runner.run_tests(con)
    if failures:
        raise runner.BuildFailed(
            f"{len(failures)} SQL test(s) failed\n{runner.format_failures(failures)}", failures
        )
    _record(con, the_plan)
    return runner.BuildResult(built, tests, time.perf_counter() - started), the_plan


def raw_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per repository, one number that changes when any of its raw rows does (sum of hashes)."""
    parts = []
    raw = _raw_columns(con)
    for table, columns in raw.items():
        if table in VOLATILE and VOLATILE[table] is None or "repo" not in columns:
            continue
        kept = [c for c in columns if c not in (VOLATILE.get(table) or set()) | UNREAD]
        hashed = ", ".join(f'"{c}"' for c in kept)
        parts.append(
            f"select repo, sum(hash('{table}', {hashed}))::hugeint as h from raw.{table} "
            "group by repo"
        )
    if "sync_state" in raw:
        for stream, columns in FINGERPRINTED_STATE.items():
            hashed = ", ".join(columns)
            parts.append(
                f"select repo, sum(hash('sync_state.{stream}', {hashed}))::hugeint as h "
                f"from raw.sync_state where stream = '{stream}' group by repo"
            )
    if not parts:
        return {}
    rows = con.execute(
        f"select repo, (sum(h) % 18446744073709551557)::ubigint from ({' union all '.join(parts)}) "
        "group by repo"
    ).fetchall()
    return {repo: int(h) for repo, h in rows}


def across_repositories(con: duckdb.DuckDBPyConnection, models: list[runner.Model]) -> set[str]:
    """Models computed over every repository at once, and everything that depends on them."""
    tables = _model_tables(con)
    direct = {
        m.name
        for m in models
        if m.name in ACROSS_REPOSITORIES or (m.name in tables and "repo" not in tables[m.name])
    }
    found = set(direct)
    changed = True
    while changed:
        changed = False
        for model in models:
            if model.name not in found and model.depends_on & found:
                found.add(model.name)
                changed = True
    return found


def _rebuild_repositories(
    con: duckdb.DuckDBPyConnection,
    models: list[runner.Model],
    repos: list[str],
    write_settings: Callable[[duckdb.DuckDBPyConnection], None],
) -> list[runner.Model]:
    """Per-repository models for `repos` in a scratch catalog, swapped in; the rest in full."""
    here = con.execute("select current_database()").fetchone()[0]
    across = across_repositories(con, models)
    ordered = runner.in_dependency_order(models)
    per_repo = [m for m in ordered if m.name not in across]
    con.execute("attach ':memory:' as dora_scratch")
    try:
        if repos:
            _build_in_scratch(con, here, per_repo, repos, write_settings)
        con.execute(f"use {here}")
        # One transaction for the swap and the cross-repository models: one commit instead of
        # one per statement, and readers of this file never see half of it.
        con.execute("begin")
        try:
            if repos:
                _swap_in(con, here, per_repo, repos)
            runner.run_models(con, [m for m in ordered if m.name in across])
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.execute(f"use {here}")
        con.execute("detach dora_scratch")
    return ordered


def _in_list(repos: list[str]) -> str:
    """A constant list, not a subquery: scans then skip row groups by their min/max repo."""
    return "(" + ", ".join("'" + repo.replace("'", "''") + "'" for repo in repos) + ")"


def _build_in_scratch(
    con: duckdb.DuckDBPyConnection,
    here: str,
    per_repo: list[runner.Model],
    repos: list[str],
    write_settings: Callable[[duckdb.DuckDBPyConnection], None],
) -> None:
    """The per-repository models of `repos` alone, in `dora_scratch` over views of their raw rows."""
    con.execute("use dora_scratch")
    con.execute("create schema raw")
    for table, columns in _raw_columns(con, here).items():
        only_changed = f"where repo in {_in_list(repos)}" if "repo" in columns else ""
        con.execute(f"create view raw.{table} as select * from {here}.raw.{table} {only_changed}")
    write_settings(con)
    runner.run_models(con, per_repo)


def _swap_in(
    con: duckdb.DuckDBPyConnection, here: str, per_repo: list[runner.Model], repos: list[str]
) -> None:
    """The rows of `repos` in the build's tables become the scratch catalog's."""
    for model in per_repo:
        if _kind(con, here, model.name) != "table":
            continue  # a view reads the build's own raw tables
        con.execute(f"delete from {here}.{model.name} where repo in {_in_list(repos)}")
        con.execute(
            f"insert into {here}.{model.name} by name select * from dora_scratch.{model.name}"
        )


def _raw_columns(
    con: duckdb.DuckDBPyConnection, catalog: str | None = None
) -> dict[str, list[str]]:
    catalog = catalog or con.execute("select current_database()").fetchone()[0]
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = ? "
        "and schema_name = 'raw' order by table_name, column_index",
        [catalog],
    ).fetchall():
        columns.setdefault(table, []).append(column)
    return columns


def _model_tables(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """schema.table -> its columns, for the models the last build made."""
    tables: dict[str, set[str]] = {}
    for schema, table, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and list_contains(['stg', 'int', 'marts'], "
        "schema_name)"
    ).fetchall():
        tables.setdefault(f"{schema}.{table}", set()).add(column)
    return tables


def _kind(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> str:
    schema, table = name.split(".")
    found = con.execute(
        "select 'table' from duckdb_tables() where database_name = ? and schema_name = ? "
        "and table_name = ? union all select 'view' from duckdb_views() where "
        "database_name = ? and schema_name = ? and view_name = ?",
        [catalog, schema, table, catalog, schema, table],
    ).fetchone()
    return found[0] if found else "missing"


def _signature(con: duckdb.DuckDBPyConnection, models: list[runner.Model]) -> str:
    """The model sources and the settings in effect: when either changes, rebuild everything."""
    digest = hashlib.sha256()
    for model in sorted(models, key=lambda m: m.name):
        digest.update(model.name.encode())
        if model.path:
            digest.update(model.path.read_bytes())
    digest.update(runner.REFERENCE_CSV.read_bytes())
    for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'cfg' and table_name != 'shards' order by 1"
    ).fetchall():
        rows = con.execute(f"select * from cfg.{name} order by all").fetchall()
        digest.update(f"{name}:{rows!r}".encode())
    return digest.hexdigest()


def _has_state(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name in ('build', 'fingerprints')",
            [STATE],
        ).fetchone()[0]
        == 2
    )


def _record(con: duckdb.DuckDBPyConnection, the_plan: Plan) -> None:
    con.execute(f"create schema if not exists {STATE}")
    con.execute(f"create or replace table {STATE}.build (signature varchar, full_build boolean)")
    con.execute(f"insert into {STATE}.build values (?, ?)", [the_plan.signature, the_plan.full])
    con.execute(f"create or replace table {STATE}.fingerprints (repo varchar, fingerprint ubigint)")
    if the_plan.fingerprints:
        con.execute(
            f"insert into {STATE}.fingerprints select unnest(?::varchar[]), unnest(?::ubigint[])",
            [list(the_plan.fingerprints), list(the_plan.fingerprints.values())],
        )
