"""The comparison the fault and kill tests rely on sees every kind of difference."""

from __future__ import annotations

import shutil

import duckdb
from table_diff import compare_databases


def test_compare_finds_changed_missing_duplicated_rows_and_missing_tables(tmp_path):
    a = tmp_path / "a.duckdb"
    with duckdb.connect(str(a)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.t as select range as n, 'x' || range as s from range(10)")
        con.execute("create table raw.u as select 1 as n")
        con.execute(
            "create table raw.sync_state as select 'r' as repo, now()::timestamp as synced_at"
        )
    b = tmp_path / "b.duckdb"
    shutil.copy(a, b)
    same = compare_databases(a, b, ("raw",))
    assert same.differences == 0 and same.rows_compared == 12

    with duckdb.connect(str(b)) as con:
        con.execute("update raw.t set s = 'changed' where n = 1")  # 1 missing + 1 extra
        con.execute("delete from raw.t where n = 2")  # 1 missing
        con.execute("insert into raw.t select * from raw.t where n = 3")  # 1 extra (duplicate)
        con.execute("update raw.sync_state set synced_at = synced_at + interval 1 hour")
        con.execute("drop table raw.u")
    found = compare_databases(a, b, ("raw",))
    (t,) = [d for d in found.tables if d.name == "raw.t"]
    assert (t.missing_rows, t.extra_rows) == (2, 2)
    assert found.problems and "raw.u" in found.problems[0]
    # synced_at is a declared wall-clock column: a later sync time is not a difference
    assert [d.differences for d in found.tables if d.name == "raw.sync_state"] == [0]
    assert found.differences == 5
