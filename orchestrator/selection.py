"""Which workflows the proposal calls, in which part, and why the others stay out.

- quality gates: workflows that already run on push and deploy nothing (called side by side);
  one that calls deploying workflows is an orchestrator already: it keeps running by itself,
  and the proposal covers what it leaves to people;
- deployment stages: the manual-only workflows (marts.workflow_dependencies) that deploy, plus
  those a stage starts through `on: workflow_run` (a called workflow no longer starts them);
- validation: validation workflows that can be called or dispatched, after the deployments;
- rollback: the estate's rollback workflow, if it has one.
A manual-only workflow that looks like a copy of another (`terraform 2.yml`, `(copy)`) is left
out with that reason, as is one that deploys nothing (`branch-protection-setup.yml`) and, when
there is run history, one that never ran in it (people do not use it to release).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestrator.estate import Estate
from orchestrator.roles import DEPLOY_ROLES, deploys, role_of, role_rank
from orchestrator.workflow_file import WorkflowFile

SELF_STARTING = frozenset({"deployment_status", "deployment", "workflow_run", "push", "schedule"})
_COPY = re.compile(r"(?i)(\s*\(copy\)|[\s_-]+(copy|old|bak|backup|\d+))$")


@dataclass
class Selection:
    quality: list[WorkflowFile] = field(default_factory=list)
    stages: list[WorkflowFile] = field(default_factory=list)  # deployments, then validation
    rollback: WorkflowFile | None = None
    roles: dict[str, str | None] = field(default_factory=dict)
    yaml_edges: dict[tuple[str, str], str] = field(default_factory=dict)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    automatic: list[tuple[str, str]] = field(default_factory=list)  # (path, what starts it)

    def ranks(self) -> dict[str, int | None]:
        ranks = {}
        for w in self.stages:
            role = self.roles[w.path]
            ranks[w.path] = role_rank(role if role in DEPLOY_ROLES or role == "validation" else "application")  # fmt: skip
        return ranks


def select(estate: Estate) -> Selection:
    """Sort the estate's workflows into the parts of the proposal (see module docstring)."""
    chosen = Selection()
    readable = []
    for w in estate.workflows:
        if w.error:
            chosen.left_out.append((w.path, f"cannot be read: {w.error}"))
        else:
            readable.append(w)
            chosen.roles[w.path] = role_of(w)
    callers: dict[str, set[str]] = {}
    for w in readable:
        for _, path in w.local_calls:
            callers.setdefault(path, set()).add(w.file_name)
    for w in readable:
        role = chosen.roles[w.path]
        if w.path in estate.manual_only:
            original = _original(w, readable)
            if original is not None:
                chosen.left_out.append((w.path, f"looks like a copy of {original.file_name}"))
            elif estate.runs and not estate.runs.get(w.path):
                chosen.left_out.append((w.path, "manual-only, but never run in the ingested history"))  # fmt: skip
            elif role == "rollback":
                chosen.rollback = chosen.rollback or w
            elif role == "validation" or deploys(w, role):
                chosen.stages.append(w)
            else:
                chosen.left_out.append((w.path, "manual-only, but deploys nothing (no deployment role or environment)"))  # fmt: skip
        elif role == "rollback" and (w.is_callable or w.is_dispatchable):
            chosen.rollback = chosen.rollback or w
        elif started := sorted(set(w.triggers) & SELF_STARTING - {"push"}) if role == "validation" else []:  # fmt: skip
            chosen.automatic.append((w.path, ", ".join(started)))  # validates by itself
        elif role == "validation" and (w.is_callable or w.is_dispatchable):
            chosen.stages.append(w)  # calling a validation once more costs nothing
        elif set(w.triggers) & SELF_STARTING and (
            orchestrated := _deploying_calls(w, readable, chosen.roles)
        ):
            events = ", ".join(sorted(set(w.triggers) & SELF_STARTING))
            chosen.automatic.append((w.path, f"{events}; already calls {', '.join(orchestrated)}"))
        elif "push" in w.triggers and not deploys(w, role) and role not in ("validation", "rollback"):  # fmt: skip
            chosen.quality.append(w)
        elif callers.get(w.path):
            chosen.automatic.append((w.path, f"called by {', '.join(sorted(callers[w.path]))}"))
        elif set(w.triggers) & SELF_STARTING:
            events = ", ".join(sorted(set(w.triggers) & SELF_STARTING))
            chosen.automatic.append((w.path, events))
    _follow_workflow_run(chosen, readable)
    _existing_chains(chosen, readable)
    return chosen


def _deploying_calls(
    w: WorkflowFile, workflows: list[WorkflowFile], roles: dict[str, str | None]
) -> list[str]:
    """File names of the deploying or validating workflows `w` calls: an orchestrator already."""
    by_path = {o.path: o for o in workflows}
    called = [by_path[path] for _, path in w.local_calls if path in by_path]
    return sorted(
        {c.file_name for c in called if deploys(c, roles[c.path]) or roles[c.path] == "validation"}
    )


def _original(w: WorkflowFile, workflows: list[WorkflowFile]) -> WorkflowFile | None:
    """The workflow this one looks copied from: same name or file name but for a copy suffix."""
    for label, attribute in ((w.stem, "stem"), (w.name, "name")):
        base = _COPY.sub("", label)
        if base and base != label:
            match = next((o for o in workflows if o is not w and getattr(o, attribute) == base), None)  # fmt: skip
            if match is not None:
                return match
    return None


def _follow_workflow_run(chosen: Selection, workflows: list[WorkflowFile]) -> None:
    """A stage that starts another by `workflow_run` stops doing so once it is called: call both."""
    added = True
    while added:
        added = False
        staged = {w.name: w for w in chosen.stages}
        for w in workflows:
            if w in chosen.stages:
                continue
            for name in w.workflow_run_after:
                if name in staged and (deploys(w, chosen.roles[w.path]) or chosen.roles[w.path] == "validation"):  # fmt: skip
                    before = staged[name]
                    chosen.stages.append(w)
                    chosen.automatic = [(p, e) for p, e in chosen.automatic if p != w.path]
                    chosen.yaml_edges[(before.path, w.path)] = (
                        f"{w.file_name} runs on `workflow_run` of {before.name!r}"
                    )
                    added = True
                    break


def _existing_chains(chosen: Selection, workflows: list[WorkflowFile]) -> None:
    """A workflow that already calls two stages in a `needs:` chain says which goes first."""
    staged = {w.path for w in chosen.stages}
    for caller in workflows:
        calls = {job: path for job, path in caller.local_calls if path in staged}
        if len(calls) < 2:
            continue
        needs = {job["id"]: set(job.get("needs") or []) for job in caller.jobs}
        for later, later_path in calls.items():
            for earlier in _ancestors(later, needs):
                earlier_path = calls.get(earlier)
                if earlier_path and earlier_path != later_path:
                    chosen.yaml_edges.setdefault(
                        (earlier_path, later_path),
                        f"{caller.file_name}: job {later!r} needs {earlier!r}",
                    )


def _ancestors(job: str, needs: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(needs.get(job, ()))
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(needs.get(parent, ()))
    return seen
