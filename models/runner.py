"""Build the SQL models in dependency order, then run the SQL tests; a test with rows fails the build.

Each model is one `.sql` file holding one `create or replace` statement, named after the table it
makes (`models/intermediate/int_x.sql` -> `int.int_x`). Dependencies are read from the
`schema.table` names a file mentions, so no ordering prefixes are needed. Two models are computed
in Python: `commit_ranges`, an ancestry walk that SQL can only do with one iteration per commit,
and `orchestrator.mart`, the proposed orchestrator workflow of each repository.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from models import commit_ranges
from models.levels import define_level_macro
from models.period import define_period_macro
from orchestrator import mart as orchestration

MODELS_DIR = Path(__file__).parent
LAYERS = {"staging": "stg", "intermediate": "int", "marts": "marts"}
REFERENCE_CSV = MODELS_DIR / "reference" / "dora_levels.csv"
_REFERENCE = re.compile(r"\b(stg|int|marts|ref)\.([a-z_][a-z0-9_]*)\b", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
_CREATES = re.compile(r"\bcreate\s+or\s+replace\s+(table|view)\b", re.IGNORECASE)


@dataclass
class Model:
    """One table or view of the build: from a `.sql` file, or from a Python function."""

    name: str  # schema.table
    depends_on: set[str]
    path: Path | None = None
    builder: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    seconds: float = 0.0


@dataclass
class TestFailure:
    """A SQL test that returned rows: its name, the columns and the first offending rows."""

    name: str
    columns: list[str]
    rows: list[tuple]
    total: int


class BuildFailed(Exception):
    """A model did not build, or a SQL test returned rows; nothing may be published."""

    def __init__(self, message: str, failures: list[TestFailure] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or []


@dataclass
class BuildResult:
    models: list[Model] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _references(sql: str) -> set[str]:
    return {f"{s.lower()}.{t.lower()}" for s, t in _REFERENCE.findall(_COMMENT.sub("", sql))}


def discover(models_dir: Path = MODELS_DIR) -> list[Model]:
    """Every model under the layer folders, plus the Python ones, with their dependencies."""
    models = []
    for folder, schema in LAYERS.items():
        for path in sorted((models_dir / folder).glob("*.sql")):
            name = f"{schema}.{path.stem}"
            models.append(Model(name, _references(path.read_text()) - {name}, path=path))
    models.append(
        Model(
            commit_ranges.TABLE,
            set(commit_ranges.DEPENDS_ON),
            builder=commit_ranges.build,
        )
    )
    models.append(
        Model(orchestration.TABLE, set(orchestration.DEPENDS_ON), builder=orchestration.build)
    )
    return models


def in_dependency_order(models: list[Model]) -> list[Model]:
    """Topological order; references to tables that are not models (raw, cfg) are inputs."""
    by_name = {m.name: m for m in models}
    sorter = TopologicalSorter({m.name: m.depends_on & by_name.keys() for m in models})
    return [by_name[name] for name in sorter.static_order()]


def load_reference(con: duckdb.DuckDBPyConnection, csv_path: Path = REFERENCE_CSV) -> None:
    """Reference data (DORA level bands) into `ref.*`, typed by the CSV header."""
    con.execute("create schema if not exists ref")
    con.execute(
        "create or replace table ref.dora_levels as select * from read_csv(?, header = true, "
        "auto_detect = true)",
        [str(csv_path)],
    )


def run_models(con: duckdb.DuckDBPyConnection, models: list[Model]) -> list[Model]:
    """Create every model in order; a failing statement names its file."""
    for schema in ("stg", "int", "marts"):
        con.execute(f"create schema if not exists {schema}")
    load_reference(con)
    define_level_macro(con)
    define_period_macro(con)
    ordered = in_dependency_order(models)
    existing = _existing_kinds(con)
    for model in ordered:
        started = time.perf_counter()
        try:
            if model.builder:
                model.builder(con)
            else:
                sql = model.path.read_text()
                _drop_if_other_kind(con, model.name, existing.get(model.name), sql)
                con.execute(sql)
        except duckdb.Error as exc:
            where = model.path.relative_to(MODELS_DIR.parent) if model.path else model.name
            raise BuildFailed(f"model {where} failed: {exc}") from exc
        model.seconds = time.perf_counter() - started
    return ordered


def _existing_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """schema.name -> table or view, for what the previous build of this catalog left."""
    return {
        f"{schema}.{name}": kind
        for schema, name, kind in con.execute(
            "select schema_name, table_name, 'table' from duckdb_tables() "
            "where database_name = current_database() union all "
            "select schema_name, view_name, 'view' from duckdb_views() "
            "where database_name = current_database() and not internal"
        ).fetchall()
    }


def _drop_if_other_kind(
    con: duckdb.DuckDBPyConnection, name: str, existing: str | None, sql: str
) -> None:
    """A model that became a view (or a table) since the last build: `create or replace` cannot
    change an object's kind, so the old one goes first."""
    creates = _CREATES.search(_COMMENT.sub("", sql))
    if existing and creates and creates.group(1).lower() != existing:
        con.execute(f"drop {existing} {name}")


def run_tests(
    con: duckdb.DuckDBPyConnection, tests_dir: Path = MODELS_DIR / "tests", shown: int = 10
) -> tuple[list[str], list[TestFailure]]:
    """Run every SQL test; each must return no rows."""
    names, failures = [], []
    for path in sorted(tests_dir.glob("*.sql")):
        names.append(path.stem)
        result = con.execute(path.read_text())
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
        if rows:
            failures.append(TestFailure(path.stem, columns, rows[:shown], len(rows)))
    return names, failures


def format_failures(failures: list[TestFailure]) -> str:
    """The offending rows of each failed test, as readable text."""
    lines = []
    for failure in failures:
        lines.append(f"SQL test {failure.name}: {failure.total} offending row(s)")
        lines.append("  " + " | ".join(failure.columns))
        lines.extend("  " + " | ".join(str(v) for v in row) for row in failure.rows)
    return "\n".join(lines)


def build(con: duckdb.DuckDBPyConnection, models_dir: Path = MODELS_DIR) -> BuildResult:
    """Build every model and run the SQL tests; raise `BuildFailed` showing offending rows."""
    started = time.perf_counter()
    built = run_models(con, discover(models_dir))
    tests, failures = run_tests(con, models_dir / "tests")
    if failures:
        raise BuildFailed(
            f"{len(failures)} SQL test(s) failed\n{format_failures(failures)}", failures
        )
    return BuildResult(built, tests, time.perf_counter() - started)
