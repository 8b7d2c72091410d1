"""GitHub Actions payloads: workflows, runs (and earlier attempts), jobs, deployments, environments.

Shapes as in `simulator.server.payloads` (the module docstring there says where they come from).
"""

from __future__ import annotations

from urllib.parse import quote

from simulator.records import (
    Commit,
    Deployment,
    DeploymentStatus,
    Environment,
    Job,
    PullRequest,
    Repository,
    Workflow,
    WorkflowRun,
)
from simulator.server.payloads import derived_id, derived_sha, node_id, person, ts, ts_millis, user

# --- Actions: workflows, runs, jobs ---


def workflow(api: str, web: str, repo: Repository, wf: Workflow) -> dict:
    r = f"{api}/repos/{repo.full_name}"
    return {
        "id": wf.id,
        "node_id": node_id("W", wf.id),
        "name": wf.name,
        "path": wf.path,
        "state": wf.state,
        "created_at": ts_millis(wf.created_at),
        "updated_at": ts_millis(wf.updated_at),
        "url": f"{r}/actions/workflows/{wf.id}",
        "html_url": f"{web}/{repo.full_name}/blob/{repo.default_branch}/{quote(wf.path)}",
        "badge_url": f"{web}/{repo.full_name}/workflows/{quote(wf.name)}/badge.svg",
    }


def head_commit(commit: Commit | None) -> dict | None:
    if commit is None:
        return None
    return {
        "id": commit.sha,
        "tree_id": derived_sha("tree", commit.sha),
        "message": commit.message,
        "timestamp": ts(commit.committer_date),
        "author": {"name": commit.author.name, "email": commit.author.email},
        "committer": {"name": commit.committer.name, "email": commit.committer.email},
    }


def run_pull_request(api: str, repo: Repository, pr: PullRequest) -> dict:
    """The short pull request reference inside a run's `pull_requests`."""
    r = f"{api}/repos/{repo.full_name}"
    ref = {"id": repo.id, "url": r, "name": repo.name}
    return {
        "url": f"{r}/pulls/{pr.number}",
        "id": pr.id,
        "number": pr.number,
        "head": {"ref": pr.head_ref, "sha": pr.head_sha, "repo": ref},
        "base": {
            "ref": pr.base_ref,
            "sha": repo.branches.get(pr.base_ref, pr.head_sha),
            "repo": ref,
        },
    }


def workflow_run(
    api: str,
    web: str,
    repo: Repository,
    run: WorkflowRun,
    pulls: list[PullRequest],
    mini_repo: dict | str,
    attempt: int | None = None,
) -> dict:
    """A run as listed or fetched; `attempt` < run.run_attempt renders that earlier attempt.

    `mini_repo` is the rendered minimal repository, or a fragment token the server splices in.
    """
    r = f"{api}/repos/{repo.full_name}"
    run_url = f"{r}/actions/runs/{run.id}"
    n = run.run_attempt if attempt is None else attempt
    status, conclusion = run.status, run.conclusion
    started, updated = run.run_started_at, run.updated_at
    if n != run.run_attempt:
        jobs = [j for j in run.jobs if j.run_attempt == n]
        status, conclusion = attempt_outcome(jobs)
        started = min((j.created_at for j in jobs), default=run.created_at)
        updated = max((j.completed_at or j.created_at for j in jobs), default=run.created_at)
        if n == 1:
            started = run.created_at
    jobs_url = f"{run_url}/attempts/{n}/jobs" if attempt is not None else f"{run_url}/jobs"
    logs_url = f"{run_url}/attempts/{n}/logs" if attempt is not None else f"{run_url}/logs"
    return {
        "id": run.id,
        "name": run.name,
        "node_id": node_id("WFR", run.id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": run.path,
        "display_title": run.display_title,
        "run_number": run.run_number,
        "event": run.event,
        "status": status,
        "conclusion": conclusion,
        "workflow_id": run.workflow_id,
        "check_suite_id": run.id + 10_000_000_000,
        "check_suite_node_id": node_id("CS", run.id + 10_000_000_000),
        "url": run_url,
        "html_url": f"{web}/{repo.full_name}/actions/runs/{run.id}",
        "pull_requests": [run_pull_request(api, repo, pr) for pr in pulls],
        "created_at": ts(run.created_at),
        "updated_at": ts(updated),
        "actor": person(api, web, run.actor),
        "run_attempt": n,
        "referenced_workflows": [
            {
                "path": f"{repo.full_name}/{path}@refs/heads/{run.head_branch}",
                "sha": run.head_sha,
                "ref": f"refs/heads/{run.head_branch}",
            }
            for path in run.referenced_workflows
        ],
        "run_started_at": ts(started),
        "triggering_actor": person(api, web, run.triggering_actor),
        "jobs_url": jobs_url,
        "logs_url": logs_url,
        "check_suite_url": f"{r}/check-suites/{run.id + 10_000_000_000}",
        "artifacts_url": f"{run_url}/artifacts",
        "cancel_url": f"{run_url}/cancel",
        "rerun_url": f"{run_url}/rerun",
        "previous_attempt_url": f"{run_url}/attempts/{n - 1}" if n > 1 else None,
        "workflow_url": f"{r}/actions/workflows/{run.workflow_id}",
        "head_commit": head_commit(repo.commits.get(run.head_sha)),
        "repository": mini_repo,
        "head_repository": mini_repo,
    }


def attempt_outcome(jobs: list[Job]) -> tuple[str, str | None]:
    """Status and conclusion of an earlier attempt, from its jobs (GitHub keeps them per attempt)."""
    if not jobs:
        return "completed", "cancelled"
    if any(j.status != "completed" for j in jobs):
        return "in_progress", None
    for bad in ("failure", "timed_out", "cancelled"):
        if any(j.conclusion == bad for j in jobs):
            return "completed", bad
    return "completed", "success"


def job(api: str, web: str, repo: Repository, run: WorkflowRun, j: Job) -> dict:
    r = f"{api}/repos/{repo.full_name}"
    return {
        "id": j.id,
        "run_id": run.id,
        "workflow_name": run.name,
        "head_branch": run.head_branch,
        "run_url": f"{r}/actions/runs/{run.id}",
        "run_attempt": j.run_attempt,
        "node_id": node_id("CR", j.id),
        "head_sha": run.head_sha,
        "url": f"{r}/actions/jobs/{j.id}",
        "html_url": f"{web}/{repo.full_name}/actions/runs/{run.id}/job/{j.id}",
        "status": j.status,
        "conclusion": j.conclusion,
        "created_at": ts(j.created_at),
        "started_at": ts(j.started_at),
        "completed_at": ts(j.completed_at),
        "name": j.name,
        "steps": job_steps(j),
        "check_run_url": f"{r}/check-runs/{j.id}",
        "labels": ["ubuntu-latest"],
        "runner_id": 1000000000 + j.id % 100000 if j.started_at else None,
        "runner_name": f"GitHub Actions {1000000000 + j.id % 100000}" if j.started_at else None,
        "runner_group_id": 0 if j.started_at else None,
        "runner_group_name": "GitHub Actions" if j.started_at else None,
    }


def job_steps(j: Job) -> list[dict]:
    """Three steps spanning the job (records keep no steps; the shape needs them)."""
    if j.started_at is None:
        return []
    end = j.completed_at
    done = j.status == "completed"
    steps = [("Set up job", j.started_at, j.started_at), (f"Run {j.name}", j.started_at, end)]
    steps.append(("Complete job", end, end))
    return [
        {
            "name": name,
            "status": "completed" if done else "in_progress",
            "conclusion": (j.conclusion if number == 2 else "success") if done else None,
            "number": number,
            "started_at": ts_millis(start) if start else None,
            "completed_at": ts_millis(stop) if (stop and done) else None,
        }
        for number, (name, start, stop) in enumerate(steps, start=1)
    ]


# --- Deployments and environments ---


def deployment(api: str, web: str, repo: Repository, d: Deployment) -> dict:
    r = f"{api}/repos/{repo.full_name}"
    return {
        "url": f"{r}/deployments/{d.id}",
        "id": d.id,
        "node_id": node_id("DE", d.id),
        "sha": d.sha,
        "ref": d.ref,
        "task": d.task,
        "payload": {},
        "original_environment": d.original_environment,
        "environment": d.environment,
        "description": d.description,
        "creator": person(api, web, d.creator),
        "created_at": ts(d.created_at),
        "updated_at": ts(d.updated_at),
        "statuses_url": f"{r}/deployments/{d.id}/statuses",
        "repository_url": r,
        "transient_environment": d.transient_environment,
        "production_environment": d.production_environment,
        "performed_via_github_app": None,
    }


def deployment_status(
    api: str, web: str, repo: Repository, d: Deployment, s: DeploymentStatus
) -> dict:
    r = f"{api}/repos/{repo.full_name}"
    return {
        "url": f"{r}/deployments/{d.id}/statuses/{s.id}",
        "id": s.id,
        "node_id": node_id("DES", s.id),
        "state": s.state,
        "creator": person(api, web, d.creator),
        "description": s.description,
        "environment": s.environment,
        "target_url": s.log_url,
        "created_at": ts(s.created_at),
        "updated_at": ts(s.created_at),
        "deployment_url": f"{r}/deployments/{d.id}",
        "repository_url": r,
        "environment_url": "",
        "log_url": s.log_url,
        "performed_via_github_app": None,
    }


def protection_rule(api: str, web: str, env: Environment, index: int, rule: dict) -> dict:
    rule_id = env.id * 10 + index
    body: dict = {"id": rule_id, "node_id": node_id("GA", rule_id)}
    kind = rule.get("type", "branch_policy")
    if kind == "required_reviewers":
        body["prevent_self_review"] = bool(rule.get("prevent_self_review", False))
    body["type"] = kind
    if kind == "wait_timer":
        body["wait_timer"] = int(rule.get("wait_timer", 0))
    if kind == "required_reviewers":
        reviewers = []
        for reviewer in rule.get("reviewers", []):
            login = reviewer if isinstance(reviewer, str) else reviewer.get("login", "reviewer")
            reviewer_id = derived_id("user", login) % 90_000_000 + 1000
            if not isinstance(reviewer, str) and isinstance(reviewer.get("id"), int):
                reviewer_id = reviewer["id"]
            reviewers.append({"type": "User", "reviewer": user(api, web, login, reviewer_id)})
        body["reviewers"] = reviewers
    return body


def environment(api: str, web: str, repo: Repository, env: Environment) -> dict:
    r = f"{api}/repos/{repo.full_name}"
    rules = [protection_rule(api, web, env, i, rule) for i, rule in enumerate(env.protection_rules)]
    has_branch_policy = any(rule["type"] == "branch_policy" for rule in rules)
    return {
        "id": env.id,
        "node_id": node_id("EN", env.id),
        "name": env.name,
        "url": f"{r}/environments/{quote(env.name)}",
        "html_url": f"{web}/{repo.full_name}/deployments/activity_log?environments_filter={env.name}",
        "created_at": ts(env.created_at),
        "updated_at": ts(env.updated_at),
        "protection_rules": rules,
        "deployment_branch_policy": (
            {"protected_branches": True, "custom_branch_policies": False}
            if has_branch_policy
            else None
        ),
    }
