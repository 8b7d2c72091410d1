"""Which workflow runs get their jobs fetched, and the fetching (jobs commit with their run's page).

Jobs (`filter=all`, every attempt) are fetched for a completed run that is new or whose
attempt/status/conclusion changed, when its workflow deploys (a job with `environment:`, directly
or through a local reusable workflow), is a verification workflow, matches a deploy rule, or has
no parseable YAML on the default branch (when in doubt, fetch).
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import partial

from ingest.client import NotFound
from ingest.payloads import MalformedItem, rows_or_skips, workflow_job_row
from ingest.streams.base import StreamContext, pages

FINAL_RUN_STATUS = "completed"


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


def jobs_for(
    ctx: StreamContext, policy: JobPolicy, runs: list[dict]
) -> tuple[list[dict], list[MalformedItem]]:
    """Jobs of every attempt for the completed runs that need them and changed."""
    if not runs:
        return [], []
    stored = {
        row[0]: row[1:]
        for row in ctx.store.query(
            "select run_id, run_attempt, status, conclusion from raw.workflow_runs "
            "where repo = ? and list_contains(?, run_id)",
            [ctx.repo, [r["run_id"] for r in runs]],
        )
    }
    jobs: list[dict] = []
    bad: list[MalformedItem] = []
    for run in runs:
        if run["status"] != FINAL_RUN_STATUS or not policy.wants(run):
            continue
        if stored.get(run["run_id"]) == (run["run_attempt"], run["status"], run["conclusion"]):
            continue
        url = ctx.url(f"/actions/runs/{run['run_id']}/jobs", ctx.list_params(filter="all"))
        try:
            for page in pages(ctx, url, list_key="jobs"):
                rows, skipped = rows_or_skips(page.items, partial(workflow_job_row, ctx.repo))
                jobs.extend(rows)
                bad.extend(skipped)
        except NotFound:
            continue  # the run was deleted between the listing and now
    return jobs, bad
