"""Each stream's incremental contract, declared once, and the newest-first walk that honours it.

In the manner of dlt's `incremental(cursor, lag=...)` and Airbyte's `cursor_field`: a contract
names the field whose newest value is the stream's cursor, the look-back re-read behind it on
every sync (a setting, because statuses arrive late and runs are re-run), and the natural key the
rows are upserted by (the raw table's primary key; tests/ingest/test_incremental.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ingest.streams.base import Page, StreamContext, fetch
from settings.config import Settings

if TYPE_CHECKING:
    from ingest.payloads import MalformedItem


@dataclass(frozen=True)
class Incremental:
    """How one stream reads only what changed: cursor field, look-back setting, natural key."""

    stream: str
    table: str  # the raw table its rows go to
    key: tuple[str, ...]  # natural key = the table's primary key (rows are upserted by it)
    cursor_field: str  # payload field whose newest value is the cursor
    lookback_setting: str  # `github.<name>` in days: re-read this far behind the cursor

    def lookback(self, settings: Settings) -> timedelta:
        return timedelta(days=getattr(settings.github, self.lookback_setting))

    def lower_bound(self, cursor: datetime | None, ctx: StreamContext) -> datetime | None:
        """Oldest cursor value this sync must read: cursor - look-back, else the first-sync floor."""
        return (cursor - self.lookback(ctx.settings)) if cursor else ctx.since


RUNS = Incremental("runs", "workflow_runs", ("repo", "run_id"), "created_at", "runs_lookback_days")
DEPLOYMENTS = Incremental(
    "deployments",
    "deployments",
    ("repo", "deployment_id"),
    "created_at",
    "deployments_lookback_days",
)
COMMITS = Incremental(
    "commits", "commits", ("repo", "sha"), "commit.committer.date", "commits_lookback_days"
)
PULLS = Incremental(
    "pulls", "pull_requests", ("repo", "number"), "updated_at", "pulls_lookback_days"
)
ISSUES = Incremental("issues", "issues", ("repo", "number"), "updated_at", "issues_lookback_days")

CONTRACTS = {c.stream: c for c in (RUNS, DEPLOYMENTS, COMMITS, PULLS, ISSUES)}


@dataclass(frozen=True)
class FetchedOnce:
    """How a per-item stream whose items never change reads only what is new: no cursor and no
    look-back, one fetch per stored parent row that has no row of its own yet. The missing rows
    are the cursor: a killed run resumes with them, an unchanged re-sync asks for nothing."""

    stream: str
    table: str  # the raw table its rows go to
    key: tuple[str, ...]  # natural key = the table's primary key = the parent's key
    parent_table: str  # the stored rows that each want one fetch


# A commit's files never change: read once per (non-merge) commit of a repo with path rules.
COMMIT_FILES = FetchedOnce("commit_files", "commit_files", ("repo", "sha"), "commits")

FETCHED_ONCE = {c.stream: c for c in (COMMIT_FILES,)}

# A fresh page -> (rows per raw table, malformed items, pages fetched for its items)
PageRows = Callable[["Page"], tuple[dict[str, list[dict]], list["MalformedItem"], list["Page"]]]


def read_newest_first(
    ctx: StreamContext, contract: Incremental, pages: Iterable[Page], page_rows: PageRows
) -> None:
    """Walk a list sorted newest first by the contract's cursor, down to the lower bound.

    Each fresh page commits with the rows fetched for its items; the cursor (newest value seen)
    commits with the last page only, because the list runs newest first: a run killed midway
    leaves the cursor behind the rows, and the re-run re-reads (unchanged pages come back 304).
    """
    cursor, _ = ctx.store.state(ctx.repo, contract.stream)
    lower = contract.lower_bound(cursor, ctx)
    newest = cursor
    for page in pages:
        page_newest, oldest = page.newest(), page.oldest()
        if page_newest is not None and (newest is None or page_newest > newest):
            newest = page_newest
        last = page.next_url is None or (
            lower is not None and oldest is not None and oldest < lower
        )
        state = (newest, {}) if last else None
        if page.fresh:
            rows, skipped, sub_pages = page_rows(page)
            ctx.commit(page, rows, skipped, state=state, sub_pages=sub_pages)
        elif last:
            ctx.commit(None, {}, state=state)
        if last:
            return
    ctx.commit(None, {}, state=(newest, {}))


def read_older(
    ctx: StreamContext,
    contract: Incremental,
    page_url: Callable[[int], str],
    page_rows: PageRows,
) -> None:
    """A deepen pass (`ingest.history`) over a list sorted newest first by the contract's cursor:
    the items older than `ctx.until`, down to `ctx.since`, from the page where they start.

    Every item at or after `until` is stored already, so the walk jumps to the page holding the
    last of them (by count) and must land on a page that still reaches `until`, else it steps back
    a page (items moved up: some were deleted). Each page commits with its rows; the cursor does
    not move (it is the newest value, read by the regular sync).
    """
    column = contract.cursor_field
    ((covered,),) = ctx.store.query(
        f"select count(*) from raw.{contract.table} where repo = ? and {column} >= ?",
        [ctx.repo, ctx.until],
    )
    page_no = max(covered - 1, 0) // ctx.client.per_page + 1
    landed = page_no == 1
    while True:
        page = fetch(ctx, page_url(page_no), cursor_field=contract.cursor_field)
        ctx.saw(page.summary.get("count", 0))
        if page.fresh:
            rows, skipped, sub_pages = page_rows(page)
            ctx.commit(page, rows, skipped, sub_pages=sub_pages)
        newest, oldest = page.newest(), page.oldest()
        if not landed and (newest is None or newest < ctx.until):
            page_no -= 1  # past the stored items: the ones in between would be missed
            landed = page_no == 1
            continue
        landed = True
        if page.next_url is None or oldest is None or (ctx.since and oldest < ctx.since):
            return
        page_no += 1


def page_params(ctx: StreamContext, page_no: int, **params: Any) -> dict[str, Any]:
    """List parameters of page `page_no` (page 1 without `page`, as the regular walk asks)."""
    params = ctx.list_params(**params)
    if page_no > 1:
        params["page"] = page_no
    return params
