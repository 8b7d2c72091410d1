"""A viewer's slice of the snapshot: views over every table that hold only their teams' rows.

Every query a page runs goes through `snapshot.query`; for a viewer limited to some teams it
runs with a schema of these views as its default, so the same SQL cannot read another team's
repository, whatever filter, link or download asked for it. A table is sliced by its columns:
- `repo`: only the repositories of the viewer's teams (`team_repositories`);
- `team`: only the viewer's teams;
- `unit_kind` (rolling levels, goal status): team units of the viewer's teams, and repo x service
  units of their repositories; the organisation's rows (every team's data) are left out;
- none of these: shown whole if it is reference data (`GLOBAL`), else empty, so that a table
  added later is hidden until someone decides who may read it.
"""

from __future__ import annotations

import hashlib

import duckdb

# Tables without repository or team rows that anyone signed in may read.
GLOBAL = frozenset({"snapshot_info", "dora_levels"})
SNAPSHOT = "snapshot.main"


def schema_name(teams: tuple[str, ...]) -> str:
    """A stable schema name for a set of teams (names may hold any character: hashed)."""
    digest = hashlib.sha256("\x1f".join(sorted(t.lower() for t in teams)).encode()).hexdigest()
    return f"viewer_{digest[:20]}"


def _predicate(table: str, columns: set[str], teams: str, repos: str) -> str:
    if "unit_kind" in columns:
        unit = "unit" if "unit" in columns else "team"
        service = f"(unit_kind = 'service' and repo in {repos})" if "repo" in columns else "false"
        return f"(unit_kind = 'team' and lower({unit}) in {teams}) or {service}"
    parts = [
        *([f"lower(team) in {teams}"] if "team" in columns else []),
        *([f"repo in {repos}"] if "repo" in columns else []),
    ]
    if parts:
        return " and ".join(parts)
    return "true" if table in GLOBAL else "false"


def create(con: duckdb.DuckDBPyConnection, teams: tuple[str, ...]) -> str:
    """Create the slice of `teams` in `con`'s in-memory catalog (once); return its schema name."""
    schema = f"memory.{schema_name(teams)}"
    exists = con.execute(
        "select count(*) from duckdb_schemas() where database_name = 'memory' and schema_name = ?",
        [schema_name(teams)],
    ).fetchone()[0]
    if exists:
        return schema
    names = sorted({team.lower() for team in teams})  # matched case-insensitively, as goals are
    (repos,) = con.execute(
        f"select coalesce(list(distinct repo order by repo), []) from {SNAPSHOT}.team_repositories "
        "where lower(team) in (select unnest(?::varchar[]))",
        [names],
    ).fetchone()
    # Literal lists, not subqueries: DuckDB pushes a constant IN-list into the table scan, so a
    # slice reads less than the whole snapshot instead of joining every row against a subquery.
    in_teams, in_repos = _literal_list(names), _literal_list(repos)
    con.execute("begin")
    try:
        con.execute(f"create schema {schema}")
        for table, columns in _snapshot_columns(con).items():
            where = _predicate(table, columns, in_teams, in_repos)
            quoted = '"' + table.replace('"', '""') + '"'
            con.execute(
                f"create view {schema}.{quoted} as select * from {SNAPSHOT}.{quoted} where {where}"
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return schema


def _literal_list(values: list[str]) -> str:
    """`('a', 'b''s')`; `(null)` for none, which no value is in."""
    return "(" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + ")" if values else "(null)"  # fmt: skip


def _snapshot_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = 'snapshot' and schema_name = 'main' order by all"
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    return columns
