"""Incident issues: the label listings once, then one `since` listing of every issue.

GitHub's `labels=a,b` means *all* of them, so the first sync lists each incident label on its own
(`state=all`, pull requests dropped): the fewest pages. After that, one listing of every issue
updated since the stream's cursor, labels not filtered, keeps the rows current: an incident issue
that was closed, renamed or *lost its incident label* is upserted with its current labels (the
models count an issue as an incident only while it carries one of `incidents.labels`). Issues that
never carried an incident label are not stored. Unchanged, that listing is one 304.

Removing a label bumps an issue's `updated_at`, so the cursor is the newest `updated_at` of any
issue or pull request seen (pull requests are issues too, and the pulls stream has read them just
before), re-read from `issues_lookback_days` (1) behind it. It is newest first: an issue updated while we page moves to
page 1 (already read, caught by the next sync), instead of pulling another one past us.
A deepen pass (`ingest.history`) lists each incident label again from its older `since`.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from ingest.payloads import issue_row, rows_or_skips, timestamp
from ingest.streams.base import StreamContext, pages
from ingest.streams.incremental import ISSUES


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_pull_request(item: object) -> bool:
    """The issues list includes pull requests; 2012-era payloads carry an all-null stub on issues."""
    pull = item.get("pull_request") if isinstance(item, dict) else None
    return isinstance(pull, dict) and any(pull.get(k) for k in ("url", "html_url"))


def _label_names(item: object) -> set[str]:
    labels = item.get("labels") if isinstance(item, dict) else None
    return {
        (label.get("name") if isinstance(label, dict) else label).lower()
        for label in labels or []
        if isinstance(label, str)
        or (isinstance(label, dict) and isinstance(label.get("name"), str))
    }


def sync_issues(ctx: StreamContext) -> None:
    """New incident labels get their own listing; then every issue updated since the cursor."""
    cursor, details = ctx.store.state(ctx.repo, "issues")
    since_by_label: dict[str, str] = dict(details.get("labels", {}))
    listed_before = [c for c in since_by_label.values() if c]
    updated_since = details.get("all")
    labels = ctx.settings.incidents.labels
    if not labels:
        return  # no incident labels configured: no issue is an incident
    if ctx.until is not None:
        for label in labels:
            _list_label_older(ctx, label)
        return
    fresh = [label for label in labels if label not in since_by_label]
    for label in fresh:
        cursor = _list_label(ctx, label, since_by_label, cursor, updated_since)
    if updated_since is None:
        if len(fresh) == len(labels):  # every label was just read whole
            _start_issue_cursor(ctx, cursor, since_by_label)
            return
        # State of an older version (label cursors only): from the oldest of them.
        updated_since = min(listed_before) if listed_before else _iso(_floor(ctx))
    _list_updated(ctx, timestamp(updated_since), since_by_label, cursor)


def _floor(ctx: StreamContext) -> datetime:
    return ctx.since or ctx.repository()["created_at"] or datetime(2008, 1, 1)


def _start_issue_cursor(
    ctx: StreamContext, cursor: datetime | None, since_by_label: dict[str, str]
) -> None:
    """After the label listings: the next sync lists what changed since the newest issue or pull
    request seen (the pulls stream ran first), else since the repository was created."""
    (pulls_newest,) = ctx.store.query(
        "select max(updated_at) from raw.pull_requests where repo = ?", [ctx.repo]
    )[0]
    start = max(filter(None, [cursor, pulls_newest]), default=None)
    start = start or _floor(ctx)
    ctx.commit(None, {}, state=(cursor, {"labels": since_by_label, "all": _iso(start)}))


def _list_label(
    ctx: StreamContext,
    label: str,
    since_by_label: dict[str, str],
    cursor: datetime | None,
    updated_since: str | None,
) -> datetime | None:
    """Every issue with `label` (from `--since`); the state commits with the last page."""
    params = {"labels": label, "state": "all", "sort": "updated", "direction": "asc"}
    if ctx.since is not None:
        params["since"] = _iso(ctx.since)
    newest = None
    url = ctx.url("/issues", ctx.list_params(**params))
    for page in pages(ctx, url, cursor_field="updated_at"):
        newest = max(filter(None, [newest, page.newest()]), default=None)
        last = page.next_url is None
        state = None
        if last:
            since_by_label[label] = _iso(newest) if newest else ""
            cursor = max(filter(None, [cursor, newest]), default=None)
            state = (cursor, {"labels": since_by_label, "all": updated_since})
        if page.fresh:
            issues = [i for i in page.items if not is_pull_request(i)]
            rows, skipped = rows_or_skips(issues, partial(issue_row, ctx.repo))
            ctx.commit(page, {"issues": rows}, skipped, state=state)
        elif last:
            ctx.commit(None, {}, state=state)
    return cursor


def _list_label_older(ctx: StreamContext, label: str) -> None:
    """A deepen pass (`ingest.history`): issues with `label` updated from `since`, oldest first,
    until a page reaches what the history read so far holds; the cursors stay."""
    params = {"labels": label, "state": "all", "sort": "updated", "direction": "asc"}
    if ctx.since is not None:
        params["since"] = _iso(ctx.since)
    url = ctx.url("/issues", ctx.list_params(**params))
    for page in pages(ctx, url, cursor_field="updated_at"):
        if page.fresh:
            issues = [i for i in page.items if not is_pull_request(i)]
            rows, skipped = rows_or_skips(issues, partial(issue_row, ctx.repo))
            ctx.commit(page, {"issues": rows}, skipped)
        newest = page.newest()
        if newest is not None and newest >= ctx.until:
            return


def _list_updated(
    ctx: StreamContext, since: datetime, since_by_label: dict[str, str], cursor: datetime | None
) -> None:
    """Every issue updated since `issues_lookback_days` before `since`: incident ones, and stored ones."""
    wanted = {label.lower() for label in ctx.settings.incidents.labels}
    params = {
        "state": "all",
        "sort": "updated",
        "direction": "desc",
        "since": _iso(since - ISSUES.lookback(ctx.settings)),
    }
    url = ctx.url("/issues", ctx.list_params(**params))
    newest = since
    for page in pages(ctx, url, cursor_field="updated_at"):
        newest = max(filter(None, [newest, page.newest()]), default=None)
        last = page.next_url is None
        state = None
        if last:
            cursor = max(filter(None, [cursor, newest]), default=None)
            state = (cursor, {"labels": since_by_label, "all": _iso(newest)})
        if not page.fresh:
            if last:
                ctx.commit(None, {}, state=state)
            continue
        issues = [i for i in page.items if not is_pull_request(i)]
        stored = _stored_numbers(ctx, issues)
        keep = [i for i in issues if wanted & _label_names(i) or _number(i) in stored]
        rows, skipped = rows_or_skips(keep, partial(issue_row, ctx.repo))
        ctx.commit(page, {"issues": rows}, skipped, state=state)


def _number(item: object) -> object:
    return item.get("number") if isinstance(item, dict) else None


def _stored_numbers(ctx: StreamContext, items: list) -> set[int]:
    numbers = [n for n in map(_number, items) if isinstance(n, int)]
    if not numbers:
        return set()
    rows = ctx.store.query(
        "select number from raw.issues where repo = ? and list_contains(?, number)",
        [ctx.repo, numbers],
    )
    return {row[0] for row in rows}
