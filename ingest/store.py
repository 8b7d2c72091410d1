"""The raw DuckDB layer: schema upgrades, bulk upserts by natural key, sync state and ETags.

Every write goes through `Store.transaction()`: the rows of a page, the page's ETag and (at the
end of a stream) its cursor commit together, so a process killed at any moment leaves either all
of a page or none of it. Writes are serialised by a lock (DuckDB has one writer per file; repos
are fetched on several threads); reads and network I/O are not.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

SCHEMA_FILE = Path(__file__).with_name("raw_schema.sql")
SCHEMA_VERSION = 3  # 3: raw.commit_files

# Upgrades for files created by an older raw_schema.sql (additive only: MODELS reads these tables).
UPGRADES = ("alter table raw.http_etags add column if not exists summary json",)

_ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
    "DOUBLE": pa.float64(),
}


_NEW_FLAG = "dora_upsert_is_new"  # a column of `Transaction.upsert`'s comparison, not of a table


def utc_now() -> datetime:
    """Now as naive UTC, the way every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    key: tuple[str, ...]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [(c, _ARROW_TYPES[t]) for c, t in zip(self.columns, self.types, strict=True)]
        )


@dataclass
class UpsertCount:
    new: int = 0
    updated: int = 0

    def add(self, other: UpsertCount) -> None:
        self.new += other.new
        self.updated += other.updated


@dataclass(frozen=True)
class StoredEtag:
    etag: str
    summary: dict[str, Any]


class StoreError(Exception):
    """A database file the raw store must not use; the message is one line for the CLI."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _refuse_clashing_name(path: Path) -> None:
    # DuckDB names the catalog after the file stem, so in `raw.duckdb` every `raw.<table>` is an
    # ambiguous reference (catalog or schema?). The plain-SQL models use `raw.<table>` everywhere,
    # so qualifying names here alone would only move the failure to `dora build`.
    if path.stem.lower() == "raw":
        raise StoreError(
            f"{path}: a database file named {path.name} clashes with the schema `raw` "
            "(DuckDB names the catalog after the file); use another name, e.g. dora.duckdb"
        )


def _refuse_newer_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return
    stored = con.execute("select max(version) from raw.schema_version").fetchone()[0]
    if stored is not None and stored > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: written by raw schema version {stored}, newer than this dora's version "
            f"{SCHEMA_VERSION}; upgrade dora-pipeline (the database was left as it is)"
        )


def check_database(path: str | Path) -> None:
    """Refuse, without writing, a database the raw store cannot use (bad name, corrupt, newer)."""
    path = Path(path)
    _refuse_clashing_name(path)
    if not path.exists():
        # the folder is created on first use: a file where it goes would fail inside the flow
        folder = next(p for p in path.absolute().parents if p.exists())
        if not folder.is_dir():
            raise StoreError(f"{path}: cannot create the database ({folder} is not a folder)")
        return
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"{path}: cannot open the database ({_first_line(exc)})") from None
    try:
        _refuse_newer_schema(con, path)
    except duckdb.Error as exc:
        raise StoreError(f"{path}: cannot read the database ({_first_line(exc)})") from None
    finally:
        con.close()


def create_missing_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create, empty, the raw tables that a database written by an older ingest lacks, so a build
    before the next ingest finds every table the models read. Only in a single writer's database
    (one with raw tables): a sharded build's `raw` holds views of the shards (`models.shards`)."""
    tables = con.execute(
        "select count(*) from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'raw'"
    ).fetchone()[0]
    if tables:
        con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


class Store:
    """One DuckDB file holding schema `raw`; thread-safe for the ingest's writers."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        _refuse_clashing_name(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path))
        self._lock = threading.RLock()
        self._tables: dict[str, TableInfo] = {}
        self._upsert_sql: dict[str, tuple[str, str]] = {}
        try:
            _refuse_newer_schema(self._con, self.path)  # before any write
            self._create_or_upgrade()
        except BaseException:
            self._con.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create_or_upgrade(self) -> None:
        with self._lock:
            con = self._con
            con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
            for statement in UPGRADES:
                con.execute(statement)
            current = con.execute("select max(version) from raw.schema_version").fetchone()[0]
            if current is None or current < SCHEMA_VERSION:
                con.execute(
                    "insert into raw.schema_version values (?, ?)", [SCHEMA_VERSION, utc_now()]
                )

    def table(self, name: str) -> TableInfo:
        """Columns, DuckDB types and primary key of `raw.<name>`."""
        if name not in self._tables:
            with self._lock:
                cols = self._con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                    [name],
                ).fetchall()
                key = self._con.execute(
                    "select constraint_column_names from duckdb_constraints() "
                    "where schema_name = 'raw' and table_name = ? and constraint_type = 'PRIMARY KEY'",
                    [name],
                ).fetchone()
            if not cols:
                raise KeyError(f"no table raw.{name}")
            self._tables[name] = TableInfo(
                name, tuple(c for c, _ in cols), tuple(t for _, t in cols), tuple(key[0])
            )
        return self._tables[name]

    def upsert_sql(self, info: TableInfo) -> tuple[str, str]:
        """The two statements of `Transaction.upsert` for a table, built once per table."""
        if info.name not in self._upsert_sql:
            cols = ", ".join(f'"{c}"' for c in info.columns)
            casts = ", ".join(
                f'cast(i."{c}" as {t}) as "{c}"'
                for c, t in zip(info.columns, info.types, strict=True)
            )
            keys = " and ".join(f'c."{k}" = t."{k}"' for k in info.key)
            in_bounds = " and ".join(f'"{k}" between ? and ?' for k in info.key)
            differs = " or ".join(f'c."{c}" is distinct from t."{c}"' for c in info.columns)
            missing = f't."{info.key[0]}" is null'  # no stored row with this key
            # Only rows that differ from what is stored are written: a re-sync changes no row.
            # One stored row at most per key (primary key), so this equals an EXCEPT of the
            # stored rows, with nulls equal, and also tells new rows from changed ones.
            select_changed = (
                f'select c.*, {missing} as "{_NEW_FLAG}" '
                f"from (select {casts} from incoming_rows i) c "
                f"left join (select * from raw.{info.name} where {in_bounds}) t on {keys} "
                f"where {missing} or {differs}"
            )
            write_changed = (
                f"insert or replace into raw.{info.name} ({cols}) "
                f"select {casts} from changed_rows i"
            )
            self._upsert_sql[info.name] = (select_changed, write_changed)
        return self._upsert_sql[info.name]

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run a read query on its own cursor."""
        with self._lock:
            cursor = self._con.cursor()
        try:
            return cursor.execute(sql, params or []).fetchall()
        finally:
            cursor.close()

    def etag(self, url: str) -> StoredEtag | None:
        rows = self.query("select etag, summary from raw.http_etags where url = ?", [url])
        if not rows or not rows[0][0]:
            return None
        return StoredEtag(rows[0][0], json.loads(rows[0][1]) if rows[0][1] else {})

    def etags_under(self, prefix: str) -> dict[str, StoredEtag]:
        """Every stored ETag of `prefix` itself and of the URLs below it (`prefix/...`, `prefix?...`)."""
        rows = self.query(
            "select url, etag, summary from raw.http_etags "
            "where url = ? or starts_with(url, ?) or starts_with(url, ?)",
            [prefix, prefix + "/", prefix + "?"],
        )
        return {
            url: StoredEtag(etag, json.loads(summary) if summary else {})
            for url, etag, summary in rows
            if etag
        }

    def state(self, repo: str, stream: str) -> tuple[datetime | None, dict[str, Any]]:
        """The stream's cursor and details, or (None, {}) before its first complete sync."""
        rows = self.query(
            "select cursor_at, details from raw.sync_state where repo = ? and stream = ?",
            [repo, stream],
        )
        if not rows:
            return None, {}
        return rows[0][0], json.loads(rows[0][1]) if rows[0][1] else {}

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All writes inside commit together or not at all."""
        with self._lock:
            cursor = self._con.cursor()
            cursor.begin()
            try:
                tx = Transaction(self, cursor)
                yield tx
                tx._write_etags()
            except BaseException:
                cursor.rollback()
                cursor.close()
                raise
            cursor.commit()
            cursor.close()


class Transaction:
    """The write operations of one transaction (see `Store.transaction`)."""

    def __init__(self, store: Store, cursor: duckdb.DuckDBPyConnection) -> None:
        self._store = store
        self._cur = cursor
        self._etags: dict[str, tuple[str, str]] = {}  # url -> (etag, summary JSON), last one wins

    def upsert(self, table: str, rows: list[dict[str, Any]]) -> UpsertCount:
        """Insert new rows and replace changed ones by primary key; identical rows are left alone."""
        if not rows:
            return UpsertCount()
        info = self._store.table(table)
        unique = {tuple(r.get(k) for k in info.key): r for r in rows}  # last one wins
        arrow = pa.Table.from_pylist(list(unique.values()), schema=info.arrow_schema)
        select_changed, write_changed = self._store.upsert_sql(info)
        # Each key's range on this page: the stored side of the comparison then reads only the
        # row groups near these keys, not every stored payload (that made each page cost a scan
        # of the whole table). Any stored row with one of these keys lies inside every range.
        bounds = []
        for key in info.key:
            low_high = pc.min_max(arrow.column(key))
            bounds += [low_high["min"].as_py(), low_high["max"].as_py()]
        # Two simple statements per page (DuckDB spends milliseconds planning each one, so their
        # number and shape are what a page costs): the rows that differ from what is stored, each
        # flagged new or not, then, when there are any, their write.
        self._cur.register("incoming_rows", arrow)
        try:
            changed = self._cur.sql(select_changed, params=bounds).to_arrow_table()
        finally:
            self._cur.unregister("incoming_rows")
        total = changed.num_rows
        new = pc.sum(changed.column(_NEW_FLAG)).as_py() or 0
        if total:
            self._cur.register("changed_rows", changed.drop_columns([_NEW_FLAG]))
            try:
                self._cur.execute(write_changed)
            finally:
                self._cur.unregister("changed_rows")
        return UpsertCount(new=new, updated=total - new)

    def delete(self, table: str, where: str, params: Sequence[Any]) -> int:
        return (
            self._cur.execute(f"delete from raw.{table} where {where} returning 1", list(params))
            .fetchall()
            .__len__()
        )

    def set_etag(self, url: str, etag: str | None, summary: dict[str, Any]) -> None:
        """Remember a page's ETag; written with the transaction's other writes, just before commit."""
        if not etag:
            return
        self._etags[url] = (etag, json.dumps(summary, sort_keys=True))

    def _write_etags(self) -> None:
        # One multi-row insert per transaction instead of one statement per page; it runs inside
        # the transaction, so an ETag is never stored without the rows of its page.
        if not self._etags:
            return
        fetched_at = utc_now()
        values = ", ".join(["(?, ?, ?, ?)"] * len(self._etags))
        params = [
            value
            for url, (etag, summary) in self._etags.items()
            for value in (url, etag, fetched_at, summary)
        ]
        self._cur.execute(
            f"insert or replace into raw.http_etags (url, etag, fetched_at, summary) values {values}",
            params,
        )
        self._etags.clear()

    def set_state(
        self, repo: str, stream: str, cursor_at: datetime | None, details: dict[str, Any]
    ) -> None:
        self._cur.execute(
            "insert or replace into raw.sync_state (repo, stream, cursor_at, details, synced_at) "
            "values (?, ?, ?, ?, ?)",
            [repo, stream, cursor_at, json.dumps(details, sort_keys=True), utc_now()],
        )

    def skip(self, repo: str, stream: str, item_key: str, reason: str) -> None:
        """Record a malformed item (kept for the data-quality report)."""
        self._cur.execute(
            "insert or replace into raw.skipped_items (repo, stream, item_key, reason, seen_at) "
            "values (?, ?, ?, ?, ?)",
            [repo, stream, item_key, reason[:500], utc_now()],
        )
