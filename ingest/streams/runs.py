"""Workflow runs: the unfiltered list for history, `created` windows for the look-back, and jobs.

Only *filtered* run listings stop at 1,000 results (GITHUB_API.md §2.5: the cap applies to
`actor, branch, check_suite_id, created, event, head_sha, status`; `exclude_pull_requests` is not
one of them), so the unfiltered list (newest first) reaches every run and costs exactly one
request per 100 runs. Three regions, kept in sync_state:

- the *head*, runs created at or after `open_from`: read from page 1 of the unfiltered list until a
  page reaches below `open_from`. When unchanged, page 1 comes back 304 (free). Once the head holds
  `CLOSE_AT` runs it is closed into windows, because every new run shifts all of its pages.
- closed *windows* `created=A..B` (each under the cap, split when one comes back at it) covering the
  look-back: a re-sync re-reads the very same URLs, so unchanged windows come back 304, and re-runs
  (allowed for 30 days) are caught. Windows older than the look-back are dropped from the state.
- *history* before the look-back: read once, from the unfiltered list at the page where it starts.

A first sync reads page 1 (its newest run places the look-back), the look-back's windows (sized from
page 1's density), then the history: about one request per 100 runs, plus one or two per repo.

Page-number paging of a list sorted newest first: a run created while we page pushes every item one
position down (the next page repeats an item: harmless, rows are upserted by id). A deleted run
pulls items up, and the item that crosses a page boundary would be missed; as runs are only ever
added at the top, that needs more deletions than additions, so `total_count` drops between the two
pages: then the paging steps back to re-read what moved. A jump into the list (the history behind
the look-back) must land on a page that overlaps runs already read, else it steps back a page.

Jobs of the runs that need them (`ingest.streams.jobs`) commit with their run's page; when the
deploy rules change, the next sync first backfills the jobs of stored runs they now want.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

from ingest.client import GitHubError
from ingest.payloads import rows_or_skips, workflow_run_row
from ingest.streams.base import Page, StreamContext, fetch, pages
from ingest.streams.incremental import RUNS
from ingest.streams.jobs import JobPolicy, backfill_jobs, jobs_for

RUNS_CAP = 1000  # GitHub returns at most this many results for a filtered run listing
TARGET = 900  # runs per closed window the sizing aims for (closed windows never grow)
CLOSE_AT = 300  # runs in the head before it is closed (its pages change on every new run)
GITHUB_EPOCH = datetime(2008, 1, 1)
SECOND = timedelta(seconds=1)


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


class RunsSync:
    """One sync of the runs stream of one repo."""

    def __init__(self, ctx: StreamContext) -> None:
        self.ctx = ctx
        cursor, details = ctx.store.state(ctx.repo, "runs")
        self.cursor = cursor  # newest created_at seen
        self.windows: list[list[str]] = details.get("windows", [])  # closed, oldest first
        self.open_from: str | None = details.get("open_from")  # start of the head
        self.floor: str | None = details.get("floor")  # nothing older is stored
        self.history: dict | None = details.get("history")  # unfiltered page to go on from
        self.jobs = JobPolicy(ctx)
        self.jobs_policy: str | None = details.get("jobs_policy")  # the policy runs were read with
        self.lookback = RUNS.lookback(ctx.settings)
        self.over_cap = RUNS_CAP  # total_count of the last window that came back at the cap
        self.unfiltered_total: int | None = None

    def state(self) -> tuple[datetime | None, dict]:
        if self.cursor is not None:  # windows behind the look-back are never re-read again
            lower = _iso(self.cursor - self.lookback)
            self.windows = [w for w in self.windows if w[1] >= lower]
        details = {"windows": self.windows, "open_from": self.open_from, "floor": self.floor}
        if self.jobs_policy is not None:
            details["jobs_policy"] = self.jobs_policy
        if self.history is not None:
            details["history"] = self.history
        return self.cursor, details

    def run(self) -> None:
        created = self.ctx.repository()["created_at"]
        requested = self.ctx.since or (created.replace(microsecond=0) if created else GITHUB_EPOCH)
        if self.floor is None:
            self.jobs_policy = self.jobs.fingerprint()
            self.first_sync(requested)
            return
        if self.jobs_policy != self.jobs.fingerprint():
            # A deploy rule (or the option) changed: runs stored before it get their jobs now;
            # the new fingerprint is saved only once they are all in, so a killed backfill resumes.
            backfill_jobs(self.ctx, self.jobs)
            self.jobs_policy = self.jobs.fingerprint()
            self.ctx.commit(None, {}, state=self.state())
        if self.history is not None:  # a first sync was cut short while reading history
            self.read_history()
        if requested < _parse(self.floor):  # --since reaches further back than ever before
            self.read_region(requested, _parse(self.floor) - SECOND)
            self.floor = _iso(requested)  # only now: a killed backfill starts over
        lower = (self.cursor - self.lookback) if self.cursor else None
        for start, end in list(self.windows):
            if lower is None or _parse(end) >= lower:
                self.reread_window(_parse(start), _parse(end))
        self.read_head()

    def deepen(self) -> None:
        """A deepen pass (`ingest.history`): `created` windows from `since` up to the floor."""
        start = self.ctx.since
        if self.floor is None or start is None or start >= _parse(self.floor):
            return
        self.read_region(start, _parse(self.floor) - SECOND)
        self.floor = _iso(start)  # only now: a killed deepen reads its windows again (304s)
        self.ctx.commit(None, {}, state=self.state())

    # --- the unfiltered list: head and history ---

    def first_sync(self, floor: datetime) -> None:
        """Page 1, then the look-back in windows, then the history from where it starts."""
        self.floor = _iso(floor)
        page = self.fetch_unfiltered(1)
        self.store_page(page, unfiltered=True)
        newest, oldest = page.newest(), page.oldest()
        if newest is None or oldest is None:  # no runs yet: everything is head
            self.open_from = self.floor
            self.ctx.commit(None, {}, state=self.state())
            return
        boundary = max(newest - self.lookback, floor)
        if page.next_url is None or oldest < boundary:  # the look-back fits on page 1
            self.open_from = _iso(boundary)
            if page.next_url is not None and oldest >= floor:
                self.history = {"page": 2, "total": page.total_count}
            self.ctx.commit(None, {}, state=self.state())
        else:
            # Page 1 is the head; the rest of the look-back goes into windows (state commits
            # only once they are all read, so a killed first sync simply starts over).
            seconds = max((newest - oldest).total_seconds(), 1.0)
            expected = page.summary.get("count", 0) * (oldest - boundary).total_seconds() / seconds
            self.read_region(boundary, oldest, expected)
            self.open_from = _iso(oldest + SECOND)
            if boundary > floor:
                # Land on the page holding the last run already read: it must overlap.
                ((covered,),) = self.ctx.store.query(
                    "select count(*) from raw.workflow_runs where repo = ? and created_at >= ?",
                    [self.ctx.repo, boundary],
                )
                first = max(covered - 1, 0) // self.ctx.client.per_page + 1
                self.history = {"page": first, "total": None, "covered_from": _iso(boundary)}
            self.ctx.commit(None, {}, state=self.state())
        if self.history is not None:
            self.read_history()

    def read_history(self) -> None:
        """Unfiltered pages from the saved page down to the floor; the state commits with each."""
        history = self.history or {}
        covered = history.get("covered_from")
        walk = UnfilteredWalk(
            self,
            history["page"],
            history.get("total"),
            landing=_parse(covered) if covered else None,
            stop_below=_parse(self.floor),
        )
        for page in walk:
            if walk.next_page is None:
                self.history = None
            else:
                self.history = {"page": walk.next_page, "total": walk.total}
                if walk.landing is not None:
                    self.history["covered_from"] = _iso(walk.landing)
            self.store_page(page, with_state=True, unfiltered=True)

    def read_head(self) -> None:
        """Unfiltered pages from page 1 until one reaches below `open_from`; close it if big."""
        start = _parse(self.open_from or self.floor)
        head: set[int] = set()
        newest = None
        walk = UnfilteredWalk(self, 1, None, landing=None, stop_below=start)
        for page in walk:
            head.update(
                item["id"]
                for item in page.items
                if isinstance(item, dict) and str(item.get("created_at", "")) >= _iso(start)
            )
            newest = max(filter(None, [newest, page.newest()]), default=None)
            done = walk.next_page is None
            if done and len(head) >= CLOSE_AT and newest is not None and newest > start:
                # Every new run shifts every head page: cut it into windows that stay put.
                self.store_page(page, unfiltered=True)
                self.read_region(start, newest, len(head))
                self.open_from = _iso(newest + SECOND)
                self.ctx.commit(None, {}, state=self.state())
                return
            self.store_page(page, with_state=done, unfiltered=True)

    def fetch_unfiltered(self, page_no: int) -> Page:
        params = self.ctx.list_params(exclude_pull_requests="true")
        if page_no > 1:
            params["page"] = page_no
        url = self.ctx.url("/actions/runs", params)
        page = fetch(self.ctx, url, list_key="workflow_runs", cursor_field="created_at")
        self.ctx.saw(page.summary.get("count", 0))
        self.unfiltered_total = page.total_count
        return page

    # --- filtered windows ---

    def reread_window(self, start: datetime, end: datetime) -> None:
        if self.read_window(start, end) is None:  # grew past the cap: cut it anew
            self.windows.remove([_iso(start), _iso(end)])
            self.read_region(start, end)

    def read_region(self, start: datetime, end: datetime, expected: float | None = None) -> None:
        """Cover the closed range [start, end] with windows under the cap."""
        pieces = max(1, math.ceil((expected or 0) / TARGET))
        span = _seconds((end - start + SECOND) / pieces)
        while True:
            stop = min(start + span - SECOND, end)
            count = self.read_window(start, stop)
            if count is None:  # shrink in proportion to what came back, not blindly by half
                span = _seconds(span * TARGET / max(self.over_cap, RUNS_CAP))
                continue
            if stop >= end:
                return
            start = stop + SECOND
            span = _seconds(span * min(max(TARGET / max(count, 1), 0.5), 4.0))

    def read_window(self, start: datetime, end: datetime) -> int | None:
        """Read `created=start..end`; its run count, or None if it is at the cap (not read)."""
        url = self.ctx.url("/actions/runs", self._params(f"{_iso(start)}..{_iso(end)}"))
        count = 0
        for page in pages(self.ctx, url, list_key="workflow_runs", cursor_field="created_at"):
            if page.url == url and (page.total_count or 0) >= RUNS_CAP:
                if end > start:
                    self.store_page(page)
                    self.over_cap = page.total_count
                    return None
                if page.total_count == self.unfiltered_total:
                    raise GitHubError("the server ignores the `created` filter of runs listings")
                self.ctx.notes.append(f"more than {RUNS_CAP} runs created at {_iso(start)}")
            count += page.summary.get("count", 0)
            last = page.next_url is None
            if last:
                self._add_window(start, end)
            # A first sync commits its state only once every window is read.
            self.store_page(page, with_state=last and self.open_from is not None)
        return count

    def _params(self, created: str) -> dict:
        # The embedded `pull_requests` (with the base branch's moving head sha) would change
        # every old page, and turn free 304s into charged re-reads; models join runs by sha.
        return self.ctx.list_params(created=created, exclude_pull_requests="true")

    def _add_window(self, start: datetime, end: datetime) -> None:
        window = [_iso(start), _iso(end)]
        if window not in self.windows:
            self.windows.append(window)
            self.windows.sort()

    # --- rows ---

    def store_page(self, page: Page, with_state: bool = False, unfiltered: bool = False) -> None:
        """Commit a page's runs, the jobs they need and the state; an unfiltered page keeps
        none older than the floor."""
        newest = page.newest()
        if newest is not None and (self.cursor is None or newest > self.cursor):
            self.cursor = newest
        state = self.state() if with_state else None
        if not page.fresh:
            if state is not None:
                self.ctx.commit(None, {}, state=state)
            return
        floor = (self.floor or "") if unfiltered else ""
        items = [i for i in page.items if not _older_than(i, floor)]
        runs, skipped = rows_or_skips(items, partial(workflow_run_row, self.ctx.repo))
        jobs, bad_jobs = jobs_for(self.ctx, self.jobs, runs)
        self.ctx.commit(
            page, {"workflow_runs": runs, "workflow_jobs": jobs}, skipped + bad_jobs, state=state
        )


class UnfilteredWalk:
    """Pages of the unfiltered run list (newest first) from `page_no` until one reaches below
    `stop_below`, stepping back when items moved up a page (see the module docstring).

    After each page it yields, `next_page` is the page to read next (None: done) and `total` the
    list's `total_count`; `landing` stays set until a page overlaps runs at or after it.
    """

    def __init__(
        self,
        runs: RunsSync,
        page_no: int,
        total: int | None,
        landing: datetime | None,
        stop_below: datetime,
    ) -> None:
        self.runs, self.page_no, self.total = runs, page_no, total
        self.landing = landing if page_no > 1 else None
        self.stop_below = stop_below
        self.next_page: int | None = page_no
        self.previous_ids: list = []

    def __iter__(self) -> Iterator[Page]:
        per_page = self.runs.ctx.client.per_page
        while self.next_page is not None:
            page_no = self.next_page
            page = self.runs.fetch_unfiltered(page_no)
            newest, oldest, now_total = page.newest(), page.oldest(), page.total_count
            if self.landing is not None:
                if page_no > 1 and (newest is None or newest < self.landing):
                    self.next_page = page_no - 1  # landed past the runs read: one page up
                    yield page
                    continue
                self.landing = None
            if self.total is not None and now_total is not None and now_total < self.total:
                # Runs were deleted above: items crossed into pages already read. Re-read them.
                back = math.ceil((self.total - now_total) / per_page)
                self.total = now_total
                self.next_page = max(1, page_no - back)
                yield page
                continue
            self.total = now_total
            ids = [item.get("id") for item in page.items if isinstance(item, dict)]
            # A server that ignores `page` answers the same runs again: stop, do not loop.
            repeated = bool(ids) and ids == self.previous_ids
            self.previous_ids = ids
            ended = page.next_url is None or oldest is None or oldest < self.stop_below
            self.next_page = None if ended or repeated else page_no + 1
            yield page


def _seconds(span: timedelta) -> timedelta:
    """Windows are cut at whole seconds (the `created` filter's resolution)."""
    return timedelta(seconds=max(1, int(span.total_seconds())))


def _older_than(item: object, floor: str) -> bool:
    """A run created before the floor (the first sync's `--since`): not stored."""
    created = item.get("created_at") if isinstance(item, dict) else None
    return bool(floor) and isinstance(created, str) and created < floor


def sync_runs(ctx: StreamContext) -> None:
    """Runs: head and history from the unfiltered list, the look-back in `created` windows."""
    if ctx.until is not None:
        RunsSync(ctx).deepen()
    else:
        RunsSync(ctx).run()
