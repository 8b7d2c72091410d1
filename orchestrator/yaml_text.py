"""YAML as people write workflows: keys in the given order, indented lists, a bare `on:`."""

from __future__ import annotations

import re
from typing import Any

import yaml


class _WorkflowDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None  # a multi-line `run:` reads as a script
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_WorkflowDumper.add_representer(str, _string)


def dump(document: dict[str, Any]) -> str:
    """Block-style YAML; PyYAML quotes the key `on` (a YAML 1.1 boolean) and writes empty
    values as `null`, GitHub's own files do neither."""
    text = yaml.dump(
        document,
        Dumper=_WorkflowDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )
    text = re.sub(r"^'on':", "on:", text, flags=re.MULTILINE)
    return re.sub(r": null$", ":", text, flags=re.MULTILINE)
