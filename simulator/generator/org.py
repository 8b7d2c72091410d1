"""The deterministic synthetic GitHub organisation: `generate_organisation` and `advance`.

The period is the `days` whole UTC days before `end` (midnight UTC at the start of `end`, which
is excluded). Each repository has its own random stream seeded by (seed, repo), and one global
event queue interleaves them, so the same (seed, days, end, scale) always gives the same records
and ids. Half-way through the period acme/platform adopts `master-pipeline.yml`.

Choices made while modelling (the truth's own choices are in `simulator.generator.truth`):
- acme/platform deploys the whole monorepo sha; a release of one service ships every commit
  since that service's previous release. Before adoption: `ci-cd-pipeline.yml` dispatched by hand
  (production promotes staging's sha); after: every merge runs the master pipeline for the
  services it touched, dev -> staging -> production, with a reviewer approval before production.
  While waiting, the run's status is `waiting` and the production deployment has only `queued`,
  so approvals pending at the end leave unfinished deployments that `advance` settles.
- Verification: `deployment-verification.yml` runs on `deployment_status` after every staging
  and production success (a separate run, so it is visible to the models); inside the master
  pipeline `post-deploy-validation.yml` is a called workflow whose failure triggers the automatic
  rollback job. Before adoption people sometimes dispatch `post-deploy-validation.yml` by hand.
- Rollbacks always redeploy the sha live before the bad release (so they are rollbacks by sha;
  some also say "rollback" in their description). Reverts go through one-commit pull requests
  whose message says `This reverts commit <sha>.`; rebase merges are made only for one-commit
  pull requests.
- A few web staging deployments carry only `queued` and `inactive` (superseded before they
  settled: left out of the metrics); two deployments never settle (a runner that vanished: the
  run is `cancelled`).
- Incidents open 20 min - 6 h after the release they follow, or, for the one meant to stay
  unattributed, at least 30 h after the last production release of its service.
- acme/platform is laid out by service (`services/<name>/...`, shared `libs/`): each commit touches
  the folders of its pull request's services (`simulator.generator.touched_files`), which the demo
  config's `[[services]]` path rules read.
- The patterns METRICS.md's 2026-12-01 amendments are about (retried and superseded deployments,
  a revert shipped with its commit, a failed verification after a redeploy, ...) are played once
  per organisation by `simulator.generator.patterns`, so every scale has them.
"""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime, timedelta

from simulator.generator import activity, degrade, delivery, infra, patterns, releases
from simulator.generator.estate import workflow_estate, workflow_name
from simulator.generator.events import World
from simulator.generator.people import engineers
from simulator.generator.sim import FastRandom, RepoSim
from simulator.generator.touched_files import BUMP, initial_files
from simulator.generator.truth import compute_truth
from simulator.records import Organisation, Repository, Workflow

SCALES = ("demo", "tiny", "large")
PLATFORM_SERVICES = ("api", "auth", "billing", "search", "notifications", "worker")
_RATES = {  # pull requests per day, unrelated issues per day, CI failure share
    "platform": {"prs": 3.5, "issues": 0.12, "ci_fail": 0.12},
    "web": {"prs": 2.5, "issues": 0.08, "ci_fail": 0.1},
    "infra": {"prs": 0.8, "issues": 0.05, "ci_fail": 0.15},
}
_TINY_PRS = {"platform": 0.6, "web": 0.4, "infra": 0.25}
_DESCRIPTIONS = {
    "platform": "Backend monorepo: api, auth, billing, search, notifications, worker",
    "web": "Customer-facing web app",
    "infra": "Infrastructure as code (Terraform)",
}
_HANDLERS = {
    **activity.HANDLERS,
    **delivery.HANDLERS,
    **releases.HANDLERS,
    **infra.HANDLERS,
    **patterns.HANDLERS,
}


def _repo_plan(scale: str) -> list[tuple[str, str]]:
    """(name, kind) of every repo: the three demo repos, then clones of them for `large`."""
    plan = [("platform", "platform"), ("web", "web"), ("infra", "infra")]
    if scale == "large":
        kinds = ("platform", "web", "infra")
        plan += [(f"{kinds[i % 3]}-{i // 3 + 2:02d}", kinds[i % 3]) for i in range(47)]
    return plan


def _new_repo(world: World, name: str, kind: str, scale: str, start: datetime) -> RepoSim:
    rng = FastRandom(f"{world.seed}:acme/{name}")
    created = start - timedelta(days=400 + rng.randint(0, 300))
    repo = Repository(
        id=world.ids.next("repo"),
        owner="acme",
        name=name,
        default_branch="main",
        description=_DESCRIPTIONS[kind],
        created_at=created,
        pushed_at=created,
    )
    team_size = {"platform": 10, "web": 6, "infra": 4}[kind]
    team = rng.sample(engineers(), team_size)
    rates = dict(_RATES[kind], misc=1.0, deploys=1.0)
    if scale == "tiny":
        rates.update(prs=_TINY_PRS[kind], issues=0.03, misc=0.0, deploys=0.4)
    services = PLATFORM_SERVICES if kind == "platform" else (name,)
    sim = RepoSim(repo, kind, rng, team, services, rates, world)
    for path, text in workflow_estate(kind).items():
        workflow_id = world.ids.next("workflow")
        sim.workflow_ids[path] = workflow_id
        sim.workflow_names[path] = workflow_name(kind, path)
        adopted_later = path.endswith("/master-pipeline.yml")
        when = world.adopt_at if adopted_later else created + timedelta(days=rng.randint(1, 300))
        repo.workflows.append(
            Workflow(workflow_id, sim.workflow_names[path], path, "active", when, when)
        )
        if not adopted_later:
            repo.workflow_files[path] = text
    _environments(sim, created)
    sha = sim.commit((), team[0], created, "Initial commit", files=initial_files(kind, services))
    for days_before in (90, 30, 7):
        sha = sim.commit((sha,), team[days_before % len(team)], start - timedelta(days=days_before),
                         "Bump dependencies", files=BUMP)  # fmt: skip
    sim.advance_main(sha, None, ())
    return sim


def _environments(sim: RepoSim, created: datetime) -> None:
    approval = [{"id": 1, "node_id": "GA_approval", "type": "required_reviewers",
                 "prevent_self_review": False, "reviewers": []}]  # fmt: skip
    timer = [{"id": 2, "node_id": "GA_timer", "type": "wait_timer", "wait_timer": 5}]
    if sim.kind == "platform":
        for service in sim.services:
            for environment in ("development", "staging", "production"):
                name = f"{service}-{environment}"
                sim.scopes[name] = (environment, service)
                rules = approval if environment == "production" else []
                sim.ensure_environment(name, created, rules)
    elif sim.kind == "web":
        for environment, rules in (("staging", []), ("production", approval + timer)):
            sim.scopes[environment] = (environment, sim.repo.name)
            sim.ensure_environment(environment, created, rules)
    else:
        sim.scopes["production"] = ("production", sim.repo.name)


def generate_organisation(
    seed: int = 7, days: int | None = None, end: date | None = None, scale: str = "demo"
) -> Organisation:
    """A whole organisation with its activity and its ground truth (see module docstring)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    days = days if days is not None else (730 if scale == "large" else 120)
    if days < 1:
        raise ValueError("days must be at least 1")
    end = end or datetime.now(UTC).date()
    end_at = datetime(end.year, end.month, end.day, tzinfo=UTC)
    start = end_at - timedelta(days=days)
    world = World(seed=seed, start=start, end=end_at, compact_jobs=scale == "large")
    for name, kind in _repo_plan(scale):
        sim = _new_repo(world, name, kind, scale, start)
        world.sims.append(sim)
        sim.schedule(start, "day")
        patterns.plan(sim)
    _without_gc(world.run, _HANDLERS)
    org = Organisation(
        login="acme",
        seed=seed,
        days=days,
        end=end_at,
        repos={sim.repo.full_name: sim.repo for sim in world.sims},
        truth={},
        scale=scale,
        generator_state=world,
    )
    _finish(org, world)
    return org


def advance(org: Organisation, days: int, failures: tuple[str, ...] = ()) -> None:
    """Generate `days` more days of activity in place; the end moves forward, truth is redone.

    `failures`: repositories whose production releases of those days all fail
    (`simulator.generator.degrade`).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    world: World = org.generator_state
    since = org.end
    world.extend(org.end + timedelta(days=days))
    _without_gc(world.run, _HANDLERS)
    if failures:
        degrade.incidents_after_releases(world, {repo.lower() for repo in failures}, since)
    org.end = world.end
    org.days += days
    _finish(org, world)


def remove_label(org: Organisation, repo: str, number: int, label: str) -> bool:
    """Take `label` off issue `number` now, as a triager would (`updated_at` moves); truth is redone."""
    found = org.repos.get(repo)
    issue = next((i for i in found.issues if i.number == number), None) if found else None
    if issue is None or label not in issue.labels:
        return False
    issue.labels = tuple(name for name in issue.labels if name != label)
    issue.updated_at = max(issue.updated_at + timedelta(minutes=1), org.end)
    _finish(org, org.generator_state)
    return True


def _finish(org: Organisation, world: World) -> None:
    for sim in world.sims:
        repo = sim.repo
        latest = repo.commits[sim.main].committer_date
        repo.pushed_at = max(repo.pushed_at, latest.astimezone(UTC))
    org.truth = _without_gc(compute_truth, org, world, world.adopt_at)


def _without_gc(function, *args):
    """Millions of small acyclic records: the cycle collector would rescan them over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        if enabled:
            gc.enable()
