"""DORA level banding, defined once as the DuckDB macro `dora_level` (models/macros/dora_level.sql).

The build defines it before the models (dora_summary calls it on `ref.dora_levels`); readers of a
snapshot (dashboard, weekly email) put `LEVEL_MACRO` in front of their query, since they open a
connection per query, and call it on the snapshot's `dora_levels`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from settings.metrics_catalogue import LEVELLED

LEVEL_MACRO = (Path(__file__).parent / "macros" / "dora_level.sql").read_text().strip() + ";\n"
METRICS = LEVELLED  # the banded metrics of the catalogue (settings/metrics_catalogue.py)
# the fields of the macro's `measures` struct (every one must be given)
MEASURES = (
    "deploy_days_per_week_p50",
    "deploy_days_per_month_p50",
    "deploy_days",
    "lead_time_p50_seconds",
    "change_fail_rate",
    "recovery_p50_seconds",
)


def define_level_macro(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temporary macro `dora_level` on `con` (read-only connections included)."""
    con.execute(LEVEL_MACRO)
