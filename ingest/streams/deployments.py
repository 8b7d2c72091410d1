"""Deployments newest first down to the look-back, with the statuses of those that changed.

The list has no `since` filter, so it is paged newest first until a page's oldest deployment is
older than cursor - `deployments_lookback_days` (statuses arrive late). A new status bumps a deployment's
`updated_at`, so statuses are fetched only for deployments that are new, whose `updated_at`
moved, or whose latest stored state is not final: through GraphQL, 100 deployments a query
(`ingest.streams.nested`), else per deployment through REST with an ETag (a 304 is free).
Statuses commit in the same transaction as their deployment's page; the cursor (newest
`created_at`) commits with the last page, because the list runs newest first. A deepen pass
(`ingest.history`) reads the deployments older than the history read so far, the same way.
"""

from __future__ import annotations

from functools import partial

from ingest.client import NotFound
from ingest.payloads import (
    MalformedItem,
    deployment_row,
    deployment_status_row,
    rows_or_skips,
)
from ingest.streams import nested
from ingest.streams.base import Page, StreamContext, pages
from ingest.streams.incremental import DEPLOYMENTS, page_params, read_newest_first, read_older
from ingest.streams.nested import graphql_enabled

FINAL_STATES = ("success", "failure", "error", "inactive")


def sync_deployments(ctx: StreamContext) -> None:
    """Deployments and their statuses, incrementally (see the module docstring)."""
    url = ctx.url("/deployments", ctx.list_params())

    def page_rows(page: Page) -> tuple[dict[str, list[dict]], list[MalformedItem], list[Page]]:
        rows, skipped = rows_or_skips(page.items, partial(deployment_row, ctx.repo))
        statuses, status_pages, bad = _statuses_needed(ctx, rows, _node_ids(page.items))
        return {"deployments": rows, "deployment_statuses": statuses}, skipped + bad, status_pages

    if ctx.until is not None:  # a deepen pass: what is older than the history read so far
        older = lambda page_no: ctx.url("/deployments", page_params(ctx, page_no))  # noqa: E731
        read_older(ctx, DEPLOYMENTS, older, page_rows)
        return
    read_newest_first(
        ctx, DEPLOYMENTS, pages(ctx, url, cursor_field=DEPLOYMENTS.cursor_field), page_rows
    )


def _statuses_needed(
    ctx: StreamContext, rows: list[dict], node_ids_by_id: dict[int, str]
) -> tuple[list[dict], list[Page], list[MalformedItem]]:
    if not rows:
        return [], [], []
    stored = {
        row[0]: (row[1], row[2])
        for row in ctx.store.query(
            "select d.deployment_id, d.updated_at, "
            "  (select s.state from raw.deployment_statuses s "
            "   where s.repo = d.repo and s.deployment_id = d.deployment_id "
            "   order by s.created_at desc, s.status_id desc limit 1) "
            "from raw.deployments d where d.repo = ? and list_contains(?, d.deployment_id)",
            [ctx.repo, [r["deployment_id"] for r in rows]],
        )
    }
    needed = [
        row
        for row in rows
        if not (
            (known := stored.get(row["deployment_id"])) is not None
            and known[0] == row["updated_at"]
            and known[1] in FINAL_STATES
        )
    ]
    statuses: list[dict] = []
    fetched: list[Page] = []
    bad: list[MalformedItem] = []
    node_ids = {row["deployment_id"]: node_ids_by_id.get(row["deployment_id"]) for row in needed}
    if needed and graphql_enabled(ctx) and all(node_ids.values()):
        bulk = nested.deployment_statuses(ctx, list(node_ids.items()))
        if bulk is not None:
            statuses, bad, to_rest = bulk
            needed = [row for row in needed if row["deployment_id"] in to_rest]
    for row in needed:
        url = ctx.url(f"/deployments/{row['deployment_id']}/statuses", ctx.list_params())
        to_row = partial(deployment_status_row, ctx.repo, row["deployment_id"])
        try:
            for page in pages(ctx, url):
                fetched.append(page)
                good, skipped = rows_or_skips(page.items, to_row)
                statuses.extend(good)
                bad.extend(skipped)
        except NotFound:
            continue
    return statuses, fetched, bad


def _node_ids(items: list) -> dict[int, str]:
    """Deployment id -> GraphQL node id, from the REST list items."""
    return {
        item["id"]: item["node_id"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("id"), int) and item.get("node_id")
    }
