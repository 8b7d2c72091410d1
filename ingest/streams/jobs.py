"""Which workflow runs get their jobs fetched, and the fetching (jobs commit with their run's page).

Jobs are one request per run, so they are fetched only where a model reads them: the runs of a
deploy rule (`[[deploy_rules]]`: a rule-matched run is a deployment, finished when its latest
attempt's last job completed). Deployments from the Deployments API carry their own times, and
verification workflows are judged by the run's own conclusion and start, so neither needs jobs.
`github.jobs_of_deploying_workflows = true` also fetches them for workflows that deploy through
environments (a job with `environment:`, directly or through a local reusable workflow, or no
parseable YAML), which gives those workflows their run durations on the Pipeline page.

Jobs (`filter=all`, every attempt) are fetched for a completed run that is new or whose
attempt/status/conclusion changed. When the rules change, `backfill_jobs` fetches them for the
stored runs the new rules want (the runs stream calls it on its next sync).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import partial

from ingest.client import NotFound
from ingest.payloads import MalformedItem, rows_or_skips, workflow_job_row
from ingest.streams.base import StreamContext, pages
from models.settings_tables import glob_to_regex  # the models' own glob semantics
from settings.config import Settings

FINAL_RUN_STATUS = "completed"
BACKFILL_RUNS_PER_TRANSACTION = 50


class DeployRuleMatcher:
    """Whether a run matches a deploy rule, exactly as `cfg.deploy_rule` does in the models
    (anchored glob on the workflow path, regex on the name; both when both are given)."""

    def __init__(self, settings: Settings) -> None:
        self.rules = [
            (
                re.compile(glob_to_regex(rule.workflow)) if rule.workflow else None,
                re.compile(rule.name_regex) if rule.name_regex else None,
            )
            for rule in settings.deploy_rules
        ]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def matches(self, path: str | None, name: str | None) -> bool:
        path = (path or "").split("@", 1)[0]
        return any(
            (glob is None or glob.search(path)) and (regex is None or regex.search(name or ""))
            for glob, regex in self.rules
        )


class JobPolicy:
    """Which runs get their jobs fetched (see the module docstring)."""

    def __init__(self, ctx: StreamContext) -> None:
        self.rules = DeployRuleMatcher(ctx.settings)
        self.with_deploying = ctx.settings.github.jobs_of_deploying_workflows
        self.known: dict[str, dict | None] = {}
        self.deploying: set[str] = set()
        if self.with_deploying:
            self.known = {
                path: json.loads(definition) if definition else None
                for path, definition in ctx.store.query(
                    "select path, definition from raw.workflow_files where repo = ?", [ctx.repo]
                )
            }
            self.deploying = _deploying_paths(self.known)

    def fingerprint(self) -> str:
        """Changes whenever the set of wanted runs may grow: the rules, the option, the YAML."""
        parts = [
            [(g.pattern if g else None, r.pattern if r else None) for g, r in self.rules.rules],
            self.with_deploying,
            sorted(self.deploying),
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]

    def wants(self, run: dict) -> bool:
        if self.rules.matches(run.get("path"), run.get("name")):
            return True
        if not self.with_deploying:
            return False
        path = (run.get("path") or "").split("@", 1)[0]
        return path not in self.known or self.known[path] is None or path in self.deploying


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
    wanted = [
        run
        for run in runs
        if run["status"] == FINAL_RUN_STATUS
        and policy.wants(run)
        and stored.get(run["run_id"]) != (run["run_attempt"], run["status"], run["conclusion"])
    ]
    return fetch_jobs(ctx, [run["run_id"] for run in wanted])


def fetch_jobs(ctx: StreamContext, run_ids: list[int]) -> tuple[list[dict], list[MalformedItem]]:
    """`GET /actions/runs/{id}/jobs?filter=all` for each run."""
    jobs: list[dict] = []
    bad: list[MalformedItem] = []
    for run_id in run_ids:
        url = ctx.url(f"/actions/runs/{run_id}/jobs", ctx.list_params(filter="all"))
        try:
            for page in pages(ctx, url, list_key="jobs"):
                rows, skipped = rows_or_skips(page.items, partial(workflow_job_row, ctx.repo))
                jobs.extend(rows)
                bad.extend(skipped)
        except NotFound:
            continue  # the run was deleted between the listing and now
    return jobs, bad


def backfill_jobs(ctx: StreamContext, policy: JobPolicy) -> None:
    """Jobs of stored completed runs that the policy wants and that have none for their latest
    attempt (a deploy rule added since they were read); stored 50 runs per transaction."""
    stored = ctx.store.query(
        "select r.run_id, r.path, r.name from raw.workflow_runs r "
        "where r.repo = ? and r.status = ? and not exists (select 1 from raw.workflow_jobs j "
        "where j.repo = r.repo and j.run_id = r.run_id and j.run_attempt = r.run_attempt) "
        "order by r.run_id",
        [ctx.repo, FINAL_RUN_STATUS],
    )
    wanted = [run_id for run_id, path, name in stored if policy.wants({"path": path, "name": name})]
    for start in range(0, len(wanted), BACKFILL_RUNS_PER_TRANSACTION):
        jobs, bad = fetch_jobs(ctx, wanted[start : start + BACKFILL_RUNS_PER_TRANSACTION])
        ctx.commit(None, {"workflow_jobs": jobs}, bad)
