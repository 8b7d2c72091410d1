"""Pull requests by `updated` newest first with an early stop, and the commits of merged ones.

`/pulls` has no `since`: it is paged `sort=updated&direction=desc` until a page's oldest
`updated_at` is behind cursor - `pulls_lookback_days` (the PULLS contract). For merged pull
requests that are new or changed, the commits (squash-safe lead time; through GraphQL, 100 pull
requests a query, else `/pulls/{n}/commits`) commit with the page. A deepen pass
(`ingest.history`) reads the pull requests updated before the history read so far.
"""

from __future__ import annotations

from functools import partial

from ingest.client import NotFound
from ingest.payloads import (
    MalformedItem,
    pull_request_commit_row,
    pull_request_row,
    rows_or_skips,
)
from ingest.streams import nested
from ingest.streams.base import Page, StreamContext, pages
from ingest.streams.incremental import PULLS, page_params, read_newest_first, read_older
from ingest.streams.nested import graphql_enabled


def sync_pulls(ctx: StreamContext) -> None:
    """Pull requests and merged pull requests' commits, incrementally."""
    params = {"state": "all", "sort": "updated", "direction": "desc"}
    url = ctx.url("/pulls", ctx.list_params(**params))

    def page_rows(page: Page) -> tuple[dict[str, list[dict]], list[MalformedItem], list[Page]]:
        rows, skipped = rows_or_skips(page.items, partial(pull_request_row, ctx.repo))
        commits, bad = _merged_commits(ctx, rows, page.items)
        return {"pull_requests": rows, "pull_request_commits": commits}, skipped + bad, []

    if ctx.until is not None:  # a deepen pass: what was updated before the history read so far
        older = lambda page_no: ctx.url("/pulls", page_params(ctx, page_no, **params))  # noqa: E731
        read_older(ctx, PULLS, older, page_rows)
        return
    read_newest_first(ctx, PULLS, pages(ctx, url, cursor_field=PULLS.cursor_field), page_rows)


def _merged_commits(
    ctx: StreamContext, rows: list[dict], items: list
) -> tuple[list[dict], list[MalformedItem]]:
    merged = [r for r in rows if r["merged_at"] is not None]
    if not merged:
        return [], []
    stored = dict(
        ctx.store.query(
            "select p.number, p.updated_at from raw.pull_requests p where p.repo = ? "
            "and list_contains(?, p.number) and exists (select 1 from raw.pull_request_commits c "
            "where c.repo = p.repo and c.pr_number = p.number)",
            [ctx.repo, [r["number"] for r in merged]],
        )
    )
    changed = [pr for pr in merged if stored.get(pr["number"]) != pr["updated_at"]]
    node_ids = {
        item["number"]: item.get("node_id")
        for item in items
        if isinstance(item, dict) and isinstance(item.get("number"), int)
    }
    if changed and graphql_enabled(ctx) and all(node_ids.get(pr["number"]) for pr in changed):
        bulk = nested.pull_request_commits(
            ctx, [(pr["number"], node_ids[pr["number"]]) for pr in changed]
        )
        if bulk is not None:
            return bulk
    commits: list[dict] = []
    bad: list[MalformedItem] = []
    for pr in changed:
        url = ctx.url(f"/pulls/{pr['number']}/commits", ctx.list_params())
        try:
            for page in pages(ctx, url):
                good, skipped = rows_or_skips(
                    page.items, partial(pull_request_commit_row, ctx.repo, pr["number"])
                )
                commits.extend(good)
                bad.extend(skipped)
        except NotFound:
            continue
    return commits, bad
