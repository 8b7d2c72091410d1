"""The build's Python model `marts.orchestration_proposals`: one proposal per repository.

Built with the other models so the snapshot carries it: `dora propose-pipeline` writes it out,
the Pipeline page draws it and the weekly email counts what it saves. A repository whose files
defeat the proposal gets a one-line reason instead; it never stops the metrics build.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from orchestrator.estate import DEPENDS_ON as ESTATE_INPUTS
from orchestrator.estate import load_estate, repos
from orchestrator.propose import Proposal, propose

TABLE = "marts.orchestration_proposals"
DEPENDS_ON = ESTATE_INPUTS

_JOB = pa.struct(
    [
        ("job_id", pa.string()),
        ("kind", pa.string()),
        ("stage", pa.int32()),
        ("workflow_path", pa.string()),
        ("needs", pa.list_(pa.string())),
        ("evidence", pa.list_(pa.string())),
    ]
)
_BLOCK = pa.struct([("workflow_path", pa.string()), ("on_block", pa.string())])
SCHEMA = pa.schema(
    [
        ("repo", pa.string()),
        ("file_name", pa.string()),
        ("workflow_yaml", pa.string()),
        ("reason", pa.string()),
        ("rationale", pa.string()),
        ("approval_gates", pa.int32()),
        ("called_workflows", pa.list_(pa.string())),
        ("jobs", pa.list_(_JOB)),
        ("callable_blocks", pa.list_(_BLOCK)),
    ]
)


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Propose for every repository with workflow files; store one row each."""
    rows = [proposal_row(_propose(con, repo)) for repo in repos(con)]
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    con.register("_orchestration_rows", table)
    try:
        con.execute(f"create or replace table {TABLE} as select * from _orchestration_rows")
    finally:
        con.unregister("_orchestration_rows")


def _propose(con: duckdb.DuckDBPyConnection, repo: str) -> Proposal:
    try:
        return propose(load_estate(con, repo))
    except Exception as exc:  # noqa: BLE001 - one repository's odd files must not stop the build
        line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Proposal(repo, reason=f"could not propose: {line}")


def proposal_row(proposal: Proposal) -> dict:
    return {
        "repo": proposal.repo,
        "file_name": proposal.file_name,
        "workflow_yaml": proposal.workflow_yaml,
        "reason": proposal.reason,
        "rationale": "\n".join(proposal.rationale),
        "approval_gates": len(proposal.approvals),
        "called_workflows": proposal.called,
        "jobs": [
            {
                "job_id": job.job_id,
                "kind": job.kind,
                "stage": job.stage,
                "workflow_path": job.workflow.path if job.workflow else None,
                "needs": job.needs,
                "evidence": job.evidence,
            }
            for job in proposal.jobs
        ],
        "callable_blocks": [
            {"workflow_path": path, "on_block": block}
            for path, block in proposal.callable_blocks.items()
        ],
    }
