"""`dora propose-pipeline`: read a repository's proposal from the published snapshot, write it out."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from reports.snapshot import open_snapshot, tables

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class ProposalError(Exception):
    """One line on why no file was written."""


@dataclass
class StoredProposal:
    repo: str
    file_name: str | None
    workflow_yaml: str | None
    reason: str | None
    rationale: str


def check_repo(repo: str) -> str:
    """OWNER/NAME, or a ProposalError saying what is wrong with it."""
    if not _REPO.match(repo):
        raise ProposalError(f"--repo {repo!r} is not OWNER/NAME")
    return repo


def read_proposal(db: Path, repo: str) -> StoredProposal:
    """The stored proposal of `repo` (names compare case-insensitively, as GitHub's do)."""
    con = open_snapshot(db)
    try:
        if "orchestration_proposals" not in tables(con):
            raise ProposalError("the published snapshot has no proposals: run `dora build` again")
        row = con.execute(
            "select repo, file_name, workflow_yaml, reason, rationale from orchestration_proposals "
            "where lower(repo) = lower(?)",
            [repo],
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise ProposalError(
            f"{repo}: no workflow files in the published snapshot (ingest it, then `dora build`)"
        )
    return StoredProposal(*row)


def default_out(db: Path, proposal: StoredProposal) -> Path:
    """Beside the database, laid out as in the repository: data/proposals/OWNER/NAME/.github/..."""
    owner, name = proposal.repo.split("/", 1)
    return db.parent / "proposals" / owner / name / ".github" / "workflows" / proposal.file_name


def write_proposal(text: str, out: Path) -> Path:
    """Write the file whole or not at all (temporary file, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out
