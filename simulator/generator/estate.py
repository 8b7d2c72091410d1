"""The workflow estate of each kind of repo: real YAML files shipped as package data.

`simulator/workflows/<kind>/*.yml` become each repository's `.github/workflows/`; the organisation
reads them when it creates a repository, and releases when the platform adopts its pipeline.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def workflow_estate(kind: str) -> dict[str, str]:
    """The real YAML files of one kind of repo: path -> text."""
    folder = resources.files("simulator") / "workflows" / kind
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".yml"))
    return {f".github/workflows/{f.name}": f.read_text(encoding="utf-8") for f in files}


@cache
def workflow_name(kind: str, path: str) -> str:
    """The `name:` of one workflow file of the estate."""
    return yaml.safe_load(workflow_estate(kind)[path])["name"]
