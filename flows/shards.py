"""Which shard a repository is ingested in, and where each shard's raw database lives."""

from __future__ import annotations

import hashlib
from pathlib import Path


def shard_of(repo: str, shards: int) -> int:
    """A repository's shard: a hash of `owner/name` (case-insensitive), so it never moves while
    the number of shards stays the same, whatever repositories are added or removed."""
    digest = hashlib.sha256(repo.lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def split(repos: list[str], shards: int) -> list[list[str]]:
    """The repositories of each shard, in the order given (a shard may be empty)."""
    plan: list[list[str]] = [[] for _ in range(shards)]
    for repo in repos:
        plan[shard_of(repo, shards)].append(repo)
    return plan


def shard_db(db: str | Path, shard: int) -> Path:
    """`data/dora.duckdb` -> `data/raw-<shard>.duckdb`: each shard's raw database, one writer."""
    return Path(db).with_name(f"raw-{shard}.duckdb")


def shard_dbs(db: str | Path, shards: int) -> list[Path]:
    return [shard_db(db, shard) for shard in range(shards)]
