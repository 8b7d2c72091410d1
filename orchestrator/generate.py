"""The proposed workflow as jobs, and as the YAML text of `.github/workflows/<name>.yml`.

Shape: quality gates side by side -> `approve-production` (a job in the production environment
with required reviewers: a job that calls a reusable workflow cannot carry `environment:`) ->
the deployment stages, each workflow called once with `secrets: inherit` and its inputs mapped
-> validation -> `rollback` (`if: failure()`). One `concurrency:` group without cancelling, so
two releases never interleave. No `permissions:`: every called workflow keeps the token
permissions it has when dispatched by hand today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from orchestrator.inputs import Mapping
from orchestrator.workflow_file import WorkflowFile
from orchestrator.yaml_text import dump

FILE_STEM = "release-orchestrator"
GATE_JOB = "approve-production"
ROLLBACK_JOB = "rollback"


@dataclass
class Job:
    """One job of the proposal: what it runs, its stage (0 first) and what it needs."""

    job_id: str
    kind: str  # quality | gate | deploy | validation | rollback
    stage: int
    workflow: WorkflowFile | None = None
    needs: list[str] = field(default_factory=list)
    mapping: Mapping = field(default_factory=Mapping)
    evidence: list[str] = field(default_factory=list)  # one line per `needs:` edge
    environment: str | None = None  # the gate's environment


def job_id(stem: str, taken: set[str]) -> str:
    """A job id from a file stem (`terraform 2` -> `terraform-2`), unique among `taken`."""
    base = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-") or "workflow"
    if not re.match(r"[a-z_]", base):
        base = f"w-{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def file_name(existing: set[str]) -> str:
    """`release-orchestrator.yml`, or `-2`, `-3`... if the estate already has that file."""
    name, n = f"{FILE_STEM}.yml", 2
    while name in existing:
        name, n = f"{FILE_STEM}-{n}.yml", n + 1
    return name


def render(jobs: list[Job], repo: str, default_branch: str, name: str) -> str:
    """The workflow file: a header comment, then the document."""
    stem = name.rsplit(".", 1)[0]
    document = {
        "name": "Release orchestrator",
        "on": {"push": {"branches": [default_branch]}, "workflow_dispatch": None},
        "concurrency": {"group": stem, "cancel-in-progress": False},
        "jobs": {job.job_id: _job(job) for job in jobs},
    }
    header = (
        f"# Proposed by `dora propose-pipeline` for {_one_line(repo)} from its ingested workflows,\n"
        "# environments and run history. Review it before committing: the rationale printed with\n"
        "# it says why each `needs:` is there and which workflows need `on: workflow_call` first.\n"
    )
    return header + dump(document)


def _job(job: Job) -> dict[str, Any]:
    body: dict[str, Any] = {"name": _label(job)}
    if job.needs:
        body["needs"] = job.needs[0] if len(job.needs) == 1 else list(job.needs)
    if job.kind == "rollback":
        body["if"] = "failure()"
    if job.mapping.matrix:
        body["strategy"] = {"matrix": job.mapping.matrix}
    if job.kind == "gate":
        body.update({
            "runs-on": "ubuntu-latest",
            "timeout-minutes": 5,
            "environment": job.environment,
            "steps": [{"name": "Record the approval",
                       "run": 'echo "Production release of ${GITHUB_SHA} approved"'}],
        })  # fmt: skip
    elif job.workflow is None and job.kind == "validation":
        body.update({
            "runs-on": "ubuntu-latest",
            "timeout-minutes": 5,
            "steps": [{"name": "PLACEHOLDER: no post-deploy validation workflow in this repository",
                       "run": 'echo "::warning::Nothing checked the release: add smoke tests '
                              'here, or a validation workflow to call."'}],
        })  # fmt: skip
    elif job.workflow is None:  # the rollback placeholder
        body.update({
            "runs-on": "ubuntu-latest",
            "timeout-minutes": 5,
            "steps": [{"name": "PLACEHOLDER: no rollback workflow in this repository",
                       "run": 'echo "::error::A stage failed and there is no rollback workflow '
                              'to call: roll back by hand, then replace this job."\nexit 1'}],
        })  # fmt: skip
    else:
        body["uses"] = f"./{job.workflow.path}"
        if job.mapping.values:
            body["with"] = dict(job.mapping.values)
        body["secrets"] = "inherit"
    return body


def _label(job: Job) -> str:
    if job.kind == "gate":
        return "Approve production release"
    if job.workflow is None:
        return f"{'Rollback' if job.kind == 'rollback' else 'Post-deploy validation'} (PLACEHOLDER)"
    prefix = {"quality": "Quality gate", "rollback": "Rollback"}.get(job.kind)
    name = _one_line(job.workflow.name).replace("${{", "$ {{")
    return f"{prefix}: {name}" if prefix else name


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
