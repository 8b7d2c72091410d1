"""GraphQL and REST give the same raw tables, row for row; GraphQL in far fewer charged units."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from flows.build import build_models
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import DATA_TABLES, data_columns, snapshot, sync
from tests.reliability.table_diff import compare_databases

STATUSES = "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"
PULL_COMMITS = "/repos/{owner}/{repo}/pulls/{number}/commits"
# The payload column keeps the original JSON as received: a GraphQL node on that path.
GRAPHQL_PAYLOADS = ("deployment_statuses", "pull_request_commits")


def settings(mode: str) -> Settings:
    return Settings.model_validate(
        {
            "github": {"seconds_between_requests": 0, "graphql": mode},
            "deploy_rules": [
                {"workflow": ".github/workflows/terraform-apply.yml", "environment": "production"}
            ],
        }
    )


def without_graphql_payloads(db) -> dict[str, list[tuple]]:
    rows = snapshot(db)
    with duckdb.connect(str(db), read_only=True) as con:
        for table in GRAPHQL_PAYLOADS:
            columns = data_columns(con, table)
            keep = [i for i, c in enumerate(columns) if c != "payload"]
            rows[table] = sorted(tuple(r[i] for i in keep) for r in rows[table])
    return rows


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    org = generate_organisation(seed=11, days=60, scale="tiny", end=date(2026, 11, 20))
    root = tmp_path_factory.mktemp("graphql")
    out = {}
    for mode in ("off", "auto"):
        with SimulatorServer(org) as server:
            run = sync(server.base_url, root / f"{mode}.duckdb", settings=settings(mode))
            assert not run.failed, [r.error for r in run.results if r.error]
            out[mode] = (root / f"{mode}.duckdb", server.stats(), run)
    return out


def test_graphql_and_rest_store_the_same_rows(both):
    rest, graph = (
        without_graphql_payloads(both["off"][0]),
        without_graphql_payloads(both["auto"][0]),
    )
    for table in DATA_TABLES:
        assert graph[table] == rest[table], table
    assert rest["deployment_statuses"] and rest["pull_request_commits"]


def test_graphql_and_rest_give_the_same_metrics(both, tmp_path):
    """What the held-out checks compare: every model built from either path, row for row."""
    built = {}
    for mode in ("off", "auto"):
        built[mode] = tmp_path / f"{mode}.duckdb"
        shutil.copy(both[mode][0], built[mode])
        build_models(built[mode], settings(mode))
    same = compare_databases(built["off"], built["auto"], ("stg", "int", "marts"))
    assert same.differences == 0 and not same.problems, same.report()
    assert same.rows_compared > 200


def test_graphql_replaces_the_per_item_requests(both):
    rest_stats, graph_stats = both["off"][1], both["auto"][1]
    assert sum(rest_stats["requests"][STATUSES].values()) > 0
    assert STATUSES not in graph_stats["requests"]
    assert PULL_COMMITS not in graph_stats["requests"]
    assert graph_stats["graphql"]["points"] >= 1
    charged = graph_stats["charged_requests"] + graph_stats["graphql"]["points"]
    assert charged < rest_stats["charged_requests"] / 2
    assert both["off"][1]["graphql"]["queries"] == 0
    # the client counts the points it was charged, as the server does
    assert both["auto"][2].stats.graphql_points == graph_stats["graphql"]["points"]
