"""Streams that are re-read whole with ETags: repository, workflows, environments.

They are small (one page almost always), so a re-sync costs one 304 each; rows are upserted by id.
"""

from __future__ import annotations

from functools import partial

from ingest.client import NotFound
from ingest.payloads import environment_row, repository_row, rows_or_skips, workflow_row
from ingest.streams.base import StreamContext, pages


def sync_repository(ctx: StreamContext) -> None:
    """`GET /repos/{o}/{r}`; a 404 here is the one-line "unknown repository" error."""
    for page in pages(ctx, ctx.url("")):
        if page.fresh:
            rows, skipped = rows_or_skips(page.items, partial(repository_row, ctx.repo))
            ctx.commit(page, {"repositories": rows}, skipped, state=(None, {}))


def sync_workflows(ctx: StreamContext) -> None:
    """`GET /actions/workflows`, every page."""
    url = ctx.url("/actions/workflows", ctx.list_params())
    for page in pages(ctx, url, list_key="workflows"):
        if page.fresh:
            rows, skipped = rows_or_skips(page.items, partial(workflow_row, ctx.repo))
            ctx.commit(page, {"workflows": rows}, skipped)


def sync_environments(ctx: StreamContext) -> None:
    """`GET /environments` with their protection rules."""
    url = ctx.url("/environments", ctx.list_params())
    try:
        for page in pages(ctx, url, list_key="environments"):
            if page.fresh:
                rows, skipped = rows_or_skips(page.items, partial(environment_row, ctx.repo))
                ctx.commit(page, {"environments": rows}, skipped)
    except NotFound:
        return  # environments are unavailable on some plans and servers: nothing to store
