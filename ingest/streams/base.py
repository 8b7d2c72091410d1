"""What every stream shares: its context, ETag-aware paging, and the atomic page commit."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingest.client import GitHubClient, Response
from ingest.payloads import MalformedItem, timestamp
from ingest.store import Store, StoredEtag, UpsertCount
from settings.config import Settings

log = logging.getLogger("dora.ingest")

ProgressCallback = Callable[[str, str, int], None]  # (repo, stream, items seen so far)


@dataclass
class StreamContext:
    """One repo x stream at work: the client, the store, the settings and the counters."""

    client: GitHubClient
    store: Store
    repo: str
    stream: str
    settings: Settings
    since: datetime | None = None  # first-sync floor (naive UTC)
    progress: ProgressCallback | None = None
    until: datetime | None = None  # a deepen pass (ingest.history): only history older than this
    counts: dict[str, UpsertCount] = field(default_factory=dict)  # per raw table
    skipped: int = 0
    seen: int = 0
    notes: list[str] = field(default_factory=list)  # things the user should hear about
    _current_name: str | None = field(default=None, repr=False)
    _etag_scope: str | None = field(default=None, repr=False)  # the repo's URL prefix
    _etags: dict[str, StoredEtag] = field(default_factory=dict, repr=False)

    def url(self, suffix: str, params: dict[str, Any] | None = None) -> str:
        return self.client.url(f"/repos/{self.current_name()}{suffix}", params)

    def current_name(self) -> str:
        """The repository's name on GitHub now (`full_name` as last read), else the configured one.

        A renamed repository answers its old name with a 301, and PyGithub follows it without the
        query string (`state=all`, `labels=`, `since=` lost): ask the current name directly.
        """
        if self._current_name is None:
            rows = self.store.query(
                "select full_name from raw.repositories where repo = ?", [self.repo]
            )
            self._current_name = rows[0][0] if rows and rows[0][0] else self.repo
        return self._current_name

    def stored_etag(self, url: str) -> StoredEtag | None:
        """The ETag stored for `url`, from the repo's ETags read once per stream.

        One query per request cost more CPU than the request itself. The copy stays exact: only
        this stream writes ETags of its own URLs, and `commit` updates it. URLs outside the repo's
        prefix (none today) are looked up in the store.
        """
        if self._etag_scope is None:
            self._etag_scope = self.url("")
            self._etags = self.store.etags_under(self._etag_scope)
        scope = self._etag_scope
        if url == scope or url.startswith((scope + "/", scope + "?")):
            return self._etags.get(url)
        return self.store.etag(url)

    def list_params(self, **params: Any) -> dict[str, Any]:
        return {**params, "per_page": self.client.per_page}

    def saw(self, n: int) -> None:
        self.seen += n
        if self.progress:
            self.progress(self.repo, self.stream, self.seen)

    def repository(self) -> dict[str, Any]:
        """The stored repository row (the repository stream runs first)."""
        rows = self.store.query(
            "select default_branch, created_at from raw.repositories where repo = ?", [self.repo]
        )
        if not rows:
            return {"default_branch": None, "created_at": None}
        return {"default_branch": rows[0][0], "created_at": rows[0][1]}

    def commit(
        self,
        page: Page | None,
        rows: dict[str, list[dict]],
        skipped: list[MalformedItem] = (),
        state: tuple[datetime | None, dict[str, Any]] | None = None,
        deletes: list[tuple[str, str, list[Any]]] = (),
        sub_pages: list[Page] = (),
    ) -> None:
        """Rows, skipped items, the pages' ETags and the stream state: one transaction."""
        with self.store.transaction() as tx:
            for table, where, params in deletes:
                tx.delete(table, where, params)
            for table, table_rows in rows.items():
                self.counts.setdefault(table, UpsertCount()).add(tx.upsert(table, table_rows))
            for bad in skipped:
                log.warning("%s %s: skipped malformed item %s", self.repo, self.stream, bad)
                tx.skip(self.repo, self.stream, bad.key, bad.reason)
            fresh = [p for p in [page, *sub_pages] if p is not None and p.fresh and p.etag]
            for fetched in fresh:
                tx.set_etag(fetched.url, fetched.etag, fetched.summary)
            if state is not None:
                tx.set_state(self.repo, self.stream, state[0], state[1])
        if self._etag_scope is not None:  # committed: the stream's copy follows the store
            for fetched in fresh:
                # as read back from the store (JSON), so a 304 returns the same summary either way
                summary = json.loads(json.dumps(fetched.summary, sort_keys=True))
                self._etags[fetched.url] = StoredEtag(fetched.etag, summary)
        self.skipped += len(skipped)


@dataclass
class Page:
    """One page of a list: fresh (200, with items) or not modified (304, summary only)."""

    url: str
    fresh: bool
    items: list[Any]
    summary: dict[str, Any]
    etag: str | None = None
    body: Any = None

    @property
    def next_url(self) -> str | None:
        return self.summary.get("next")

    @property
    def total_count(self) -> int | None:
        return self.summary.get("total_count")

    def oldest(self) -> datetime | None:
        """The smallest value of the stream's cursor field on this page."""
        return timestamp(self.summary["min"]) if self.summary.get("min") else None

    def newest(self) -> datetime | None:
        return timestamp(self.summary["max"]) if self.summary.get("max") else None


def fetch(
    ctx: StreamContext, url: str, list_key: str | None = None, cursor_field: str | None = None
) -> Page:
    """GET one page with its stored ETag; a 304 comes back with what was remembered of it."""
    stored = ctx.stored_etag(url)
    response = ctx.client.get(url, etag=stored.etag if stored else None)
    if response.status == 304 and stored is not None:
        return Page(url, False, [], stored.summary, stored.etag)
    return _fresh_page(response, list_key, cursor_field)


def pages(
    ctx: StreamContext, url: str, list_key: str | None = None, cursor_field: str | None = None
) -> Iterator[Page]:
    """Follow `Link: rel=next` from `url`; the consumer commits each page and may stop early."""
    next_url: str | None = url
    while next_url:
        page = fetch(ctx, next_url, list_key, cursor_field)
        ctx.saw(page.summary.get("count", 0))
        yield page
        next_url = page.next_url


def _fresh_page(response: Response, list_key: str | None, cursor_field: str | None) -> Page:
    body = response.body
    if list_key is not None:
        items = body.get(list_key) if isinstance(body, dict) else None
        total = body.get("total_count") if isinstance(body, dict) else None
        if not isinstance(items, list):
            items = []
    elif isinstance(body, list):
        items, total = body, None
    else:
        items, total = ([body] if body is not None else []), None
    values = (
        [item.get(cursor_field) for item in items if isinstance(item, dict)] if cursor_field else []
    )
    values = [v for v in values if isinstance(v, str)]
    parsed = sorted((timestamp(v), v) for v in values if _parses(v))
    summary = {
        "next": response.next_url,
        "count": len(items),
        "total_count": total,
        "min": parsed[0][1] if parsed else None,
        "max": parsed[-1][1] if parsed else None,
    }
    return Page(response.url, True, items, summary, response.etag, body)


def _parses(value: str) -> bool:
    try:
        timestamp(value)
    except MalformedItem:
        return False
    return True
