"""Compare two DuckDB files table by table, row for row, with every exclusion written down.

Rows are compared as multisets (EXCEPT ALL both ways) of their text form, so a duplicated row,
a missing row and a changed value all count. Values that only name the simulator's port
(`127.0.0.1:PORT`) are normalised: two runs against two servers differ in nothing else there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

# (schema, table) -> columns that legitimately differ between two correct runs. Each one records
# *when* something happened on this machine, not what GitHub said or what the models computed.
VOLATILE_COLUMNS: dict[tuple[str, str], frozenset[str]] = {
    # when this database's raw schema was created or upgraded
    ("raw", "schema_version"): frozenset({"applied_at"}),
    # wall-clock time the stream's sync finished (its cursor_at, the data position, is compared)
    ("raw", "sync_state"): frozenset({"synced_at"}),
    # wall-clock time of the fetch; url, etag and summary (what was fetched) are compared
    ("raw", "http_etags"): frozenset({"fetched_at"}),
    ("raw", "workflow_files"): frozenset({"fetched_at"}),
    ("raw", "compared_shas"): frozenset({"fetched_at"}),
    # wall-clock time a skipped item was last seen; the item and its reason are compared
    ("raw", "skipped_items"): frozenset({"seen_at"}),
    # built_at is now() at build time; last_synced_at is max(raw.sync_state.synced_at), above
    ("marts", "snapshot_info"): frozenset({"built_at", "last_synced_at"}),
    ("main", "snapshot_info"): frozenset({"built_at", "last_synced_at"}),  # the published copy
}
# The sync's own bookkeeping: the ETag cache is keyed by the URLs this database's sync history
# asked for (a second sync asks `since=<cursor>` URLs a first one never did) and the cursors
# depend on how many syncs ran. Compared when both sides synced once; skipped after re-runs (a
# killed run plus its re-run), where the rows they describe are what must be equal.
SYNC_BOOKKEEPING = frozenset({("raw", "http_etags"), ("raw", "sync_state")})
PORT_PATTERN = r"127\.0\.0\.1:[0-9]+"


@dataclass
class TableDiff:
    """One table of the comparison: rows on each side and rows found on one side only."""

    name: str
    rows_expected: int
    rows_actual: int
    only_expected: list[tuple] = field(default_factory=list)
    only_actual: list[tuple] = field(default_factory=list)
    missing_rows: int = 0
    extra_rows: int = 0

    @property
    def differences(self) -> int:
        return self.missing_rows + self.extra_rows


@dataclass
class Comparison:
    """Every table of both files; `problems` is empty when they hold the same data."""

    tables: list[TableDiff] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def rows_compared(self) -> int:
        return sum(t.rows_expected for t in self.tables)

    @property
    def differences(self) -> int:
        return sum(t.differences for t in self.tables) + len(self.problems)

    def report(self, shown: int = 3) -> str:
        """The differences, readable in a failed assert."""
        lines = list(self.problems)
        for t in self.tables:
            if t.differences:
                lines.append(
                    f"{t.name}: {t.rows_expected} expected, {t.rows_actual} actual, "
                    f"{t.missing_rows} missing, {t.extra_rows} extra"
                )
                lines += [f"  missing {row}" for row in t.only_expected[:shown]]
                lines += [f"  extra   {row}" for row in t.only_actual[:shown]]
        return "\n".join(lines) or "no differences"


def base_tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]) -> list:
    """(schema, table) of every base table of `catalog` in `schemas`, in name order."""
    return con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "and list_contains(?, schema_name) order by all",
        [catalog, list(schemas)],
    ).fetchall()


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
            "and table_name = ? order by column_index",
            [catalog, schema, table],
        ).fetchall()
    ]


def compare_databases(
    expected: Path,
    actual: Path,
    schemas: tuple[str, ...],
    skip: frozenset[tuple[str, str]] = frozenset(),
    shown: int = 3,
) -> Comparison:
    """Every base table of `schemas` (but `skip`) in both files: same tables, columns, rows."""
    result = Comparison()
    with duckdb.connect() as con:
        con.execute(f"attach '{expected}' as expected (read_only)")
        con.execute(f"attach '{actual}' as actual (read_only)")
        want = [t for t in base_tables(con, "expected", schemas) if t not in skip]
        got = [t for t in base_tables(con, "actual", schemas) if t not in skip]
        if want != got:
            missing = [".".join(t) for t in sorted(set(want) - set(got))]
            extra = [".".join(t) for t in sorted(set(got) - set(want))]
            result.problems.append(f"tables differ: missing {missing}, extra {extra}")
        for schema, table in sorted(set(want) & set(got)):
            result.tables.append(_compare_table(con, schema, table, result, shown))
    return result


def _compare_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, result: Comparison, shown: int
) -> TableDiff:
    name = f"{schema}.{table}"
    columns = _columns(con, "expected", schema, table)
    if columns != _columns(con, "actual", schema, table):
        result.problems.append(f"{name}: columns differ")
    volatile = VOLATILE_COLUMNS.get((schema, table), frozenset())
    select = ", ".join(
        f"regexp_replace(\"{c}\"::varchar, '{PORT_PATTERN}', 'BASE', 'g') as \"{c}\""
        for c in columns
        if c not in volatile
    )

    def rows(side: str) -> str:
        return f"select {select} from {side}.{schema}.{table}"

    def count(sql: str) -> int:
        return con.execute(f"select count(*) from ({sql})").fetchone()[0]

    missing = f"{rows('expected')} except all {rows('actual')}"
    extra = f"{rows('actual')} except all {rows('expected')}"
    diff = TableDiff(name, count(rows("expected")), count(rows("actual")))
    diff.missing_rows, diff.extra_rows = count(missing), count(extra)
    if diff.differences:
        diff.only_expected = con.execute(f"{missing} limit {shown}").fetchall()
        diff.only_actual = con.execute(f"{extra} limit {shown}").fetchall()
    return diff
