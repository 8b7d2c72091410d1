"""`propose(estate)`: the orchestrator workflow an estate is missing, with its rationale."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

from orchestrator.callable import on_block
from orchestrator.estate import Environment, Estate
from orchestrator.generate import GATE_JOB, ROLLBACK_JOB, Job, file_name, job_id, render
from orchestrator.inputs import map_inputs, shared_choices
from orchestrator.ordering import Order, order_stages
from orchestrator.rationale import rationale
from orchestrator.selection import Selection, select


@dataclass
class Proposal:
    """The proposed file (or the one-line reason there is none) and everything said about it."""

    repo: str
    file_name: str | None = None
    workflow_yaml: str | None = None
    reason: str | None = None
    jobs: list[Job] = field(default_factory=list)
    callable_blocks: dict[str, str] = field(default_factory=dict)  # path -> `on:` block to add
    approvals: list[str] = field(default_factory=list)  # what a person still approves
    rationale: list[str] = field(default_factory=list)

    @property
    def called(self) -> list[str]:
        return [j.workflow.path for j in self.jobs if j.workflow is not None]


def propose(estate: Estate) -> Proposal:
    """Select, order, map and render (see the package's modules); never raises on odd YAML."""
    chosen = select(estate)
    proposal = Proposal(estate.repo)
    deploying = [w for w in chosen.stages if chosen.roles[w.path] != "validation"]
    if not deploying:
        proposal.reason = "nothing to orchestrate: no manual-only workflow here deploys anything"
        proposal.rationale = rationale(estate, chosen, None, proposal)
        return proposal
    order = order_stages(
        [w.path for w in chosen.stages],
        chosen.yaml_edges,
        estate.releases,
        chosen.roles,
        chosen.ranks(),
    )
    gate = gate_environment(estate.environments)
    proposal.jobs = _jobs(chosen, order, gate)
    proposal.callable_blocks = {
        j.workflow.path: on_block(j.workflow)
        for j in proposal.jobs
        if j.workflow is not None and not j.workflow.is_callable
    }
    proposal.approvals = _approvals(proposal.jobs, gate, estate.environments)
    proposal.file_name = file_name({w.file_name for w in estate.workflows})
    proposal.workflow_yaml = render(
        proposal.jobs, estate.repo, estate.default_branch, proposal.file_name
    )
    proposal.rationale = rationale(estate, chosen, order, proposal)
    return proposal


def gate_environment(environments: list[Environment]) -> Environment:
    """The production environment with required reviewers that production deploys to most;
    without one, the most used production environment (the rationale says to protect it)."""
    production = sorted(
        (e for e in environments if e.production), key=lambda e: (-e.deployments, e.name)
    )
    protected = [e for e in production if e.required_reviewers]
    if protected:
        return protected[0]
    return production[0] if production else Environment("production", production=True)


def _jobs(chosen: Selection, order: Order, gate: Environment) -> list[Job]:
    taken = {GATE_JOB, ROLLBACK_JOB}
    choices = shared_choices(chosen.stages)
    quality = [
        Job(job_id(f"quality-{w.stem}", taken), "quality", 0, w, mapping=map_inputs(w, choices))
        for w in chosen.quality
    ]
    gate_job = Job(GATE_JOB, "gate", 1, needs=[j.job_id for j in quality], environment=gate.name)
    gate_job.evidence = [f"{j.job_id}: quality gates pass before anything deploys" for j in quality]
    ids = {w.path: job_id(w.stem, taken) for w in chosen.stages}
    stages = []
    for w in sorted(chosen.stages, key=lambda w: (order.levels[w.path], ids[w.path])):
        kind = "validation" if chosen.roles[w.path] == "validation" else "deploy"
        job = Job(ids[w.path], kind, order.levels[w.path] + 2, w, mapping=map_inputs(w, choices))
        edges = [e for e in order.edges if e.after == w.path]
        job.needs = sorted(ids[e.before] for e in edges) or [GATE_JOB]
        job.evidence = [f"{ids[e.before]}: {e.source} ({e.detail})" for e in edges] or [
            f"{GATE_JOB}: production waits for approval"
        ]
        stages.append(job)
    if not any(j.kind == "validation" for j in stages):
        needed = {n for j in stages for n in j.needs}
        sinks = sorted(j.job_id for j in stages if j.job_id not in needed)
        stage = max(j.stage for j in stages) + 1
        placeholder = Job(job_id("post-deploy-validation", taken), "validation", stage, needs=sinks)
        placeholder.evidence = [f"{sink}: role (validation after every deployment)" for sink in sinks]  # fmt: skip
        stages.append(placeholder)
    last = max(j.stage for j in stages) + 1
    rollback = Job(
        ROLLBACK_JOB, "rollback", last, chosen.rollback, needs=[j.job_id for j in stages]
    )
    if chosen.rollback is not None:
        rollback.mapping = map_inputs(chosen.rollback, choices, rollback=True)
    rollback.evidence = ["runs only when a stage before it failed (`if: failure()`)"]
    return [*quality, gate_job, *stages, rollback]


def _approvals(jobs: list[Job], gate: Environment, environments: list[Environment]) -> list[str]:
    """The gate, plus each stage whose own jobs deploy to an environment with required reviewers
    (GitHub asks once per run for all the environments waiting at the same time)."""
    approvals = [f"{GATE_JOB} (environment {gate.name})"]
    protected = {e.name for e in environments if e.required_reviewers}
    for job in jobs:
        if job.workflow is None or job.kind == "rollback":
            continue
        waits = sorted(
            name
            for template in (j.get("environment") for j in job.workflow.jobs)
            if template
            for name in _resolved(template, job)
            if name in protected
        )
        if waits:
            shown = ", ".join(waits[:3]) + (", ..." if len(waits) > 3 else "")
            approvals.append(f"{job.job_id} (its own environments {shown})")
    return approvals


def _resolved(template: str, job: Job) -> list[str]:
    """The environment names a job's `environment:` takes with this call's inputs."""
    names = re.findall(r"\$\{\{\s*(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)\s*\}\}", template)
    axes = []
    for name in names:
        if name in job.mapping.matrix:
            axes.append(job.mapping.matrix[name])
        elif name in job.mapping.values and "${{" not in str(job.mapping.values[name]):
            axes.append([str(job.mapping.values[name])])
        else:
            return []
    resolved = []
    for values in product(*axes):
        text = template
        for name, value in zip(names, values, strict=True):
            text = re.sub(r"\$\{\{\s*(?:github\.event\.)?inputs\." + re.escape(name) + r"\s*\}\}", value, text)  # fmt: skip
        if "${{" not in text:
            resolved.append(text)
    return resolved
