"""One build over every shard: the shards' raw databases (`raw-<shard>.duckdb`) are attached
read-only for the build, and the build database's `raw` tables are views of their union.

Nothing is copied (a shard's raw rows, JSON payloads included, are most of its size). A shard
that cannot be read (its writer still holds the file: a run that outlived its timeout) keeps
what the previous build made of its repositories: the incremental build leaves their rows alone
(`models.incremental`). `cfg.shards` records, per shard, whether it was read and how fresh it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

# The sync's own bookkeeping, per database and not read by any model: never merged.
NOT_MERGED = frozenset({"http_etags"})
SHARD_COLUMNS = (
    "shard integer, path varchar, state varchar, repos integer, "
    "last_synced_at timestamp, ingest_state varchar, detail varchar"
)


class ShardLayoutError(Exception):
    """The shards cannot be built here: none is readable, or --db holds a single writer's data."""


class NoShardReadable(ShardLayoutError):
    """Every shard's database is missing or locked: there is nothing to build from."""


@dataclass
class ShardState:
    """What the build knew of one shard: merged now, or kept from the previous build."""

    shard: int
    path: str
    state: str  # merged | kept (unreadable now: previous build's rows) | missing (never ingested)
    repos: int = 0
    last_synced_at: datetime | None = None
    ingest_state: str | None = None  # how this cycle's shard run ended, when one ran
    detail: str | None = None


@dataclass
class AttachedShards:
    states: list[ShardState]
    kept_repos: set[str] = field(default_factory=set)


@contextmanager
def attached_shards(
    con: duckdb.DuckDBPyConnection,
    shard_dbs: list[Path],
    ingest_states: dict[int, str] | None = None,
) -> Iterator[AttachedShards]:
    """For the build: the shards attached read-only and `raw.*` viewing their union."""
    ingest_states = ingest_states or {}
    states, attached = [], {}
    try:
        for shard, path in enumerate(shard_dbs):
            state = ShardState(shard, str(path), "missing", ingest_state=ingest_states.get(shard))
            states.append(state)
            if not path.exists():
                continue
            alias = f"shard_{shard}"
            try:
                con.execute(f"attach '{path}' as {alias} (read_only)")
            except duckdb.Error as exc:  # locked by a writer that is still running
                state.state, state.detail = "kept", str(exc).splitlines()[0][:300]
                continue
            attached[shard] = alias
            state.state = "merged"
        if not attached:
            raise NoShardReadable(
                "no shard database could be read: "
                + "; ".join(f"{s.path}: {s.detail or s.state}" for s in states)
            )
        kept = {s.shard for s in states if s.state == "kept"}
        kept_repos = _place_repositories(con, attached, kept)
        _view_union(con, attached)
        for state in states:
            state.repos, state.last_synced_at = _freshness(con, state.shard)
        record(con, states)
        yield AttachedShards(states, kept_repos)
    finally:
        for alias in attached.values():
            con.execute(f"detach {alias}")


def _place_repositories(
    con: duckdb.DuckDBPyConnection, attached: dict[int, str], kept: set[int]
) -> set[str]:
    """`raw_shards.repo_shards`: which shard holds each repository (kept shards: as before)."""
    con.execute("create schema if not exists raw_shards")
    con.execute("create table if not exists raw_shards.repo_shards (repo varchar, shard integer)")
    placement = [
        f"select repo, {shard} as shard from {alias}.raw.repositories"
        for shard, alias in attached.items()
    ]
    if kept:
        con.execute(
            "create or replace temp table _kept as select * from raw_shards.repo_shards "
            f"where list_contains({sorted(kept)}, shard)"
        )
        placement.insert(0, "select repo, shard from temp._kept")
    con.execute(
        f"create or replace table raw_shards.repo_shards as {' union all '.join(placement)}"
    )
    con.execute("drop table if exists temp._kept")
    return {
        repo
        for (repo,) in con.execute(
            f"select repo from raw_shards.repo_shards where list_contains({sorted(kept)}, shard)"
        ).fetchall()
    }


def _view_union(con: duckdb.DuckDBPyConnection, attached: dict[int, str]) -> None:
    """raw.<table> := a view of the union of every attached shard's raw.<table>."""
    con.execute("create schema if not exists raw")
    copied = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'raw'"
    ).fetchone()[0]
    if copied:  # never drop what a single writer ingested
        raise ShardLayoutError(
            "this database holds a single writer's raw tables; build the shards into a new --db "
            "(the shard databases sit beside it as raw-<shard>.duckdb)"
        )
    tables: dict[str, list[str]] = {}
    shared: set[str] = set()
    for alias in attached.values():
        for table, has_repo in con.execute(
            "select table_name, bool_or(column_name = 'repo') from duckdb_columns() "
            "where database_name = ? and schema_name = 'raw' group by table_name",
            [alias],
        ).fetchall():
            if table in NOT_MERGED:
                continue
            tables.setdefault(table, []).append(alias)
            if not has_repo:
                shared.add(table)
    for table, aliases in sorted(tables.items()):
        # per-repository rows are disjoint between shards; the rest (schema_version) is shared
        union = " union by name " if table in shared else " union all by name "
        sources = union.join(f"select * from {alias}.raw.{table}" for alias in aliases)
        con.execute(f"create or replace view raw.{table} as {sources}")


def _freshness(con: duckdb.DuckDBPyConnection, shard: int) -> tuple[int, datetime | None]:
    """Repositories of a shard, and when it last synced one (unknown for a kept shard)."""
    repos = con.execute(
        "select count(*) from raw_shards.repo_shards where shard = ?", [shard]
    ).fetchone()[0]
    synced = con.execute(
        "select max(synced_at) from raw.sync_state where repo in "
        "(select repo from raw_shards.repo_shards where shard = ?)",
        [shard],
    ).fetchone()[0]
    return repos, synced


def record(con: duckdb.DuckDBPyConnection, states: list[ShardState]) -> None:
    """`cfg.shards`: one row per shard (none for a single-writer build)."""
    con.execute("create schema if not exists cfg")
    con.execute(f"create or replace table cfg.shards ({SHARD_COLUMNS})")
    if states:
        frame = pd.DataFrame([vars(s) for s in states])  # noqa: F841 (read by DuckDB below)
        con.execute("insert into cfg.shards by name select * from frame")
