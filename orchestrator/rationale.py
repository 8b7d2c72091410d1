"""The rationale printed beside the proposal: stages, every edge with its source, what to change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.callable import event_inputs_used
from orchestrator.estate import Estate
from orchestrator.ordering import agreement
from orchestrator.selection import Selection

if TYPE_CHECKING:
    from orchestrator.ordering import Order
    from orchestrator.propose import Proposal

SOURCE_NAMES = {"yaml": "explicit YAML", "history": "run history", "role": "role"}
CANNOT_KNOW = (
    "Cannot know: which secrets each called workflow needs (all are passed with "
    "`secrets: inherit`), side effects outside GitHub (a script that talks to a cloud, a "
    "database or a person), or a step people do by hand without a workflow."
)


def rationale(
    estate: Estate, chosen: Selection, order: Order | None, proposal: Proposal
) -> list[str]:
    """Plain lines; the CLI prints them, the dashboard shows them."""
    if order is None:
        lines = [f"No proposal for {estate.repo}: {proposal.reason}."]
        lines += _left_out(chosen)
        return lines
    lines = [
        f"Proposal for {estate.repo}: .github/workflows/{proposal.file_name}, "
        f"from {len(estate.releases)} production releases with manual runs.",
        "",
        "Stages:",
    ]
    for stage in sorted({j.stage for j in proposal.jobs}):
        jobs = [j for j in proposal.jobs if j.stage == stage]
        lines.append(f"  {stage}. " + ", ".join(_describe(j) for j in jobs))
    kept, informative = agreement(order.levels, estate.releases)
    if informative:
        lines.append(
            f"  This order is the one people used in {kept} of {informative} releases that ran "
            f"two or more of these workflows ({kept / informative:.0%})."
        )
    lines += ["", "Edges (why each `needs:` is there; explicit YAML > run history > role):"]
    for job in proposal.jobs:
        if job.kind in ("deploy", "validation"):
            lines += [f"  {job.job_id} needs {line}" for line in job.evidence]
    for edge in order.dropped:
        lines.append(
            f"  dropped: {edge.before} before {edge.after} ({SOURCE_NAMES[edge.source]}: "
            f"{edge.detail}) would close a cycle with stronger evidence"
        )
    lines += [
        "",
        f"Approvals per release: {len(proposal.approvals)}: " + "; ".join(proposal.approvals),
    ]
    gate = next(j for j in proposal.jobs if j.kind == "gate")
    reviewed = {e.name for e in estate.environments if e.required_reviewers}
    if gate.environment not in reviewed:
        lines.append(
            f"  WARNING: environment {gate.environment!r} has no required reviewers, so nothing "
            "stops the release: add reviewers to it (Settings > Environments) first."
        )
    lines.append(
        f"Concurrency: group {proposal.file_name.rsplit('.', 1)[0]!r}, never cancelled, so two "
        "releases never interleave (GitHub keeps only the newest waiting run)."
    )
    lines += _inputs(proposal)
    lines += _rollback(proposal)
    lines += _left_out(chosen)
    lines += _callable(proposal)
    lines += ["", CANNOT_KNOW]
    return lines


def _describe(job) -> str:
    if job.kind == "gate":
        return f"{job.job_id} (environment {job.environment})"
    if job.workflow is None:
        return f"{job.job_id} (PLACEHOLDER)"
    return f"{job.job_id} ({job.kind}: {job.workflow.file_name})"


def _inputs(proposal: Proposal) -> list[str]:
    lines = []
    for job in proposal.jobs:
        mapping = job.mapping
        if not (mapping.values or mapping.matrix):
            continue
        parts = []
        for name, value in mapping.values.items():
            if name in mapping.matrix:
                parts.append(f"{name} = each of {', '.join(mapping.matrix[name])}")
            else:
                shown = str(value).lower() if isinstance(value, bool) else value
                parts.append(f"{name} = {shown}")
        lines.append(f"  {job.job_id}: " + "; ".join(parts))
        lines += [
            f"  {job.job_id}: set the repository variable {v} (no value to map it from)"
            for v in mapping.variables
        ]
        if job.workflow is not None:
            lines += [
                f"  {job.job_id}: reads github.event.inputs.{name}, empty when called: "
                f"use inputs.{name}"
                for name in event_inputs_used(job.workflow)
            ]
    return ["", "Inputs:", *lines] if lines else []


def _rollback(proposal: Proposal) -> list[str]:
    lines = [
        f"Validation: {j.job_id} is a PLACEHOLDER (no validation workflow found): add smoke "
        "tests there."
        for j in proposal.jobs
        if j.kind == "validation" and j.workflow is None
    ]
    job = proposal.jobs[-1]
    if job.workflow is None:
        return [
            *lines,
            "Rollback: PLACEHOLDER job (no rollback workflow found): it fails loudly after a "
            "failed stage; replace it with a call to your rollback.",
        ]
    return [*lines, f"Rollback: calls {job.workflow.file_name} when a stage fails."]


def _left_out(chosen: Selection) -> list[str]:
    lines = [f"  {path}: {reason}" for path, reason in chosen.left_out]
    lines += [f"  {path}: runs by itself ({events})" for path, events in chosen.automatic]
    return ["", "Not called:", *lines] if lines else []


def _callable(proposal: Proposal) -> list[str]:
    if not proposal.callable_blocks:
        return []
    lines = ["", "Make these callable first: replace the file's `on:` block with the one shown."]
    for path, block in proposal.callable_blocks.items():
        lines.append(f"  {path}:")
        lines += [f"    {line}" for line in block.rstrip("\n").splitlines()]
    return lines
