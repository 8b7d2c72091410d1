"""Releases and how they go wrong: manual deploys, the master pipeline, web releases.

Every bad release is decided here (Terraform applies in `simulator.generator.infra`), and so is the
reaction to it: a rollback (by hand, or automatically once the master pipeline is adopted), a
revert, a hotfix, an incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simulator.generator.activity import open_revert
from simulator.generator.delivery import W, deploy_job, incident, verify
from simulator.generator.estate import workflow_estate
from simulator.generator.people import Engineer
from simulator.generator.sim import RepoSim
from simulator.records import Deployment, Job, WorkflowRun

_RISKS = {  # chance that a successful production release is bad, before / after adoption
    "platform": (0.12, 0.07),
}


# --- adoption ---
def on_adopt(sim: RepoSim, t: datetime) -> None:
    """The team commits `master-pipeline.yml`; from now on every merge ships by itself."""
    engineer = sim.team[0]
    sha = sim.commit((sim.main,), engineer, t, "Adopt the master pipeline\n\nPromotes "
                     "development -> staging -> production with automatic rollback.",
                     files=(W + "master-pipeline.yml",))  # fmt: skip
    sim.advance_main(sha, None, ())
    path = W + "master-pipeline.yml"
    for workflow in sim.repo.workflows:
        if workflow.path == path:
            workflow.created_at = workflow.updated_at = t
            workflow.state = "active"
    sim.repo.workflow_files[path] = workflow_estate(sim.kind)[path]
    sim.adopted = True


# --- platform, before adoption: deploys by hand ---
def on_manual_deploy(
    sim: RepoSim, t: datetime, service: str, environment: str, mode: str, engineer: Engineer
) -> None:
    """`ci-cd-pipeline.yml` dispatched by hand; production gets staging's last good sha."""
    name = f"{service}-{environment}"
    if sim.is_scripted(name):
        return
    deployed = set(sim.history.get(name, ()))
    if mode == "retry":
        sha = sim.last_attempt[name]
        live = sim.last_success.get(name)
        if live is not None and sim.main_index.get(live[0], -1) > sim.main_index.get(sha, -1):
            return  # something newer went out meanwhile; retrying would ship an older sha
    elif environment == "production" and mode == "promote":
        staged = sim.last_success.get(f"{service}-staging")
        if staged is None:
            return
        sha = staged[0]
        restart = sim.last_success.get(name, ("",))[0] == sha and sim.rng.random() < 0.06
        if sha in deployed and not restart:
            return  # nothing new to promote; now and then a restart redeploys it
    else:
        sha = sim.main
        if sha in deployed and sim.last_success.get(name, ("",))[0] != sha:
            return
    _dispatch_deploy(
        sim, t, service, environment, sha, engineer, f"Deploy {service} to {environment}"
    )


def on_manual_rollback(
    sim: RepoSim, t: datetime, name: str, bad_id: int, engineer: Engineer
) -> None:
    """Someone redeploys the sha before a bad release, if nothing replaced it meanwhile."""
    if sim.is_scripted(name):
        return
    active = sim.active.get(name)
    history = sim.history[name]
    if active is None or active.id != bad_id or len(history) < 2 or history[-2] == history[-1]:
        return
    service, environment = name.rsplit("-", 1)
    target = history[-2]
    words = (
        f"Rollback {name} to {target[:7]}"
        if sim.rng.random() < 0.6
        else f"Deploy {service} to {environment}"
    )
    _dispatch_deploy(sim, t, service, environment, target, engineer, words)


def _dispatch_deploy(
    sim: RepoSim,
    t: datetime,
    service: str,
    environment: str,
    sha: str,
    engineer: Engineer,
    words: str,
) -> None:
    rng = sim.rng
    name = f"{service}-{environment}"
    run, build = _start_pipeline(sim, t, name, sha, engineer)
    if environment == "development" and "stuck" not in sim.flags and t > sim.world.at_fraction(0.3):
        # The runner died mid-rollout: the run is cancelled, the deployment never settles.
        sim.flags.add("stuck")
        deployment = sim.create_deployment(run, name, sha, build.completed_at, words)
        sim.status(deployment, "in_progress", build.completed_at + timedelta(seconds=25))
        sim.job(run, "deploy", build.completed_at, 30, "cancelled", name)
        sim.finish_run(run, "cancelled", build.completed_at + timedelta(minutes=30))
        return
    fail = 0.08 if environment == "production" else 0.05
    deployment, done, ok = deploy_job(
        sim, run, "deploy", name, sha, build.completed_at, words, fail
    )
    sim.finish_run(run, "success" if ok else "failure", done)
    if not ok:
        sim.schedule(engineer.next_working(done + sim.minutes(20, 120), rng), "manual_deploy",
                     service, environment, "retry", engineer)  # fmt: skip
        return
    if environment == "development":
        return
    if environment == "staging":
        verify(sim, deployment, done, True)
        world = sim.world
        forced = "staging_incident" not in world.flags and t > world.at_fraction(0.2)
        if forced or rng.random() < 0.02:
            world.flags.add("staging_incident")
            incident(sim, done + sim.minutes(20, 240), f"{service} staging is down",
                     ("incident", "env:staging", f"service:{service}"), sim.minutes(60, 480))  # fmt: skip
        return
    if "rollback" in words.lower() or mode_is_rollback(sim, name, sha):
        verify(sim, deployment, done, True)
        return
    bad = rng.random() < _RISKS["platform"][0]
    checked = verify(sim, deployment, done, not bad)
    if rng.random() < 0.3:  # someone also runs the validation suite by hand
        sim.simple_run(W + "post-deploy-validation.yml", "workflow_dispatch", sha, "main",
                       engineer.person, checked + sim.minutes(1, 10), "Post-deploy Validation",
                       ("smoke-tests", "slo-check"),
                       conclusion="failure" if bad else "success")  # fmt: skip
    if bad:
        _react_by_hand(sim, done, service, deployment, engineer)
    elif rng.random() < 0.03:
        _incident_then_hotfix(sim, done, service, sim.minutes(240, 1500))


def _start_pipeline(
    sim: RepoSim, t: datetime, name: str, sha: str, engineer: Engineer
) -> tuple[WorkflowRun, Job]:
    """`ci-cd-pipeline.yml` dispatched by hand for environment `name`, up to its build job."""
    sim.last_attempt[name] = sha
    run = sim.start_run(W + "ci-cd-pipeline.yml", "workflow_dispatch", sha, "main",
                        engineer.person, t, "CI/CD Pipeline")  # fmt: skip
    run.run_started_at = start = t + timedelta(seconds=sim.rng.randint(5, 40))
    return run, sim.job(run, "build", start, sim.rng.uniform(2, 6))


def pipeline_deploy(
    sim: RepoSim, t: datetime, name: str, sha: str, engineer: Engineer, words: str, fail: float
) -> tuple[Deployment, datetime, bool]:
    """A hand-dispatched `ci-cd-pipeline.yml` run that deploys `sha` to environment `name`."""
    run, build = _start_pipeline(sim, t, name, sha, engineer)
    deployment, done, ok = deploy_job(
        sim, run, "deploy", name, sha, build.completed_at, words, fail
    )
    sim.finish_run(run, "success" if ok else "failure", done)
    return deployment, done, ok


def mode_is_rollback(sim: RepoSim, name: str, sha: str) -> bool:
    """Was this sha live in this environment before (so deploying it again rolls back)?"""
    return sha in sim.history.get(name, ())[:-1]


def _react_by_hand(
    sim: RepoSim, done: datetime, service: str, deployment: Deployment, engineer: Engineer
) -> None:
    rng = sim.rng
    name = deployment.environment
    if rng.random() < 0.5:
        incident(sim, done + sim.minutes(40, 240), f"{service} error rate above SLO",
                 ("incident", f"service:{service}"), sim.minutes(360, 1800))  # fmt: skip
    first_revert = "revert" not in sim.world.flags
    culprit = _culprit(sim, name) if first_revert or rng.random() < 0.4 else None
    if culprit:
        sim.world.flags.add("revert")
    later = engineer.next_working(done + sim.minutes(60, 300), rng)
    if culprit:
        open_revert(sim, later, culprit)
    else:
        sim.schedule(later, "manual_rollback", name, deployment.id, engineer)


def _culprit(sim: RepoSim, name: str) -> str | None:
    """The newest squash-merged commit the bad release shipped, if any."""
    history = sim.history[name]
    if len(history) < 2 or history[-1] not in sim.main_index or history[-2] not in sim.main_index:
        return None
    low, high = sim.main_index[history[-2]], sim.main_index[history[-1]]
    for sha, squash_pr in reversed(sim.main_log[low + 1 : high + 1]):
        if squash_pr is not None and sha not in sim.reverted:
            if sim.repo.commits[sha].message.startswith('Revert "'):
                continue
            sim.reverted.add(sha)
            return sha
    return None


def _incident_then_hotfix(
    sim: RepoSim, done: datetime, service: str, lasts: timedelta, name: str | None = None
) -> None:
    """An incident follows a release; it is fixed forward, or (after adoption) often reverted."""
    opened = done + sim.minutes(30, 300)
    incident(sim, opened, f"{service} returns 500 for some requests",
             ("incident", f"service:{service}"), lasts)  # fmt: skip
    culprit = _culprit(sim, name) if name and sim.rng.random() < 0.5 else None
    if culprit:
        open_revert(sim, opened + sim.minutes(15, 45), culprit)
    else:
        sim.schedule(opened + sim.minutes(20, 60), "pr_open", sim.engineer(), service, None)


# --- platform, after adoption: the master pipeline ---
def on_pipeline(
    sim: RepoSim, t: datetime, sha: str, services: tuple[str, ...], engineer: Engineer
) -> None:
    """development -> staging automatically, then production waits for an approval."""
    rng = sim.rng
    if not services:
        return
    referenced = tuple(W + f for f in ("safety-checks.yml", "setup-infrastructure.yml",
                                       "progressive-deployment.yml", "post-deploy-validation.yml"))  # fmt: skip
    title = sim.repo.commits[sha].message.splitlines()[0]
    run = sim.start_run(W + "master-pipeline.yml", "push", sha, "main", engineer.person, t, title,
                        referenced=referenced)  # fmt: skip
    run.run_started_at = start = t + timedelta(seconds=rng.randint(5, 30))
    run.status = "in_progress"
    gate = sim.job(run, "quality-gates / secrets-scan", start, rng.uniform(1, 3),
                   "failure" if rng.random() < 0.03 else "success")  # fmt: skip
    if gate.conclusion == "failure":
        sim.finish_run(run, "failure", gate.completed_at)
        return
    at = sim.job(
        run, "infrastructure / terraform / plan", gate.completed_at, rng.uniform(1, 3)
    ).completed_at
    for environment in ("development", "staging"):
        finished = at
        for service in services:
            job_name = f"deploy-{environment} ({service}) / canary"
            deployment, done, ok = deploy_job(sim, run, job_name, f"{service}-{environment}", sha, at,
                                              f"Deploy {service} to {environment}", 0.03)  # fmt: skip
            if ok and environment == "staging":
                verify(sim, deployment, done, True)
            if not ok:
                sim.finish_run(run, "failure", done)
                return
            finished = max(finished, done)
        at = finished
    waiting = []
    for service in services:
        name = f"{service}-production"
        job = sim.job(run, f"deploy-production ({service}) / canary", at, 0, None, name)
        # GitHub creates the deployment as soon as the job waits for its reviewers.
        deployment = sim.create_deployment(run, name, sha, at + timedelta(seconds=rng.randint(2, 9)),
                                           f"Deploy {service} to production")  # fmt: skip
        waiting.append((service, job, deployment))
    run.status, run.updated_at = "waiting", at
    approver = sim.engineer()
    approved = approver.next_working(at + sim.minutes(2, 30), rng)
    if sim.gate is not None:
        approved = max(approved, sim.gate + sim.minutes(3, 8))
    sim.gate = approved
    sim.pending[run.id] = {"run": run, "sha": sha, "waiting": waiting, "approver": approver}
    sim.schedule(approved, "pipeline_approve", run.id)


def on_pipeline_approve(sim: RepoSim, t: datetime, run_id: int) -> None:
    """The approval arrives: production rolls out, is validated, and rolls back by itself if bad."""
    rng = sim.rng
    state = sim.pending.pop(run_id)
    run, sha = state["run"], state["sha"]
    run.status = "in_progress"
    conclusion, end = "success", t
    for service, job, deployment in state["waiting"]:
        name = f"{service}-production"
        previous = sim.last_success.get(name)
        sim.status(deployment, "in_progress", t + timedelta(seconds=rng.randint(5, 20)))
        done = t + sim.minutes(2, 6)
        ok = rng.random() >= 0.03
        sim.status(deployment, "success" if ok else "failure", done)
        job.status, job.conclusion = "completed", "success" if ok else "failure"
        job.started_at, job.completed_at = t, done + timedelta(seconds=5)
        end = max(end, job.completed_at)
        if not ok:
            conclusion = "failure"
            retry = sim.engineer().next_working(done + sim.minutes(10, 40), rng)
            sim.schedule(retry, "pipeline_retry", run.id, service, sha)
            continue
        bad = rng.random() < _RISKS["platform"][1] and previous is not None and previous[0] != sha
        checked = verify(sim, deployment, done, not bad)
        validate = sim.job(run, f"validate ({service}) / smoke-tests", done + timedelta(seconds=10),
                           rng.uniform(2, 5), "failure" if bad else "success")  # fmt: skip
        end = max(end, checked, validate.completed_at)
        if bad:
            conclusion = "failure"
            back, back_done, _ = deploy_job(
                sim,
                run,
                f"rollback ({service}) / canary",
                name,
                previous[0],
                validate.completed_at + timedelta(seconds=8),
                f"Automatic rollback of {service}: post-deploy validation failed",
                0.0,
            )
            verify(sim, back, back_done, True)
            end = max(end, back_done)
        elif rng.random() < 0.025:
            _incident_then_hotfix(sim, done, service, sim.minutes(60, 240), name)
    sim.finish_run(run, conclusion, end + timedelta(seconds=5))


def on_pipeline_retry(sim: RepoSim, t: datetime, run_id: int, service: str, sha: str) -> None:
    """Someone re-runs the failed production job: a new attempt of the same run."""
    name = f"{service}-production"
    live = sim.last_success.get(name)
    if live is not None and sim.main_index.get(live[0], -1) >= sim.main_index[sha]:
        return  # this sha or a newer one went out meanwhile
    run = next(r for r in reversed(sim.repo.runs) if r.id == run_id)
    run.run_attempt += 1
    run.status, run.conclusion = "in_progress", None
    run.run_started_at = start = t + timedelta(seconds=sim.rng.randint(5, 30))
    deployment, done, ok = deploy_job(sim, run, f"deploy-production ({service}) / canary", name,
                                      sha, start, f"Deploy {service} to production", 0.0)  # fmt: skip
    end = verify(sim, deployment, done, True)
    sim.finish_run(run, "success", max(done, end))


# --- web: staging on merge, production by hand ---
def on_web_release(
    sim: RepoSim, t: datetime, mode: str, engineer: Engineer, target: str | None
) -> None:
    if sim.is_scripted("production"):
        return
    rng = sim.rng
    history = sim.history.get("production", [])
    if mode == "rollback":
        active = sim.active.get("production")
        if active is None or active.sha != history[-1] or len(history) < 2 or target != active.sha:
            return
        sha, words = history[-2], f"Rollback production to {history[-2][:7]}"
    elif mode == "stuck":
        staged = sim.last_success.get("staging")
        sha, words = staged[0] if staged else sim.main, "Release to production"
    else:
        staged = sim.last_success.get("staging")
        if staged is None or staged[0] in history:
            return
        sha, words = staged[0], "Release to production"
    run, start, approved = _start_release(sim, t, sha, engineer)
    if mode == "stuck":
        # The runner vanished mid-rollout: the run is cancelled and the deployment never settles.
        deployment = sim.create_deployment(run, "production", sha, approved, words)
        sim.status(deployment, "in_progress", approved + timedelta(seconds=20))
        sim.job(run, "deploy-production", start, 40, "cancelled", "production")
        sim.finish_run(run, "cancelled", start + timedelta(minutes=40))
        return
    deployment, done, ok = _finish_release(sim, run, sha, approved, words, 0.05)
    if not ok:
        sim.schedule(done + sim.minutes(30, 90), "web_release", "promote", engineer, None)
    elif mode != "rollback" and rng.random() < 0.08:
        if rng.random() < 0.7:
            incident(sim, done + sim.minutes(60, 300), "checkout page blank for Safari users",
                     ("incident",), sim.minutes(180, 1200))  # fmt: skip
        if rng.random() < 0.6:
            sim.schedule(done + sim.minutes(60, 180), "web_release", "rollback", engineer, sha)


def _start_release(
    sim: RepoSim, t: datetime, sha: str, engineer: Engineer
) -> tuple[WorkflowRun, datetime, datetime]:
    """`deploy.yml` dispatched for production: the run, its start, and the reviewer's approval."""
    run = sim.start_run(
        W + "deploy.yml", "workflow_dispatch", sha, "main", engineer.person, t, "Deploy"
    )
    run.run_started_at = start = t + timedelta(seconds=sim.rng.randint(5, 30))
    return run, start, start + sim.minutes(2, 20)  # required reviewer on `production`


def _finish_release(
    sim: RepoSim, run: WorkflowRun, sha: str, approved: datetime, words: str, fail: float
) -> tuple[Deployment, datetime, bool]:
    deployment, done, ok = deploy_job(
        sim, run, "deploy-production", "production", sha, approved, words, fail
    )
    sim.finish_run(run, "success" if ok else "failure", done)
    return deployment, done, ok


def release_web(
    sim: RepoSim, t: datetime, sha: str, engineer: Engineer, words: str, fail: float
) -> tuple[Deployment, datetime, bool]:
    """A production release of acme/web: `deploy.yml` dispatched by hand, then approved."""
    run, _, approved = _start_release(sim, t, sha, engineer)
    return _finish_release(sim, run, sha, approved, words, fail)


HANDLERS = {
    "adopt": on_adopt,
    "manual_deploy": on_manual_deploy,
    "manual_rollback": on_manual_rollback,
    "pipeline": on_pipeline,
    "pipeline_approve": on_pipeline_approve,
    "pipeline_retry": on_pipeline_retry,
    "web_release": on_web_release,
}
