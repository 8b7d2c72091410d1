"""How acme/platform releases by hand before the master pipeline: in the order people remember.

On a weekday with a production deploy, the team often runs the prerequisites first, one after
the other, in the order it remembers ("infrastructure, then service accounts, then the
databases, then the cluster services, then the app"), and the CDN after the app; the hand-run
validation already follows each production deploy (`simulator.generator.releases`), so the CDN
and the validation both come after the app, in no fixed order. Manual runs picked for that day
join the session in the same order; now and then someone swaps two neighbouring steps.
After adoption, and on days without a production deploy, dispatches keep their own moments.
`RELEASE_STAGES` is the intended order the truth serves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simulator.generator.people import Engineer
from simulator.generator.sim import RepoSim

W = ".github/workflows/"
RELEASE_STAGES = (  # workflows of one stage have no order between them
    ("setup-infrastructure.yml",),
    ("deploy-service-accounts.yml",),
    ("postgres-ha-deployment.yml", "qdrant-deployment.yml"),
    ("monitoring-deployment.yml", "linkerd-deployment.yml"),
    ("ci-cd-pipeline.yml",),
    ("deploy-cdn.yml", "post-deploy-validation.yml"),
)
_APP = RELEASE_STAGES.index(("ci-cd-pipeline.yml",))
_BEFORE_APP = [W + f for stage in RELEASE_STAGES[:_APP] for f in stage]
_AFTER_APP = [W + "deploy-cdn.yml"]
SESSION_CHANCE = 0.5  # of a weekday with a production deploy
STEP_CHANCE = 0.6  # of each prerequisite, in a session
SWAP_CHANCE = 0.08  # someone runs two neighbouring steps the other way round

Dispatch = tuple[datetime, str, tuple[str, ...], Engineer]


def intended_order() -> dict:
    """The truth's view: stages of workflow paths, and each stage's dependency on the one before."""
    stages = [[W + f for f in stage] for stage in RELEASE_STAGES]
    pairs = zip(stages, stages[1:], strict=False)
    dependencies = [[a, b] for first, then in pairs for a in first for b in then]
    return {"stages": stages, "dependencies": dependencies}


def schedule_dispatches(
    sim: RepoSim,
    dispatches: list[Dispatch],
    production_at: list[datetime],
    jobs_of: dict[str, tuple[str, ...]],
) -> None:
    """Schedule the day's manual dispatches (see module docstring)."""
    if sim.adopted or not production_at or not sim.rates["misc"]:
        for at, path, jobs, engineer in dispatches:
            sim.schedule(at, "misc_run", path, "workflow_dispatch", jobs, engineer)
        return
    rng = sim.rng
    ordered = _BEFORE_APP + _AFTER_APP
    picked = {path: (jobs, engineer) for _, path, jobs, engineer in dispatches if path in ordered}
    for at, path, jobs, engineer in dispatches:
        if path not in ordered:
            sim.schedule(at, "misc_run", path, "workflow_dispatch", jobs, engineer)
    if rng.random() < SESSION_CHANCE:
        lead = sim.engineer()
        for path in ordered:
            if path not in picked and rng.random() < STEP_CHANCE:
                picked[path] = (jobs_of[path], lead)
    before = [p for p in _BEFORE_APP if p in picked]
    if len(before) > 1 and rng.random() < SWAP_CHANCE:
        i = rng.randrange(len(before) - 1)
        before[i], before[i + 1] = before[i + 1], before[i]
    gaps = [sim.minutes(10, 25) for _ in before]
    at = min(production_at) - sum(gaps, start=timedelta(0))
    for path, gap in zip(before, gaps, strict=True):
        jobs, engineer = picked[path]
        sim.schedule(at, "misc_run", path, "workflow_dispatch", jobs, engineer)
        at += gap
    for path in _AFTER_APP:
        if path in picked:
            jobs, engineer = picked[path]
            later = max(production_at) + sim.minutes(15, 45)
            sim.schedule(later, "misc_run", path, "workflow_dispatch", jobs, engineer)
