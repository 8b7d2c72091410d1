"""The workflow dependency graph as a DOT string for `st.graphviz_chart` (no system Graphviz)."""

from __future__ import annotations

import pandas as pd

# Success-rate bands in the Okabe-Ito hues (light fills keep black text readable, the border
# carries the full colour); the label repeats the rate in text so colour is never the only cue.
RATE_COLOURS = [
    (0.95, '"#B8E3D6", color="#009E73"'),
    (0.80, '"#F7DDA4", color="#E69F00"'),
    (0.0, '"#F4BFA6", color="#D55E00"'),
]
UNKNOWN_COLOUR = '"#E5E5E5", color="#7F7F7F"'
ENVIRONMENT_COLOUR = '"#CDE8F7", color="#0072B2"'
EDGE_STYLES = {
    "calls": 'style=solid label="calls"',
    "triggers": 'style=dashed label="triggers"',
    "deploys_to": 'style=bold color="#0072B2" label="deploys to"',
}


def quote(text: object) -> str:
    """A DOT double-quoted string: the label is data from GitHub, never DOT syntax."""
    value = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    value = value.replace("\\", "\\\\").replace('"', '\\"')
    value = value.replace("\r", " ").replace("\n", " ")
    return f'"{value}"'


def _rate_colour(rate: float | None) -> str:
    if rate is None or pd.isna(rate):
        return UNKNOWN_COLOUR
    return next(colour for floor, colour in RATE_COLOURS if rate >= floor)


def _duration(seconds: float | None) -> str:
    if seconds is None or pd.isna(seconds):
        return "p50 n/a"
    return f"p50 {seconds / 60:.1f} min"


def dependency_dot(health: pd.DataFrame, dependencies: pd.DataFrame) -> str:
    """Workflows (coloured by success rate, labelled with p50 duration) and environments as nodes.

    `health` is the workflow_health mart; `dependencies` the workflow_dependencies mart, whose
    `kind = 'workflow'` rows carry `is_manual_only` and whose other rows are edges.
    """
    ids: dict[tuple[str, str], str] = {}
    clusters: dict[str, list[str]] = {}  # repo -> its workflow node lines
    lines = [
        "digraph workflows {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.6];',
        '  node [fontname="Helvetica", fontsize=11, style="filled,rounded", shape=box];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]

    def node(kind: str, key: tuple, attributes: str, repo: str | None = None) -> str:
        if (kind, key) not in ids:
            ids[(kind, key)] = f"n{len(ids)}"
            line = f"    {ids[(kind, key)]} [{attributes}];"
            (clusters.setdefault(repo, []) if repo else lines).append(line)
        return ids[(kind, key)]

    nodes = dependencies[dependencies["kind"] == "workflow"]
    manual_only = {
        (r.repo, r.workflow_path) for r in nodes.itertuples(index=False) if r.is_manual_only is True
    }
    rows = health.merge(
        nodes[["repo", "workflow_path", "workflow_name"]],
        on=["repo", "workflow_path"],
        how="outer",
        suffixes=("", "_file"),
    )
    for row in rows.itertuples(index=False):
        manual = (row.repo, row.workflow_path) in manual_only
        name = next((n for n in (row.workflow_name, row.workflow_name_file, row.workflow_path) if isinstance(n, str)), "?")  # fmt: skip
        rate = row.success_rate
        runs = "no runs" if pd.isna(rate) else f"{rate:.0%} success"
        parts = [name, f"{runs} · {_duration(row.duration_p50_seconds)}"]
        if manual:
            parts.append("manual only")
        # Each line is escaped on its own so the line breaks we add stay DOT line breaks.
        label = "\\n".join(quote(part)[1:-1] for part in parts)
        style = 'style="filled,rounded,dashed", penwidth=2' if manual else 'style="filled,rounded"'
        tooltip = quote(f"{row.repo} {row.workflow_path}")
        attributes = f'label="{label}", fillcolor={_rate_colour(rate)}, tooltip={tooltip}, {style}'
        node("workflow", (row.repo, row.workflow_path), attributes, row.repo)

    edge_lines = []
    for edge in dependencies.itertuples(index=False):
        if edge.kind not in EDGE_STYLES or not isinstance(edge.workflow_path, str):
            continue  # job-level `needs` stay inside a workflow node; unmatched triggers have no source
        source = node("workflow", (edge.repo, edge.workflow_path), f'label={quote(edge.workflow_path)}, fillcolor={UNKNOWN_COLOUR}', edge.repo)  # fmt: skip
        if edge.kind == "deploys_to":
            target = node("environment", (edge.target,), f'label={quote(edge.target)}, shape=ellipse, fillcolor={ENVIRONMENT_COLOUR}')  # fmt: skip
        else:
            repo = edge.target_repo if isinstance(edge.target_repo, str) else edge.repo
            path = edge.target_path if isinstance(edge.target_path, str) else str(edge.target)
            target = node("workflow", (repo, path), f'label={quote(edge.target)}, fillcolor={UNKNOWN_COLOUR}', repo)  # fmt: skip
        edge_lines.append(f"  {source} -> {target} [{EDGE_STYLES[edge.kind]}];")
    for number, (repo, members) in enumerate(clusters.items()):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f'    label={quote(repo)}; style="rounded"; color="#999999";')
        lines.extend(members)
        lines.append("  }")
    lines.extend(edge_lines)
    lines.append("}")
    return "\n".join(lines)


KIND_COLOURS = {
    "quality": UNKNOWN_COLOUR,
    "gate": '"#F7DDA4", color="#E69F00"',
    "deploy": ENVIRONMENT_COLOUR,
    "validation": '"#B8E3D6", color="#009E73"',
    "rollback": '"#F4BFA6", color="#D55E00"',
}


def proposal_dot(jobs: list[dict]) -> str:
    """The proposed orchestrator: one box per job, stages left to right, `needs:` as edges."""
    lines = [
        "digraph proposal {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.5];',
        '  node [fontname="Helvetica", fontsize=11, style="filled,rounded", shape=box];',
        '  edge [color="#555555"];',
    ]
    by_stage: dict[int, list[str]] = {}
    for job in jobs:
        path = job.get("workflow_path")
        label = job["job_id"] if not isinstance(path, str) else path.rsplit("/", 1)[-1]
        caption = {"gate": "approval", "rollback": "if: failure()"}.get(job["kind"], job["kind"])
        text = "\\n".join(quote(part)[1:-1] for part in (label, caption))
        shape = ", shape=diamond" if job["kind"] == "gate" else ""
        colour = KIND_COLOURS.get(job["kind"], UNKNOWN_COLOUR)
        lines.append(f'  {quote(job["job_id"])} [label="{text}", fillcolor={colour}{shape}];')
        by_stage.setdefault(int(job["stage"]), []).append(quote(job["job_id"]))
    for members in by_stage.values():
        lines.append(f"  {{ rank=same; {' '.join(members)} }}")
    for job in jobs:
        needs = job.get("needs")
        for need in [] if needs is None else list(needs):
            style = " [style=dashed]" if job["kind"] == "rollback" else ""
            lines.append(f"  {quote(need)} -> {quote(job['job_id'])}{style};")
    lines.append("}")
    return "\n".join(lines)
