"""acme/infra: Terraform applies as plain runs, which only a deploy rule turns into deployments."""

from __future__ import annotations

from datetime import datetime, timedelta

from simulator.generator.delivery import W, incident
from simulator.generator.people import Engineer
from simulator.generator.sim import RepoSim
from simulator.records import WorkflowRun


def on_infra_apply(sim: RepoSim, t: datetime, target: str | None, engineer: Engineer) -> None:
    rng = sim.rng
    history = sim.history.setdefault("production", [])
    if target is not None:
        if len(history) < 2 or history[-1] != target:
            return
        sha, branch = history[-2], f"rollback-{history[-2][:7]}"
    else:
        sha, branch = sim.main, "main"
        if sha in history and (history[-1] != sha or rng.random() > 0.2):
            return
    run = apply_terraform(sim, t, sha, branch, engineer, "Terraform Apply", 0.1)
    if run.conclusion != "success":
        return
    bad = target is None and rng.random() < 0.08 and len(history) > 1 and history[-2] != sha
    verify_apply(sim, run, engineer, not bad)
    if bad:
        if rng.random() < 0.3:
            incident(sim, run.updated_at + sim.minutes(30, 200), "DNS records drifted after apply",
                     ("incident",), sim.minutes(120, 600))  # fmt: skip
        if rng.random() < 0.6:
            later = engineer.next_working(run.updated_at + sim.minutes(60, 240), rng)
            sim.schedule(later, "infra_apply", sha, engineer)


def apply_terraform(
    sim: RepoSim, t: datetime, sha: str, branch: str, engineer: Engineer, reason: str, fail: float
) -> WorkflowRun:
    """`terraform-apply.yml` dispatched by hand: a run that only a deploy rule makes a deployment.

    Its `run-name` is the reason given, "Terraform Apply" by default.
    """
    run = sim.simple_run(W + "terraform-apply.yml", "workflow_dispatch", sha, branch,
                         engineer.person, t, reason, ("plan", "apply"), fail, 0.6)  # fmt: skip
    sim.rule_runs.append(run.id)
    if run.conclusion == "success":
        sim.history.setdefault("production", []).append(sha)
        sim.last_success["production"] = (sha, run.updated_at, run.id)
    return run


def verify_apply(sim: RepoSim, run: WorkflowRun, engineer: Engineer, healthy: bool) -> None:
    """`deployment-verification.yml`, started by the apply's completion (`workflow_run`)."""
    sim.simple_run(W + "deployment-verification.yml", "workflow_run", run.head_sha, run.head_branch,
                   engineer.person, run.updated_at + timedelta(seconds=15),
                   "Deployment Verification", ("verify",),
                   conclusion="success" if healthy else "failure")  # fmt: skip


HANDLERS = {"infra_apply": on_infra_apply}
