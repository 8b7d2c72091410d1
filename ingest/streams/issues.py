"""Issues carrying an incident label (`state=all&since=`), pull requests dropped.

GitHub's `labels=a,b` means *all* of them, so each incident label is listed on its own; each has
its own cursor (newest `updated_at`) in the stream's details, re-read from a day behind it.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from ingest.payloads import issue_row, rows_or_skips, timestamp
from ingest.streams.base import StreamContext, pages

LOOKBACK = timedelta(days=1)


def is_pull_request(item: object) -> bool:
    """The issues list includes pull requests; 2012-era payloads carry an all-null stub on issues."""
    pull = item.get("pull_request") if isinstance(item, dict) else None
    return isinstance(pull, dict) and any(pull.get(k) for k in ("url", "html_url"))


def sync_issues(ctx: StreamContext) -> None:
    """Incident issues per label; the state commits with each label's last page."""
    cursor, details = ctx.store.state(ctx.repo, "issues")
    since_by_label: dict[str, str] = dict(details.get("labels", {}))
    for label in ctx.settings.incidents.labels:
        label_cursor = timestamp(since_by_label[label]) if label in since_by_label else None
        since = (label_cursor - LOOKBACK) if label_cursor else ctx.since
        params = {"labels": label, "state": "all", "sort": "updated", "direction": "asc"}
        if since is not None:
            params["since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        newest = label_cursor
        url = ctx.url("/issues", ctx.list_params(**params))
        for page in pages(ctx, url, cursor_field="updated_at"):
            if page.newest() is not None and (newest is None or page.newest() > newest):
                newest = page.newest()
            last = page.next_url is None
            if last and newest is not None:
                since_by_label[label] = newest.strftime("%Y-%m-%dT%H:%M:%SZ")
            if last:
                cursor = max(filter(None, [cursor, newest]), default=None)
            state = (cursor, {"labels": since_by_label}) if last else None
            if page.fresh:
                issues = [i for i in page.items if not is_pull_request(i)]
                rows, skipped = rows_or_skips(issues, partial(issue_row, ctx.repo))
                ctx.commit(page, {"issues": rows}, skipped, state=state)
            elif last:
                ctx.commit(None, {}, state=state)
