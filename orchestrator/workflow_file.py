"""One workflow file as the proposal needs it: the ingest's definition plus inputs, secrets, steps.

The YAML is read by `ingest.workflow_yaml` (same loader, same `on:` rule as the stored
definition); this module only reads the parts the definition leaves out: what a dispatch or a
call passes in, which secrets a call declares, and what the steps use and run (for the role).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.workflow_yaml import definition_of, load_workflow, trigger_block

MANUAL_EVENTS = frozenset({"workflow_dispatch", "repository_dispatch"})
CALL_INPUT_TYPES = frozenset({"string", "boolean", "number"})


@dataclass(frozen=True)
class Input:
    """One `inputs:` entry of `workflow_dispatch` or `workflow_call`."""

    name: str
    type: str  # string | boolean | number | choice | environment
    required: bool = False
    default: Any = None
    options: tuple[str, ...] = ()
    description: str | None = None

    @property
    def call_type(self) -> str:
        """The type a `workflow_call` input of the same meaning takes (no choice there)."""
        return self.type if self.type in CALL_INPUT_TYPES else "string"


@dataclass
class WorkflowFile:
    """A workflow of the default branch; `error` says why it could not be read."""

    path: str
    name: str
    triggers: list[str] = field(default_factory=list)
    on_block: Any = None
    dispatch_inputs: list[Input] = field(default_factory=list)
    call_inputs: list[Input] = field(default_factory=list)
    call_secrets: list[str] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    commands: str = ""
    text: str = ""
    error: str | None = None

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        return self.file_name.rsplit(".", 1)[0]

    @property
    def is_callable(self) -> bool:
        return "workflow_call" in self.triggers

    @property
    def is_dispatchable(self) -> bool:
        return bool(MANUAL_EVENTS & set(self.triggers))

    @property
    def workflow_run_after(self) -> list[str]:
        """Names of the workflows whose runs start this one (`on: workflow_run`)."""
        block = self.on_block
        if not isinstance(block, dict) or not isinstance(block.get("workflow_run"), dict):
            return []
        names = block["workflow_run"].get("workflows") or []
        return [str(n) for n in ([names] if isinstance(names, str) else names)]

    @property
    def local_calls(self) -> list[tuple[str, str]]:
        """(job id, called path) for every `uses: ./.github/workflows/x.yml` job."""
        calls = []
        for job in self.jobs:
            uses = job.get("uses") or ""
            if uses.startswith("./.github/workflows/"):
                calls.append((job["id"], uses[2:].split("@", 1)[0]))
        return calls


def read_workflow(path: str, text: str) -> WorkflowFile:
    """Read one file; never raises: a file that is not a workflow comes back with `error` set."""
    fallback = path.rsplit("/", 1)[-1]
    doc, error = load_workflow(text or "")
    if doc is None:
        return WorkflowFile(path=path, name=fallback, text=text or "", error=error)
    definition = definition_of(doc)
    block = trigger_block(doc)
    if not definition["on"]:
        return WorkflowFile(path=path, name=fallback, text=text, error="no `on:` triggers")
    actions, commands = _steps(doc.get("jobs"))
    return WorkflowFile(
        path=path,
        name=definition["name"] or fallback,
        triggers=definition["on"],
        on_block=block,
        dispatch_inputs=_inputs(_event(block, "workflow_dispatch")),
        call_inputs=_inputs(_event(block, "workflow_call")),
        call_secrets=_names(_event(block, "workflow_call").get("secrets")),
        jobs=definition["jobs"],
        actions=actions,
        commands=commands,
        text=text,
    )


def _event(block: Any, event: str) -> dict[str, Any]:
    """The settings of one event (`{}` when it has none or is written as a string/list)."""
    if isinstance(block, dict) and isinstance(block.get(event), dict):
        return block[event]
    return {}


def _names(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    return []


def _inputs(settings: dict[str, Any]) -> list[Input]:
    raw = settings.get("inputs")
    if not isinstance(raw, dict):
        return []
    inputs = []
    for name, spec in raw.items():
        spec = spec if isinstance(spec, dict) else {}
        options = spec.get("options")
        inputs.append(
            Input(
                name=str(name),
                type=str(spec.get("type") or "string"),
                required=spec.get("required") is True,
                default=spec.get("default"),
                options=tuple(str(o) for o in options) if isinstance(options, list) else (),
                description=str(spec["description"]) if spec.get("description") else None,
            )
        )
    return inputs


def _steps(jobs: Any) -> tuple[list[str], str]:
    """Actions the steps use and the text of their `run:` commands."""
    actions, commands = [], []
    for job in (jobs or {}).values():
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict):
                continue
            if isinstance(step.get("uses"), str):
                actions.append(step["uses"])
            if isinstance(step.get("run"), str):
                commands.append(step["run"])
    return actions, "\n".join(commands)
