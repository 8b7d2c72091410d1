"""The `with:` of each call: every input a person types at dispatch, given the value a release needs.

Rules, first match wins: an environment-like input gets the production option (`production`,
`prod`, `prd`, `live`); a ref-like one the pushed commit; `rollback`/`dry_run` false (true in the
rollback job); a service-like choice (or a required input another stage offers as a choice)
becomes a matrix over its options, so every service is released; a required input with a default
gets it; any other required input reads a repository variable named after it, and the rationale
says to set it. Optional inputs without a rule keep their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.workflow_file import Input, WorkflowFile

PRODUCTION_NAMES = ("production", "prod", "prd", "live")
ENVIRONMENT_INPUTS = {"environment", "env", "stage", "target", "target_environment",
                      "deploy_environment", "cluster", "tier", "target-environment"}  # fmt: skip
REF_INPUTS = {"ref", "sha", "commit", "git_ref", "revision", "git-ref"}
SERVICE_INPUTS = {"service", "services", "app", "application", "component", "module", "project",
                  "package", "target_service", "service_name", "service-name"}  # fmt: skip
SWITCH_INPUTS = {"rollback", "dry_run", "dry-run", "dryrun"}


@dataclass
class Mapping:
    """What one call passes: `with:` values, matrix axes, and inputs someone must still set."""

    values: dict[str, Any] = field(default_factory=dict)
    matrix: dict[str, list[str]] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    environment: str | None = None  # the environment value passed, when one is


def call_inputs(workflow: WorkflowFile) -> list[Input]:
    """The inputs a call can pass: declared `workflow_call` ones, else those the `on:` block to
    add will declare (the dispatch inputs)."""
    return workflow.call_inputs if workflow.is_callable else workflow.dispatch_inputs


def shared_choices(workflows: list[WorkflowFile]) -> dict[str, tuple[str, ...]]:
    """Input name -> options, for service-like choices offered by any stage."""
    choices: dict[str, tuple[str, ...]] = {}
    for w in workflows:
        for i in w.dispatch_inputs + w.call_inputs:
            if i.options and i.name.lower() in SERVICE_INPUTS:
                choices.setdefault(i.name, i.options)
    return choices


def map_inputs(
    workflow: WorkflowFile, choices: dict[str, tuple[str, ...]], rollback: bool = False
) -> Mapping:
    """The values of one call (see module docstring)."""
    mapping = Mapping()
    options_by_name = {i.name: i.options for i in workflow.dispatch_inputs if i.options}
    for item in call_inputs(workflow):
        name = item.name.lower()
        options = item.options or options_by_name.get(item.name, ())
        if name in ENVIRONMENT_INPUTS or item.type == "environment" or _production(options):
            mapping.environment = _production(options) or "production"
            mapping.values[item.name] = mapping.environment
        elif name in REF_INPUTS and item.call_type == "string":
            mapping.values[item.name] = "${{ github.sha }}"
        elif name in SWITCH_INPUTS and item.call_type == "boolean":
            mapping.values[item.name] = rollback and name == "rollback"
        elif name in SERVICE_INPUTS and (options or choices.get(item.name)):
            mapping.matrix[item.name] = list(options or choices[item.name])
            mapping.values[item.name] = f"${{{{ matrix.{item.name} }}}}"
        elif item.required and item.default is not None:
            mapping.values[item.name] = typed(item.default, item.call_type)
        elif item.required:
            variable = "".join(c if c.isalnum() else "_" for c in item.name).upper()
            mapping.variables.append(variable)
            mapping.values[item.name] = f"${{{{ vars.{variable} }}}}"
    return mapping


def _production(options: tuple[str, ...]) -> str | None:
    return next((o for o in options if o.lower() in PRODUCTION_NAMES), None)


def typed(value: Any, call_type: str) -> Any:
    """A default as the `workflow_call` type wants it (YAML may have it as a string)."""
    if call_type == "boolean":
        return value if isinstance(value, bool) else str(value).strip().lower() == "true"
    if call_type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            return float(value) if "." in str(value) else int(str(value))
        except ValueError:
            return 0
    return str(value)
