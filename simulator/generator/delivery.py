"""Shipping: deploy jobs, verification, incidents, and the daily routine of each kind of repo.

The platform monorepo deploys by hand (`ci-cd-pipeline.yml`) until the master pipeline is
adopted (both in `simulator.generator.releases`); the web app deploys staging on every merge and
production by hand; infra applies Terraform with plain runs that only a deploy rule turns into
deployments.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simulator.generator import release_habits
from simulator.generator.people import Engineer
from simulator.generator.sim import PullState, RepoSim, seconds
from simulator.records import Deployment, PullRequest, WorkflowRun

W = ".github/workflows/"
_PLATFORM_SCHEDULED = (  # path, UTC hour, weekday (None = daily), jobs
    ("e2e.yml", 1, None, ("e2e",)),
    ("backup-infrastructure.yml", 2, None, ("backup",)),
    ("gitops-sync.yml", 4, None, ("sync",)),
    ("rotate-service-credentials.yml", 3, 0, ("rotate",)),
)
_PLATFORM_MANUAL = (  # path, chance per weekday, jobs
    ("terraform.yml", 0.12, ("plan", "apply")),
    ("setup-infrastructure.yml", 0.05, ("terraform / plan", "terraform / apply", "networking")),
    ("postgres-ha-deployment.yml", 0.04, ("render", "apply")),
    ("qdrant-deployment.yml", 0.04, ("render", "apply")),
    ("monitoring-deployment.yml", 0.05, ("render", "apply")),
    ("linkerd-deployment.yml", 0.03, ("render", "apply")),
    ("deploy-cdn.yml", 0.05, ("upload", "purge")),
    ("deploy-service-accounts.yml", 0.03, ("apply",)),
    ("terraform 2.yml", 0.02, ("plan",)),
)
_MANUAL_JOBS = {W + path: jobs for path, _, jobs in _PLATFORM_MANUAL}


# --- shared pieces ---
def deploy_job(
    sim: RepoSim,
    run: WorkflowRun,
    job_name: str,
    environment: str,
    sha: str,
    start: datetime,
    description: str,
    fail: float,
    transient: bool = False,
) -> tuple[Deployment, datetime, bool]:
    """A job with `environment:`: GitHub creates the deployment and reports its statuses."""
    rng = sim.rng
    deployment = sim.create_deployment(
        run, environment, sha, start + seconds(rng.randint(2, 9)), description,
        transient=transient,
    )  # fmt: skip
    running = deployment.created_at + seconds(rng.randint(10, 40))
    sim.status(deployment, "in_progress", running)
    done = running + sim.minutes(1.5, 6)
    ok = rng.random() >= fail
    sim.status(deployment, "success" if ok else rng.choice(("failure", "failure", "error")), done)
    sim.job(run, job_name, start, (done - start).total_seconds() / 60 + 0.2,
            "success" if ok else "failure", environment)  # fmt: skip
    return deployment, done + seconds(12), ok


def verify(sim: RepoSim, deployment: Deployment, at: datetime, healthy: bool) -> datetime:
    """`deployment-verification.yml`, started by the deployment_status event of a success."""
    run = sim.simple_run(
        W + "deployment-verification.yml", "deployment_status", deployment.sha, deployment.ref,
        deployment.creator, at + seconds(sim.rng.randint(20, 90)),
        f"Deployment Verification: {deployment.environment}", ("verify",),
        conclusion="success" if healthy else "failure",
    )  # fmt: skip
    return run.updated_at


def incident(
    sim: RepoSim,
    at: datetime,
    what: str,
    labels: tuple[str, ...],
    lasts: timedelta,
) -> None:
    """Someone opens an incident issue; it is closed `lasts` later."""
    sim.schedule(at, "incident_open", what, labels, lasts)


def on_incident_open(
    sim: RepoSim, t: datetime, what: str, labels: tuple[str, ...], lasts: timedelta
) -> None:
    reporter = sim.engineer()
    issue = sim.open_issue(
        f"Incident: {what}",
        f"Opened by on-call. Alerts fired at {t:%H:%M} UTC; see the runbook.",
        reporter,
        t,
        labels,
    )
    sim.schedule(t + lasts, "incident_close", issue.number)


def on_incident_close(sim: RepoSim, t: datetime, number: int) -> None:
    issue = next(i for i in sim.repo.issues if i.number == number)
    issue.state, issue.state_reason, issue.closed_at, issue.updated_at = "closed", "completed", t, t
    world = sim.world
    if sim.kind == "platform" and "reopened" not in world.flags and t > world.reopen_after:
        # Closed too early: it came back an hour later and is still open.
        world.flags.add("reopened")
        issue.state, issue.state_reason, issue.closed_at = "open", "reopened", None
        issue.updated_at = t + timedelta(hours=1)


def on_unattributed_incident(sim: RepoSim, t: datetime) -> None:
    """An incident far (> 30 h) from any production deployment of its service."""
    gaps = []
    for service in sim.services:
        last = sim.last_success.get(f"{service}-production")
        if last is not None:
            gaps.append((t - last[1], service))
    gap, service = max(gaps, default=(timedelta(0), ""))
    if gap < timedelta(hours=30):
        sim.schedule(t + timedelta(days=1), "unattributed_incident")
        return
    on_incident_open(
        sim, t, f"{service} latency spike (upstream provider)", ("incident", f"service:{service}"),
        timedelta(hours=5),
    )  # fmt: skip


# --- daily routines ---
def daily(sim: RepoSim, day: datetime) -> None:
    {"platform": _platform_day, "web": _web_day, "infra": _infra_day}[sim.kind](sim, day)


def _weekday_moment(sim: RepoSim, engineer: Engineer, day: datetime) -> datetime | None:
    t = engineer.local_day_start(day) + sim.minutes(30, 8 * 60)
    return t if engineer.is_working(t) else None


def _platform_day(sim: RepoSim, day: datetime) -> None:
    rng, world = sim.rng, sim.world
    owner = sim.team[0]
    dispatches, production_at = [], []  # scheduled by release_habits, which may order them
    if sim.rates["misc"]:
        for path, hour, weekday, jobs in _PLATFORM_SCHEDULED:
            if weekday is None or day.weekday() == weekday:
                at = day + timedelta(hours=hour, seconds=rng.randint(0, 900))
                sim.schedule(at, "misc_run", W + path, "schedule", jobs, owner)
        manual_factor = 0.3 if sim.adopted else 1.0
        for path, chance, jobs in _PLATFORM_MANUAL:
            if rng.random() < chance * manual_factor * sim.rates["misc"]:
                engineer = sim.engineer()
                at = _weekday_moment(sim, engineer, day)
                if at:
                    dispatches.append((at, W + path, jobs, engineer))
        if rng.random() < 0.1:
            engineer = sim.engineer()
            sim.schedule(engineer.next_working(day, rng), "misc_run", W + "claude.yml",
                         "issue_comment", ("claude",), engineer)  # fmt: skip
    if day <= world.adopt_at < day + timedelta(days=1):
        sim.schedule(world.adopt_at, "adopt")
    if (
        day.weekday() == 6
        and day >= world.unattributed_after
        and "unattributed" not in sim.flags
        and sim.repo.name == "platform"
    ):
        sim.flags.add("unattributed")
        sim.schedule(day + timedelta(hours=12, minutes=17), "unattributed_incident")
    chances = (
        {"development": 0.01, "staging": 0.0, "production": 0.0}
        if sim.adopted
        else {"development": 0.3, "staging": 0.3, "production": 0.22}
    )
    for service in sim.services:
        for environment, chance in chances.items():
            if rng.random() < chance * sim.rates["deploys"]:
                engineer = sim.engineer()
                at = _weekday_moment(sim, engineer, day)
                if at:
                    sim.schedule(at, "manual_deploy", service, environment, "promote", engineer)
                    if environment == "production":
                        production_at.append(at)
    release_habits.schedule_dispatches(sim, dispatches, production_at, _MANUAL_JOBS)


def _web_day(sim: RepoSim, day: datetime) -> None:
    rng = sim.rng
    chance = 0.85 if day.weekday() in (1, 3) else 0.1
    if rng.random() < chance * sim.rates["deploys"]:
        engineer = sim.engineer()
        at = _weekday_moment(sim, engineer, day)
        if at:
            sim.schedule(at, "web_release", "promote", engineer, None)
    if day >= sim.world.stuck_after and "stuck" not in sim.flags and sim.repo.name == "web":
        sim.flags.add("stuck")
        sim.schedule(day + timedelta(hours=15), "web_release", "stuck", sim.team[1], None)


def _infra_day(sim: RepoSim, day: datetime) -> None:
    rng = sim.rng
    if sim.rates["misc"]:
        at = day + timedelta(hours=6, seconds=rng.randint(0, 600))
        sim.schedule(at, "misc_run", W + "drift-detection.yml", "schedule", ("drift",), sim.team[0])
    if day.weekday() < 5 and rng.random() < 0.45 * sim.rates["deploys"]:
        engineer = sim.engineer()
        at = _weekday_moment(sim, engineer, day)
        if at:
            sim.schedule(at, "infra_apply", None, engineer)


def on_misc_run(
    sim: RepoSim, t: datetime, path: str, event: str, jobs: tuple[str, ...], actor: Engineer
) -> None:
    title = sim.workflow_names[path]
    sim.simple_run(path, event, sim.main, sim.repo.default_branch, actor.person, t, title, jobs,
                   0.06, 0.4)  # fmt: skip


# --- reacting to merges and closed pull requests ---
def on_main_push(sim: RepoSim, t: datetime, sha: str, state: PullState) -> None:
    urgent = state.hotfix or state.reverts is not None
    if sim.kind == "platform":
        if sim.adopted:
            sim.schedule(t, "pipeline", sha, state.services, state.engineer)
        elif urgent:
            for service in state.services:
                sim.schedule(t + sim.minutes(5, 15), "manual_deploy", service, "staging", "head",
                             state.engineer)  # fmt: skip
                sim.schedule(t + sim.minutes(30, 50), "manual_deploy", service, "production",
                             "head", state.engineer)  # fmt: skip
    elif sim.kind == "web":
        done = web_staging(sim, t, sha, state.engineer, 0.03, 0.04)
        if urgent and done is not None:
            sim.schedule(done + sim.minutes(10, 30), "web_release", "promote", state.engineer, None)


def web_staging(
    sim: RepoSim, t: datetime, sha: str, engineer: Engineer, superseded: float, fail: float
) -> datetime | None:
    """`deploy.yml` on a push to main deploys staging; None when GitHub superseded it."""
    run = sim.start_run(W + "deploy.yml", "push", sha, "main", engineer.person, t,
                        sim.repo.commits[sha].message.splitlines()[0])  # fmt: skip
    start = t + seconds(sim.rng.randint(5, 30))
    run.run_started_at = start
    if sim.rng.random() < superseded:
        _superseded_staging(sim, run, sha, start)
        return None
    _, done, ok = deploy_job(sim, run, "deploy-staging", "staging", sha, start,
                             "Deploy to staging", fail)  # fmt: skip
    sim.finish_run(run, "success" if ok else "failure", done)
    return done


def _superseded_staging(sim: RepoSim, run: WorkflowRun, sha: str, start: datetime) -> None:
    """A deployment GitHub marked inactive without ever recording its success: superseded."""
    deployment = sim.create_deployment(run, "staging", sha, start + seconds(4),
                                       "Deploy to staging")  # fmt: skip
    done = start + sim.minutes(2, 4)
    sim.status(deployment, "inactive", done)
    previous = sim.active.get("staging")
    if previous is not None and previous.statuses[-1].state != "inactive":
        sim.status(previous, "inactive", done)
    sim.active["staging"] = deployment
    sim.last_success["staging"] = (sha, deployment.created_at, deployment.id)
    sim.history.setdefault("staging", []).append(sha)
    sim.job(run, "deploy-staging", start, (done - start).total_seconds() / 60, "success", "staging")
    sim.finish_run(run, "success", done + seconds(5))


def preview(sim: RepoSim, t: datetime, sha: str, pr: PullRequest) -> None:
    name = f"preview-pr-{pr.number}"
    sim.scopes.setdefault(name, (name, sim.repo.name))
    sim.ensure_environment(name, t, [])
    run = sim.start_run(W + "preview.yml", "pull_request", sha, pr.head_ref, pr.user, t, pr.title,
                        (pr.number,))  # fmt: skip
    run.run_started_at = t + seconds(6)
    _, done, ok = deploy_job(sim, run, "deploy-preview", name, sha, run.run_started_at,
                             f"Preview of #{pr.number}", 0.03, transient=True)  # fmt: skip
    sim.finish_run(run, "success" if ok else "failure", done)


def on_pull_closed(sim: RepoSim, t: datetime, pr: PullRequest) -> None:
    """Transient preview environments go inactive when their pull request closes."""
    deployment = sim.active.pop(f"preview-pr-{pr.number}", None)
    if deployment is not None and deployment.statuses[-1].state != "inactive":
        sim.status(deployment, "inactive", t + seconds(30))


HANDLERS = {
    "misc_run": on_misc_run,
    "incident_open": on_incident_open,
    "incident_close": on_incident_close,
    "unattributed_incident": on_unattributed_incident,
}
