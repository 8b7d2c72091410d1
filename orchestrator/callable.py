"""The exact `on:` block that makes a workflow callable, keeping every trigger it has.

`workflow_call` declares the dispatch inputs again (a choice or an environment becomes a string:
calls have no such types), so `${{ inputs.x }}` means the same whether a person dispatches the
workflow or the orchestrator calls it. `github.event.inputs.x` does not: it is empty in a call,
which the rationale points out.
"""

from __future__ import annotations

import re
from typing import Any

from orchestrator.inputs import typed
from orchestrator.workflow_file import WorkflowFile
from orchestrator.yaml_text import dump

_TOP_LEVEL_ON = re.compile(r"""^(on|"on"|'on')\s*:""")


def on_block(workflow: WorkflowFile) -> str:
    """The whole `on:` block the file should have (its triggers plus `workflow_call`)."""
    block = _as_mapping(workflow.on_block)
    inputs = {}
    for item in workflow.dispatch_inputs:
        spec: dict[str, Any] = {}
        if item.description:
            spec["description"] = item.description
        spec["type"] = item.call_type
        spec["required"] = item.required
        if item.default is not None:
            spec["default"] = typed(item.default, item.call_type)
        inputs[item.name] = spec
    block["workflow_call"] = {"inputs": inputs} if inputs else None
    return dump({"on": block})


def event_inputs_used(workflow: WorkflowFile) -> list[str]:
    """Inputs read as `github.event.inputs.x`, which a call leaves empty."""
    return sorted(set(re.findall(r"github\.event\.inputs\.([A-Za-z0-9_-]+)", workflow.text)))


def _as_mapping(block: Any) -> dict[str, Any]:
    if isinstance(block, str):
        return {block: None}
    if isinstance(block, list):
        return {str(event): None for event in block}
    return {str(k): v for k, v in block.items()} if isinstance(block, dict) else {}


def apply_on_block(text: str, block: str) -> str:
    """The file with its top-level `on:` section replaced by `block` (how a person applies it)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _TOP_LEVEL_ON.match(line)), None)
    if start is None:
        raise ValueError("no top-level `on:` line to replace")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    return "".join(lines[:start]) + block + "".join(lines[end:])
