"""One stream per GitHub resource family; `STREAMS` lists them in dependency order."""

from __future__ import annotations

from collections.abc import Callable

from ingest.streams.base import StreamContext
from ingest.streams.catalog import sync_environments, sync_repository, sync_workflows
from ingest.streams.commit_files import sync_commit_files
from ingest.streams.commits import sync_commits
from ingest.streams.deployments import sync_deployments
from ingest.streams.issues import sync_issues
from ingest.streams.pulls import sync_pulls
from ingest.streams.runs import sync_runs
from ingest.streams.workflow_files import sync_workflow_files

StreamFunction = Callable[[StreamContext], None]

# name -> (function, streams of the same repo that must finish first)
STREAMS: dict[str, tuple[StreamFunction, tuple[str, ...]]] = {
    "repository": (sync_repository, ()),
    "workflows": (sync_workflows, ("repository",)),
    "workflow_files": (sync_workflow_files, ("repository",)),
    "environments": (sync_environments, ("repository",)),
    "runs": (sync_runs, ("workflow_files",)),  # which runs need jobs comes from the YAML
    "deployments": (sync_deployments, ("repository",)),
    "commits": (sync_commits, ("deployments", "runs")),  # compare ranges of deployed shas
    "commit_files": (sync_commit_files, ("commits",)),  # only for repos with path rules
    "pulls": (sync_pulls, ("repository",)),
    "issues": (sync_issues, ("pulls",)),  # its cursor starts from the pulls read
}

__all__ = ["STREAMS", "StreamContext", "StreamFunction"]
