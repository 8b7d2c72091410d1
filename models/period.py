"""A period's DORA measures, defined once as the DuckDB table macro `dora_period`.

`models/macros/dora_period.sql` holds it. The build defines it before the models (`dora_summary`
calls it on the build window over `marts.deployments` and `marts.changes`); readers of a
snapshot (dashboard, weekly email) put `PERIOD_MACRO` in front of their query, as they do with
`dora_level`, and call it on the snapshot's `deployments` and `changes`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

PERIOD_MACRO = (Path(__file__).parent / "macros" / "dora_period.sql").read_text().strip() + ";\n"


def define_period_macro(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temporary table macro `dora_period` on `con` (read-only connections included)."""
    con.execute(PERIOD_MACRO)
