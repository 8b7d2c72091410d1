"""Property-based: arbitrary, truncated and wrongly typed input never crashes a parser.

Workflow YAML gives a definition or an error; a malformed payload item is skipped with a reason
while the others become rows that the raw store accepts; a config file gives Settings or ConfigError.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import payloads
from ingest.store import Store, StoreError, check_database
from ingest.workflow_yaml import parse_workflow
from settings.config import ConfigError, Settings, load_settings

# Derandomized: the same examples on every run, so CI never turns red at random.
FAST = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- Workflow YAML ---

VALID_WORKFLOW = """\
name: Deploy
on:
  push:
    branches: [main]
  workflow_run:
    workflows: [CI]
    types: [completed]
jobs:
  build:
    runs-on: ubuntu-latest
    steps: [{run: make}]
  deploy:
    needs: build
    environment: {name: production, url: https://example.com}
    uses: acme/infra/.github/workflows/deploy.yml@main
"""

yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["name", "needs", "environment", "uses", "on", "jobs", "x"]),
            inner,
            max_size=4,
        )
    ),  # fmt: skip
    max_leaves=12,
)


def _check_workflow(text: str) -> None:
    definition, error = parse_workflow(text)
    assert (definition is None) != (error is None)
    if error is not None:
        assert isinstance(error, str) and error
        return
    json.dumps(definition)  # it is stored as JSON
    assert set(definition) == {"name", "on", "workflow_run", "jobs"}
    assert definition["name"] is None or isinstance(definition["name"], str)
    assert all(isinstance(e, str) for e in definition["on"] + definition["workflow_run"])
    for job in definition["jobs"]:
        assert set(job) == {"id", "name", "uses", "needs", "environment"}
        assert all(isinstance(n, str) for n in job["needs"])
        for field in ("name", "uses", "environment"):
            assert job[field] is None or isinstance(job[field], str)


def test_a_real_workflow_is_normalised():
    definition, error = parse_workflow(VALID_WORKFLOW)
    assert error is None
    assert definition["on"] == ["push", "workflow_run"] and definition["workflow_run"] == ["CI"]
    deploy = definition["jobs"][1]
    assert deploy["needs"] == ["build"] and deploy["environment"] == "production"


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_gives_a_definition_or_an_error(text):
    _check_workflow(text)


@FAST
@given(st.integers(min_value=0, max_value=len(VALID_WORKFLOW)))
def test_truncated_workflow_gives_a_definition_or_an_error(cut):
    _check_workflow(VALID_WORKFLOW[:cut])


@FAST
@given(yaml_values, yaml_values, yaml_values)
def test_wrongly_typed_fields_give_a_definition_or_an_error(name, on, jobs):
    text = json.dumps({"name": name, "on": on, "jobs": jobs})  # JSON is YAML
    _check_workflow(text)
    _check_workflow(json.dumps({"jobs": {"deploy": {"needs": on, "environment": name}}}))


def _job(job_id: str, needs: list[str] = (), environment: str | None = None) -> dict:
    return {"id": job_id, "name": None, "uses": None, "needs": list(needs), "environment": environment}  # fmt: skip


def _definition(on: list[str] = (), jobs: list[dict] = ()) -> dict:
    return {"name": None, "on": list(on), "workflow_run": [], "jobs": list(jobs)}


@pytest.mark.parametrize(
    ("text", "definition"),
    [
        # a self-referencing `needs:` is not a job name: dropped
        ("jobs: &j {a: {needs: *j}}", _definition(jobs=[_job("a")])),
        # a recursive `on:` list is shown as the text PyYAML gives it, never followed
        ("on: &o [*o]\njobs: {}", _definition(on=["[[...]]"])),
        # keys and values that are not text become text
        ("jobs: {1: {needs: [1, 2]}, null: {environment: 7}}",
         _definition(jobs=[_job("1", needs=["1", "2"]), _job("None", environment="7")])),
    ],
)  # fmt: skip
def test_yaml_aliases_and_odd_keys_give_a_plain_definition(text, definition):
    _check_workflow(text)
    assert parse_workflow(text) == (definition, None)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("jobs: " + "[" * 5000, "YAML error: nested too deeply"),
        ("? [a, b]\n: c", "YAML error: while constructing a mapping"),
        ("\x00\x01", "YAML error: unacceptable character #x0000"),
        ("%YAML 9.9\n---\n{}", "YAML error: found incompatible YAML document"),
    ],
)
def test_unreadable_yaml_gives_an_error(text, error):
    definition, message = parse_workflow(text)
    assert definition is None
    assert message.startswith(error), message


# --- GitHub payload parsers ---

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    # out of BIGINT range and out-of-range timestamps: see the dedicated tests below
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            "2026-11-20T10:00:00Z",
            "2026-11-20T10:00:00+05:30",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59Z",
            "2026-13-40T00:00:00Z",
            "",
            "yesterday",
        ]
    ),  # fmt: skip
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),  # fmt: skip
    max_leaves=8,
)
FIELDS = [
    "id", "sha", "number", "name", "created_at", "updated_at", "run_id", "run_attempt",
    "workflow_id", "commit", "parents", "labels", "actor", "user", "head", "protection_rules",
    "state", "path", "html_url", "run_started_at", "closed_at", "merged_at", "author",
]  # fmt: skip
items = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10),
)
PARSERS = {
    "repositories": lambda item: payloads.repository_row("acme/web", item),
    "workflows": lambda item: payloads.workflow_row("acme/web", item),
    "workflow_runs": lambda item: payloads.workflow_run_row("acme/web", item),
    "workflow_jobs": lambda item: payloads.workflow_job_row("acme/web", item),
    "deployments": lambda item: payloads.deployment_row("acme/web", item),
    "deployment_statuses": lambda item: payloads.deployment_status_row("acme/web", 1, item),
    "environments": lambda item: payloads.environment_row("acme/web", item),
    "commits": lambda item: payloads.commit_row("acme/web", item),
    "pull_requests": lambda item: payloads.pull_request_row("acme/web", item),
    "pull_request_commits": lambda item: payloads.pull_request_commit_row("acme/web", 1, item),
    "issues": lambda item: payloads.issue_row("acme/web", item),
}


@pytest.fixture(scope="module")
def store():
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "dora.duckdb") as raw:
        yield raw


@pytest.mark.parametrize("table", sorted(PARSERS))
def test_malformed_items_are_skipped_with_a_reason_and_the_rest_is_stored(table, store):
    @settings(
        max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(st.lists(items, max_size=4))
    def check(batch):
        rows, skipped = payloads.rows_or_skips(batch, PARSERS[table])
        assert len(rows) + len(skipped) == len(batch)
        for skip in skipped:
            assert isinstance(skip, payloads.MalformedItem) and skip.reason
            assert isinstance(skip.key, str)
        with store.transaction() as tx:  # what was accepted must be storable
            tx.upsert(table, rows)

    check()


def test_a_timestamp_out_of_range_is_a_skipped_item():
    item = {"id": 1, "created_at": "0001-01-01T00:00:00+01:00"}
    rows, skipped = payloads.rows_or_skips([item], PARSERS["deployments"])
    assert rows == [] and len(skipped) == 1


def test_an_id_too_large_for_bigint_is_a_skipped_item(store):
    rows, skipped = payloads.rows_or_skips([{"id": 2**64}, {"id": 5}], PARSERS["workflows"])
    with store.transaction() as tx:
        tx.upsert("workflows", rows)
    assert len(skipped) == 1


def test_a_database_file_named_raw_duckdb_is_refused_with_one_clear_line(tmp_path):
    # DuckDB names the catalog after the file stem, so in raw.duckdb every `raw.<table>` is
    # ambiguous. The store could qualify its own names, but the plain-SQL models (and every
    # reader) use `raw.<table>` too: the file would ingest and then fail at `dora build`. So the
    # store refuses the name up front, before creating anything, with a message that says why.
    db = tmp_path / "raw.duckdb"
    with pytest.raises(StoreError, match=r"raw\.duckdb.*clashes with the schema `raw`") as caught:
        Store(db)
    assert "\n" not in str(caught.value) and not db.exists()
    with pytest.raises(StoreError, match="clashes"):
        check_database(db)  # what `dora ingest` runs before starting its flow


# --- The config loader ---

KEYS = {
    "": ["repos"],
    "github": ["base_url", "per_page", "concurrency", "timeout_seconds", "since"],
    "environments": ["aliases", "service_pattern", "promotion_order"],
    "metrics": ["edition", "window_days", "rollback_pattern", "verification_workflows"],
    "incidents": ["labels", "attribution_window_hours"],
    "email": ["smtp_port", "security", "recipients"],
    "schedule": ["pipeline_cron", "timezone"],
    "[deploy_rules]": ["workflow", "name_regex", "environment", "service"],
}
toml_values = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats(allow_nan=True).map(
        lambda f: {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(f), repr(f))
    ),  # fmt: skip
    st.booleans().map(lambda b: str(b).lower()),
    st.text(max_size=15).map(json.dumps),
    st.sampled_from(
        [
            '"(?P<environment>x"',
            '"(((("',
            '"2026-02-30"',
            '[1, "a"]',
            "{a = 1}",
            '["acme/*", "x"]',
            "1979-05-27T07:32:00Z",
            '"2023"',
            "[[1]]",
        ]
    ),  # fmt: skip
)


@st.composite
def toml_documents(draw) -> str:
    lines = []
    for section in draw(st.lists(st.sampled_from(list(KEYS)), max_size=4)):
        if section.startswith("[["):
            lines.append("[[deploy_rules]]")
        elif section:
            lines.append(f"[{section}]")
        for key in draw(st.lists(st.sampled_from(KEYS[section] + ["unknown"]), max_size=3)):
            lines.append(f"{key} = {draw(toml_values)}")
    text = "\n".join(lines)
    cut = draw(st.none() | st.integers(min_value=0, max_value=len(text)))
    return text if cut is None else text[:cut]


def _load(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dora.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            assert isinstance(load_settings(path), Settings)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(str(path)) and "\n" not in message.strip(), message


@FAST
@given(toml_documents())
def test_toml_ish_config_gives_settings_or_a_config_error(text):
    _load(text)


@FAST
@given(st.text(max_size=200) | st.binary(max_size=100))
def test_arbitrary_config_text_gives_settings_or_a_config_error(text):
    _load(text)


@pytest.mark.slow
def test_soak_random_payloads_and_workflows(store):
    # The long variant: fresh random examples on each run, many more of them.
    @settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(PARSERS)), st.lists(items, max_size=6), st.text(max_size=400))
    def check(table, batch, text):
        rows, skipped = payloads.rows_or_skips(batch, PARSERS[table])
        assert len(rows) + len(skipped) == len(batch)
        with store.transaction() as tx:
            tx.upsert(table, rows)
        _check_workflow(text)

    check()
