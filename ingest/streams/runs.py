"""Workflow runs by `created` windows, and the jobs of the runs that need them.

A filtered run listing stops at 1,000 results, so history is cut into closed windows
(`created=A..B`) of about `TARGET` runs each, sized from the density seen so far and halved when
one comes back at the cap. The newest part is an open window (`created=>=A`) that is closed once
it holds `CLOSE_AT` runs. The window layout is kept in sync_state so that a re-sync asks for the
very same URLs and gets 304s for every page that did not change. Each sync re-reads the windows
that reach into the look-back (runs can be re-run for 30 days); a run is upserted by id with its
latest attempt.

Jobs (`filter=all`, every attempt) are fetched for a completed run that is new or whose
attempt/status/conclusion changed, when its workflow deploys (a job with `environment:`, directly
or through a local reusable workflow), is a verification workflow, matches a deploy rule, or has
no parseable YAML on the default branch (when in doubt, fetch). Jobs commit with their run's page.
"""

from __future__ import annotations

import fnmatch
import json
import re
from datetime import datetime, timedelta
from functools import partial

from ingest.client import GitHubError, NotFound
from ingest.payloads import MalformedItem, rows_or_skips, workflow_job_row, workflow_run_row
from ingest.store import utc_now
from ingest.streams.base import Page, StreamContext, fetch, pages

RUNS_CAP = 1000  # GitHub returns at most this many results for a filtered run listing
TARGET = 800  # runs per closed window the sizing aims for
CLOSE_AT = 300  # runs in the open window before it is closed (its pages change on every new run)
GITHUB_EPOCH = datetime(2008, 1, 1)
SECOND = timedelta(seconds=1)
FINAL_RUN_STATUS = "completed"


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


class JobPolicy:
    """Which runs get their jobs fetched (see the module docstring)."""

    def __init__(self, ctx: StreamContext) -> None:
        definitions = {
            path: json.loads(definition) if definition else None
            for path, definition in ctx.store.query(
                "select path, definition from raw.workflow_files where repo = ?", [ctx.repo]
            )
        }
        self.known = definitions
        self.deploying = _deploying_paths(definitions)
        metrics = ctx.settings.metrics
        self.verification = set(metrics.verification_workflows)
        self.rules = ctx.settings.deploy_rules

    def wants(self, run: dict) -> bool:
        path, name = run.get("path") or "", run.get("name") or ""
        path = path.split("@", 1)[0]
        if path not in self.known or self.known[path] is None:
            return True
        if path in self.deploying or path in self.verification or name in self.verification:
            return True
        return any(
            (rule.workflow and fnmatch.fnmatch(path, rule.workflow))
            or (rule.name_regex and re.search(rule.name_regex, name))
            for rule in self.rules
        )


def _deploying_paths(definitions: dict[str, dict | None]) -> set[str]:
    """Workflows with a job that has an environment, directly or via local reusable workflows."""
    deploying = {
        path
        for path, d in definitions.items()
        if d and any(job.get("environment") for job in d.get("jobs", []))
    }
    changed = True
    while changed:
        changed = False
        for path, d in definitions.items():
            if path in deploying or not d:
                continue
            for job in d.get("jobs", []):
                uses = (job.get("uses") or "").removeprefix("./").split("@", 1)[0]
                if uses in deploying or any(uses.endswith("/" + p) for p in deploying):
                    deploying.add(path)
                    changed = True
                    break
    return deploying


class RunsSync:
    """One sync of the runs stream of one repo."""

    def __init__(self, ctx: StreamContext) -> None:
        self.ctx = ctx
        cursor, details = ctx.store.state(ctx.repo, "runs")
        self.cursor = cursor  # newest created_at seen
        self.windows: list[list[str]] = details.get("windows", [])  # closed, oldest first
        self.open_from: str | None = details.get("open_from")
        self.floor: str | None = details.get("floor")
        self.jobs = JobPolicy(ctx)
        self.lookback = timedelta(days=ctx.settings.github.runs_lookback_days)
        self.probe_total: int | None = None  # total of the last open listing over the cap
        self.over_cap = RUNS_CAP  # total_count of the last window that came back at the cap

    def details(self) -> dict:
        return {"windows": self.windows, "open_from": self.open_from, "floor": self.floor}

    def state(self) -> tuple[datetime | None, dict]:
        if self.cursor is not None:  # windows behind the look-back are never re-read again
            lower = _iso(self.cursor - self.lookback)
            self.windows = [w for w in self.windows if w[1] >= lower]
        return self.cursor, self.details()

    def run(self) -> None:
        created = self.ctx.repository()["created_at"]
        requested = self.ctx.since or (created.replace(microsecond=0) if created else GITHUB_EPOCH)
        if self.floor is None:
            self.floor = _iso(requested)
            self.read_region(requested, None)
            return
        if requested < _parse(self.floor):  # --since reaches further back than ever before
            old_floor = _parse(self.floor)
            self.floor = _iso(requested)
            self.read_region(requested, old_floor - SECOND)
        lower = (self.cursor - self.lookback) if self.cursor else None
        for start, end in list(self.windows):
            if lower is None or _parse(end) >= lower:
                self.reread_window(_parse(start), _parse(end))
        if self.open_from:
            start = _parse(self.open_from)
        elif self.windows:
            start = _parse(self.windows[-1][1]) + SECOND
        else:
            start = _parse(self.floor)
        self.read_region(start, None)

    def reread_window(self, start: datetime, end: datetime) -> None:
        if self.read_window(start, end) is None:  # grew past the cap: cut it anew
            self.windows.remove([_iso(start), _iso(end)])
            self.read_region(start, end)

    def read_region(self, start: datetime, end: datetime | None) -> None:
        """Cover [start, end] (end None: up to now, ending in an open window) with windows."""
        span = (end - start + SECOND) if end is not None else None
        first = True
        while True:
            if end is None and span is None:
                total = self.read_open_window(start)
                if total is None:
                    return
                if first and total >= RUNS_CAP and self.ctx.since is None:
                    # Repos often predate their first run by years: start at the oldest run.
                    start = max(start, self.oldest_run(total) or start)
                first = False
                elapsed = max(utc_now() - start, SECOND)
                span = max(elapsed * TARGET / total, SECOND)
            stop = start + span - SECOND
            if end is not None and stop >= end:
                stop = end
            if end is None and stop >= utc_now():
                if (utc_now() - start) / span * TARGET < CLOSE_AT:
                    span = None  # the rest is small: an open window
                    continue
                # Too many for an open window (its pages change with every new run): close
                # the region now, so that the next sync asks for the same URL and gets 304s.
                stop = utc_now() - SECOND
            count = self.read_window(start, stop)
            if count is None:  # shrink in proportion to what came back, not blindly by half
                span = max(span * TARGET / max(self.over_cap, RUNS_CAP), SECOND)
                continue
            if end is not None and stop >= end:
                return
            start = stop + SECOND
            span = max(span * min(max(TARGET / max(count, 1), 0.5), 4.0), SECOND)

    def oldest_run(self, total: int) -> datetime | None:
        """The oldest run's creation: the last item of the unfiltered (uncapped) listing."""
        url = self.ctx.url(
            "/actions/runs",
            self.ctx.list_params(exclude_pull_requests="true") | {"per_page": 1, "page": total},
        )
        page = fetch(self.ctx, url, list_key="workflow_runs", cursor_field="created_at")
        return page.oldest()

    def read_open_window(self, start: datetime) -> int | None:
        """Read `created>=start`; None when done, else its total when too big for an open window."""
        url = self.ctx.url("/actions/runs", self._params(f">={_iso(start)}"))
        count, newest = 0, None
        for page in pages(self.ctx, url, list_key="workflow_runs", cursor_field="created_at"):
            total = page.total_count or 0
            if page.url == url and total >= CLOSE_AT and start < utc_now() - SECOND:
                self.probe_total = total
                self.store_page(page, last=False)  # rows are good; the region is windowed
                return total
            count += page.summary.get("count", 0)
            newest = max(filter(None, [newest, page.newest()]), default=None)
            last = page.next_url is None
            if last:
                if count >= CLOSE_AT and newest is not None:
                    self._add_window(start, newest)
                    self.open_from = _iso(newest + SECOND)
                else:
                    self.open_from = _iso(start)
            self.store_page(page, last=last)
        return None

    def read_window(self, start: datetime, end: datetime) -> int | None:
        """Read `created=start..end`; its run count, or None if it is at the cap (not read)."""
        url = self.ctx.url("/actions/runs", self._params(f"{_iso(start)}..{_iso(end)}"))
        count = 0
        for page in pages(self.ctx, url, list_key="workflow_runs", cursor_field="created_at"):
            if page.url == url and (page.total_count or 0) >= RUNS_CAP:
                if end > start:
                    self.store_page(page, last=False)
                    self.over_cap = page.total_count
                    return None
                if page.total_count == self.probe_total:
                    raise GitHubError("the server ignores the `created` filter of runs listings")
                self.ctx.notes.append(f"more than {RUNS_CAP} runs created at {_iso(start)}")
            count += page.summary.get("count", 0)
            last = page.next_url is None
            if last:
                self._add_window(start, end)
            self.store_page(page, last=last)
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

    def store_page(self, page: Page, last: bool) -> None:
        """Commit a page's runs, the jobs they need and (on a window's last page) the state."""
        newest = page.newest()
        if newest is not None and (self.cursor is None or newest > self.cursor):
            self.cursor = newest
        if not page.fresh:
            if last:
                self.ctx.commit(None, {}, state=self.state())
            return
        runs, skipped = rows_or_skips(page.items, partial(workflow_run_row, self.ctx.repo))
        jobs, bad_jobs = self.jobs_for(runs)
        self.ctx.commit(
            page,
            {"workflow_runs": runs, "workflow_jobs": jobs},
            skipped + bad_jobs,
            state=self.state() if last else None,
        )

    def jobs_for(self, runs: list[dict]) -> tuple[list[dict], list[MalformedItem]]:
        """Jobs of every attempt for the completed runs that need them and changed."""
        if not runs:
            return [], []
        stored = {
            row[0]: row[1:]
            for row in self.ctx.store.query(
                "select run_id, run_attempt, status, conclusion from raw.workflow_runs "
                "where repo = ? and list_contains(?, run_id)",
                [self.ctx.repo, [r["run_id"] for r in runs]],
            )
        }
        jobs: list[dict] = []
        bad: list[MalformedItem] = []
        for run in runs:
            if run["status"] != FINAL_RUN_STATUS or not self.jobs.wants(run):
                continue
            if stored.get(run["run_id"]) == (run["run_attempt"], run["status"], run["conclusion"]):
                continue
            url = self.ctx.url(
                f"/actions/runs/{run['run_id']}/jobs", self.ctx.list_params(filter="all")
            )
            try:
                for page in pages(self.ctx, url, list_key="jobs"):
                    rows, skipped = rows_or_skips(
                        page.items, partial(workflow_job_row, self.ctx.repo)
                    )
                    jobs.extend(rows)
                    bad.extend(skipped)
            except NotFound:
                continue  # the run was deleted between the listing and now
        return jobs, bad


def sync_runs(ctx: StreamContext) -> None:
    """Runs in `created` windows with a look-back, plus the jobs of the runs that need them."""
    RunsSync(ctx).run()
