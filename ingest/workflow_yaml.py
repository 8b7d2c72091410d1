"""Workflow YAML -> the normalised `definition` of raw.workflow_files (see INTERFACES.md).

{"name", "on": [events], "workflow_run": [workflow names], "jobs": [{id, name, uses, needs,
environment}]}. YAML that does not parse, or is not a workflow, gives (None, error) so the file is
stored with its error and the ingest goes on.
"""

from __future__ import annotations

from typing import Any

import yaml


def load_workflow(text: str) -> tuple[dict[Any, Any] | None, str | None]:
    """The workflow document as PyYAML reads it, or (None, the one-line reason it is not one)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, f"YAML error: {' '.join(str(exc).split())}"
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        return None, "YAML error: nested too deeply"
    if not isinstance(doc, dict):
        return None, "not a workflow: the top level is not a mapping"
    if doc.get("jobs") is not None and not isinstance(doc.get("jobs"), dict):
        return None, "not a workflow: `jobs` is not a mapping"
    return doc, None


def trigger_block(doc: dict[Any, Any]) -> Any:
    """The `on:` value: YAML 1.1 reads the key `on` as boolean True."""
    return doc.get("on", doc.get(True))


def parse_workflow(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse one workflow file; returns (definition, None) or (None, parse_error)."""
    doc, error = load_workflow(text)
    if doc is None:
        return None, error
    return definition_of(doc), None


def definition_of(doc: dict[Any, Any]) -> dict[str, Any]:
    """The normalised definition of a loaded workflow document."""
    triggers = trigger_block(doc)
    jobs = doc.get("jobs")
    name = doc.get("name")
    return {
        "name": str(name) if name is not None else None,
        "on": _events(triggers),
        "workflow_run": _workflow_run_names(triggers),
        "jobs": [_job(str(job_id), job) for job_id, job in (jobs or {}).items()],
    }


def _events(triggers: Any) -> list[str]:
    if isinstance(triggers, str):
        return [triggers]
    if isinstance(triggers, list):
        return [str(t) for t in triggers]
    if isinstance(triggers, dict):
        return [str(t) for t in triggers]
    return []


def _workflow_run_names(triggers: Any) -> list[str]:
    if not isinstance(triggers, dict) or not isinstance(triggers.get("workflow_run"), dict):
        return []
    names = triggers["workflow_run"].get("workflows") or []
    if isinstance(names, str):
        names = [names]
    return [str(n) for n in names]


def _job(job_id: str, job: Any) -> dict[str, Any]:
    job = job if isinstance(job, dict) else {}
    needs = job.get("needs") or []
    if isinstance(needs, str):
        needs = [needs]
    environment = job.get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    name = job.get("name")
    uses = job.get("uses")
    return {
        "id": job_id,
        "name": str(name) if name is not None else None,
        "uses": str(uses) if uses is not None else None,
        "needs": [str(n) for n in needs] if isinstance(needs, list) else [],
        "environment": str(environment) if environment is not None else None,
    }
