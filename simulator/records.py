"""Compact records of the simulated organisation: what the generator decides, what the server renders.

The generator (`simulator.generator.org`) produces these; the server (`simulator.server`, through
`simulator.server.payloads`) renders them into GitHub-shaped JSON on request. Records stay small
(slots, no nested payload dicts) so the large organisation (about 1M runs) fits in memory.
All datetimes are timezone-aware; commit author dates keep their original offset, everything
else is UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

RENAMED_FROM = " <- "  # "new <- old" in `Commit.files`: a file moved (GitHub: previous_filename)


@dataclass(slots=True)
class Person:
    login: str
    name: str
    email: str
    id: int


@dataclass(slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Person
    author_date: datetime  # original offset kept, as git records it
    committer: Person
    committer_date: datetime
    message: str
    # paths it touched (simulator.generator.touched_files), served by /commits/{sha}; a moved
    # file is "new <- old" (RENAMED_FROM)
    files: tuple[str, ...] = ()


@dataclass(slots=True)
class PullRequest:
    number: int
    id: int
    title: str
    user: Person
    head_ref: str
    base_ref: str
    head_sha: str
    state: str  # open | closed
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    merged_at: datetime | None
    merge_commit_sha: str | None
    merge_method: str | None  # squash | merge | rebase | None (not merged)
    labels: tuple[str, ...]
    commits: tuple[str, ...]  # shas of the pull request's own commits, oldest first


@dataclass(slots=True)
class Workflow:
    id: int
    name: str
    path: str  # .github/workflows/<file>
    state: str  # active | disabled_manually | ...
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class Job:
    id: int
    run_id: int
    run_attempt: int
    name: str
    status: str
    conclusion: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    environment: str | None = None  # the job's `environment:`, if it deploys


@dataclass(slots=True)
class WorkflowRun:
    id: int
    workflow_id: int
    name: str
    path: str
    event: (
        str  # push | pull_request | workflow_dispatch | workflow_run | workflow_call | schedule ...
    )
    status: str  # completed | in_progress | queued
    conclusion: str | None  # success | failure | cancelled | timed_out | startup_failure | skipped
    head_sha: str
    head_branch: str
    actor: Person
    triggering_actor: Person
    run_number: int
    run_attempt: int  # the latest attempt; earlier ones are served at /attempts/{n}
    created_at: datetime
    run_started_at: datetime
    updated_at: datetime
    display_title: str
    pull_request_numbers: tuple[int, ...] = ()
    referenced_workflows: tuple[str, ...] = ()  # paths of reusable workflows it called
    jobs: list[Job] = field(default_factory=list)  # jobs of every attempt


@dataclass(slots=True)
class DeploymentStatus:
    id: int
    state: str  # queued | in_progress | success | failure | error | inactive | pending
    description: str
    environment: str
    created_at: datetime
    log_url: str  # the run's html_url when created by Actions


@dataclass(slots=True)
class Deployment:
    id: int
    sha: str
    ref: str
    task: str
    environment: str
    original_environment: str
    description: str | None
    creator: Person
    created_at: datetime
    transient_environment: bool
    production_environment: bool
    run_id: int | None  # the workflow run whose job created it (None for API-created ones)
    statuses: list[DeploymentStatus] = field(default_factory=list)  # oldest first

    @property
    def updated_at(self) -> datetime:
        """GitHub bumps a deployment's `updated_at` to its newest status' `created_at`."""
        return self.statuses[-1].created_at if self.statuses else self.created_at


@dataclass(slots=True)
class Environment:
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    protection_rules: list[
        dict
    ]  # e.g. {"type": "required_reviewers", ...}, {"type": "wait_timer", "wait_timer": 30}


@dataclass(slots=True)
class Issue:
    number: int
    id: int
    title: str
    body: str
    user: Person
    state: str  # open | closed
    labels: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    state_reason: str | None = None
    pull_request: int | None = None  # set for the issue view of a pull request


@dataclass(slots=True)
class Repository:
    id: int
    owner: str
    name: str
    default_branch: str
    description: str
    created_at: datetime
    pushed_at: datetime
    archived: bool = False
    fork: bool = False
    private: bool = False
    commits: dict[str, Commit] = field(default_factory=dict)  # every commit, any branch
    branches: dict[str, str] = field(default_factory=dict)  # branch name -> head sha
    pulls: list[PullRequest] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    workflow_files: dict[str, str] = field(
        default_factory=dict
    )  # path -> YAML text (default branch)
    runs: list[WorkflowRun] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    environments: list[Environment] = field(default_factory=list)
    issues: list[Issue] = field(
        default_factory=list
    )  # real issues only; PRs are served as issues too

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(slots=True)
class Organisation:
    login: str
    seed: int
    days: int
    end: datetime
    repos: dict[str, Repository]  # full_name -> repository
    truth: dict  # ground truth, served at GET /_simulator/truth (JSON-serialisable)
    scale: str = "demo"
    # the generator's private continuation (event queue, decision log) for `advance`; not served
    generator_state: object = field(default=None, repr=False, compare=False)
