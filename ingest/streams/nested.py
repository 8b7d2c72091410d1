"""Per-item lists fetched in bulk through GraphQL: deployment statuses, pull-request commits.

REST needs one request per deployment (`/statuses`) and per merged pull request (`/commits`);
GraphQL returns them nested under up to 100 parents addressed by their node ids (`nodes(ids:)`),
one connection per parent: about 1 point per 100 parents, by GitHub's formula. The parents still
come from the REST lists (cheap pages, free 304s on a re-sync, and every REST field the raw tables
keep); only the per-item requests move. Rows are the REST rows, made by the same functions from
the GraphQL fields (the `payload` column keeps the GraphQL node as received). A status whose
numeric id cannot be read from its node id, and everything when the server has no GraphQL API or
`github.graphql = "off"`, goes through REST instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ingest.graphql import RATE_LIMIT_FIELDS, GraphQLUnavailable, graphql
from ingest.node_ids import database_id
from ingest.payloads import (
    MalformedItem,
    deployment_status_row,
    dump,
    pull_request_commit_row,
    rows_or_skips,
)
from ingest.streams.base import StreamContext

BATCH = 100  # node ids per query (GitHub's limit; 1 point with one nested connection)

PAGE_INFO = "pageInfo { hasNextPage endCursor }"
STATUS_FIELDS = "id state description environment logUrl createdAt updatedAt"
COMMIT_FIELDS = "commit { oid message authoredDate committedDate }"


def _queries(parent: str, field: str, fields: str) -> tuple[str, str]:
    """(first page for up to 100 parents, next page of one parent) of a nested connection."""
    children = f"{PAGE_INFO} nodes {{ {fields} }}"
    first = (
        f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on {parent} {{ id "
        f"{field}(first: 100) {{ {children} }} }} }} {RATE_LIMIT_FIELDS} }}"
    )
    more = (
        f"query($id: ID!, $after: String) {{ node(id: $id) {{ ... on {parent} {{ "
        f"{field}(first: 100, after: $after) {{ {children} }} }} }} {RATE_LIMIT_FIELDS} }}"
    )
    return first, more


STATUSES, MORE_STATUSES = _queries("Deployment", "statuses", STATUS_FIELDS)
COMMITS, MORE_COMMITS = _queries("PullRequest", "commits", COMMIT_FIELDS)


def graphql_enabled(ctx: StreamContext) -> bool:
    """GraphQL unless configured off or the server turned out to have none."""
    return ctx.settings.github.graphql != "off" and not ctx.client.stats.graphql_unavailable


def _children(
    ctx: StreamContext, parents: list[tuple[Any, str]], first: str, more: str, field: str
) -> dict[Any, list[dict] | None]:
    """Every child node of each (key, node id) parent, following pages; None for a parent
    GraphQL does not know (deleted since it was listed)."""
    out: dict[Any, list[dict] | None] = {}
    for start in range(0, len(parents), BATCH):
        batch = parents[start : start + BATCH]
        result = graphql(ctx.client, first, {"ids": [node for _, node in batch]})
        for (key, node_id), node in zip(batch, result.data.get("nodes") or [], strict=False):
            if not isinstance(node, dict) or not isinstance(node.get(field), dict):
                out[key] = None
                continue
            connection = node[field]
            children = list(connection.get("nodes") or [])
            while (connection.get("pageInfo") or {}).get("hasNextPage"):
                after = connection["pageInfo"].get("endCursor")
                data = graphql(ctx.client, more, {"id": node_id, "after": after}).data
                connection = ((data.get("node") or {}).get(field)) or {}
                children.extend(connection.get("nodes") or [])
            out[key] = children
    return out


def _rows(items: list[tuple[dict, dict]], to_row: Callable[[Any], dict]) -> tuple[list, list]:
    """Rows from REST-shaped items, each keeping its GraphQL node as the payload."""
    rows, bad = [], []
    for item, node in items:
        good, skipped = rows_or_skips([item], to_row)
        for row in good:
            row["payload"] = dump(node)
        rows.extend(good)
        bad.extend(skipped)
    return rows, bad


def deployment_statuses(
    ctx: StreamContext, deployments: list[tuple[int, str]]
) -> tuple[list[dict], list[MalformedItem], list[int]] | None:
    """(rows, malformed, deployment ids left to REST) for (deployment id, node id) pairs; None
    when the server has no GraphQL API."""
    try:
        found = _children(ctx, deployments, STATUSES, MORE_STATUSES, "statuses")
    except GraphQLUnavailable:
        ctx.client.stats.graphql_unavailable = True
        return None
    rows: list[dict] = []
    bad: list[MalformedItem] = []
    to_rest: list[int] = []
    for deployment_id, nodes in found.items():
        if nodes is None:
            continue  # deleted: as REST's 404, nothing to store
        items = [(_rest_status(node), node) for node in nodes if isinstance(node, dict)]
        if any(item["id"] is None for item, _ in items):
            to_rest.append(deployment_id)  # a node id we cannot read: REST knows the number
            continue
        good, skipped = _rows(items, partial(deployment_status_row, ctx.repo, deployment_id))
        rows.extend(good)
        bad.extend(skipped)
    return rows, bad, to_rest


def _rest_status(node: dict) -> dict:
    """A status node as the REST fields `deployment_status_row` reads. REST's deprecated
    `target_url` is set to the same value as `log_url` by GitHub."""
    state = node.get("state")
    return {
        "id": database_id(node.get("id")),
        "state": state.lower() if isinstance(state, str) else state,
        "description": node.get("description"),
        "environment": node.get("environment"),
        "log_url": node.get("logUrl"),
        "target_url": node.get("logUrl"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
    }


def pull_request_commits(
    ctx: StreamContext, pulls: list[tuple[int, str]]
) -> tuple[list[dict], list[MalformedItem]] | None:
    """(rows, malformed) for (number, node id) pairs; None when the server has no GraphQL."""
    try:
        found = _children(ctx, pulls, COMMITS, MORE_COMMITS, "commits")
    except GraphQLUnavailable:
        ctx.client.stats.graphql_unavailable = True
        return None
    rows: list[dict] = []
    bad: list[MalformedItem] = []
    for number, nodes in found.items():
        commits = [n["commit"] for n in nodes or [] if isinstance((n or {}).get("commit"), dict)]
        items = [(_rest_commit(commit), commit) for commit in commits]
        good, skipped = _rows(items, partial(pull_request_commit_row, ctx.repo, number))
        rows.extend(good)
        bad.extend(skipped)
    return rows, bad


def _rest_commit(commit: dict) -> dict:
    return {
        "sha": commit.get("oid"),
        "commit": {
            "author": {"date": commit.get("authoredDate")},
            "committer": {"date": commit.get("committedDate")},
            "message": commit.get("message"),
        },
    }
