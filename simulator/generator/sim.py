"""One simulated repository: the generator's memory of it and the factories that write its records."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simulator.generator.people import GITHUB_ACTIONS, WEB_FLOW, Engineer, local_time
from simulator.generator.touched_files import service_files
from simulator.records import (
    Commit,
    Deployment,
    DeploymentStatus,
    Environment,
    Issue,
    Job,
    Person,
    Repository,
    WorkflowRun,
)

if TYPE_CHECKING:
    from simulator.generator.events import World

SPAN = timedelta(hours=3)  # the longest stretch of records one event may write
_SECOND = timedelta(seconds=1)


def seconds(n: int) -> timedelta:
    """`timedelta(seconds=n)`, several times cheaper: the generator builds millions of them."""
    return _SECOND * n


class FastRandom(random.Random):
    """`random.Random` with cheap integer draws: the generator makes millions of them."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


@dataclass(slots=True)
class Ids:
    """Stable, org-wide id counters, one per kind of object."""

    repo: int = 700_000_000
    workflow: int = 60_000_000
    run: int = 9_000_000_000
    job: int = 25_000_000_000
    deployment: int = 1_800_000_000
    status: int = 3_900_000_000
    environment: int = 2_100_000_000
    pull: int = 1_500_000_000
    issue: int = 2_600_000_000
    sha: int = 0

    def next(self, kind: str) -> int:
        value = getattr(self, kind) + 1
        setattr(self, kind, value)
        return value


@dataclass(slots=True)
class PullState:
    """Generator-side facts about an open pull request."""

    number: int
    engineer: Engineer
    services: tuple[str, ...]
    commits_left: int
    hotfix: bool
    reverts: str | None = None  # sha reverted by this pull request's single commit


@dataclass
class RepoSim:
    """One repository being simulated: its records plus the generator's memory of it."""

    repo: Repository
    kind: str  # platform | web | infra
    rng: FastRandom
    team: list[Engineer]
    services: tuple[str, ...]
    rates: dict[str, float]
    world: World
    next_number: int = 1
    run_numbers: dict[str, int] = field(default_factory=dict)
    workflow_ids: dict[str, int] = field(default_factory=dict)
    workflow_names: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, PullState] = field(default_factory=dict)
    pr_by_number: dict = field(default_factory=dict)
    touched: dict[str, tuple[str, ...]] = field(default_factory=dict)  # main sha -> services
    main_log: list[tuple[str, int | None]] = field(default_factory=list)  # (sha, squash PR)
    main_index: dict[str, int] = field(default_factory=dict)
    # environment name -> (canonical environment, service): the generator's decision log
    scopes: dict[str, tuple[str, str]] = field(default_factory=dict)
    active: dict[str, Deployment] = field(default_factory=dict)  # env name -> active deployment
    last_success: dict[str, tuple[str, datetime, int]] = field(default_factory=dict)
    history: dict[str, list[str]] = field(default_factory=dict)  # env name -> successful shas
    rule_runs: list[int] = field(default_factory=list)  # runs a deploy rule maps to production
    pending: dict[int, dict] = field(default_factory=dict)  # run id -> pipeline awaiting approval
    last_attempt: dict[str, str] = field(default_factory=dict)  # env name -> sha last tried
    reverted: set[str] = field(default_factory=set)  # shas someone decided to revert
    environment_names: set[str] = field(default_factory=set)
    adopted: bool = False
    gate: datetime | None = None  # when production approvals are next free (one at a time)
    flags: set[str] = field(default_factory=set)

    def is_scripted(self, name: str) -> bool:
        """Is a scripted pattern (`generator.patterns`) deploying environment `name` now?"""
        return f"scripted:{name}" in self.flags

    # --- people and time ---
    def engineer(self) -> Engineer:
        return self.rng.choice(self.team)

    def minutes(self, low: float, high: float) -> timedelta:
        return _SECOND * int((low + (high - low) * self.rng.random()) * 60)

    def schedule(self, t: datetime, kind: str, *args) -> None:
        self.world.schedule(t, self, kind, args)

    # --- git ---
    def commit(
        self,
        parents: tuple[str, ...],
        author: Engineer,
        authored: datetime,
        message: str,
        committer: Person | None = None,
        committed: datetime | None = None,
        files: tuple[str, ...] | None = None,
        services: tuple[str, ...] = (),
    ) -> str:
        """A new commit; it touches `files`, else new files of `services` (touched_files)."""
        sha = self.world.next_sha()
        self.repo.commits[sha] = Commit(
            sha=sha,
            parents=parents,
            author=author.person,
            author_date=local_time(author, authored),
            committer=committer or author.person,
            committer_date=committed or local_time(author, authored),
            message=message,
            files=service_files(sha, self.kind, services) if files is None else files,
        )
        return sha

    def advance_main(self, sha: str, squash_pr: int | None, services: tuple[str, ...]) -> None:
        self.repo.branches[self.repo.default_branch] = sha
        self.main_index[sha] = len(self.main_log)
        self.main_log.append((sha, squash_pr))
        self.touched[sha] = services

    @property
    def main(self) -> str:
        return self.repo.branches[self.repo.default_branch]

    # --- workflow runs ---
    def start_run(
        self,
        path: str,
        event: str,
        sha: str,
        branch: str,
        actor: Person,
        created: datetime,
        title: str,
        prs: tuple[int, ...] = (),
        referenced: tuple[str, ...] = (),
    ) -> WorkflowRun:
        number = self.run_numbers.get(path, 0) + 1
        self.run_numbers[path] = number
        run = WorkflowRun(
            id=self.world.ids.next("run"),
            workflow_id=self.workflow_ids[path],
            name=self.workflow_names[path],
            path=path,
            event=event,
            status="queued",
            conclusion=None,
            head_sha=sha,
            head_branch=branch,
            actor=actor,
            triggering_actor=actor,
            run_number=number,
            run_attempt=1,
            created_at=created,
            run_started_at=created,
            updated_at=created,
            display_title=title,
            pull_request_numbers=prs,
            referenced_workflows=referenced,
        )
        self.repo.runs.append(run)
        return run

    def job(
        self,
        run: WorkflowRun,
        name: str,
        start: datetime,
        minutes: float,
        conclusion: str | None = "success",
        environment: str | None = None,
    ) -> Job:
        """A job of the run's current attempt; `conclusion=None` leaves it waiting."""
        done = start + _SECOND * int(minutes * 60) if conclusion else None
        job = Job(
            id=self.world.ids.next("job"),
            run_id=run.id,
            run_attempt=run.run_attempt,
            name=name,
            status="completed" if conclusion else "waiting",
            conclusion=conclusion,
            created_at=start,
            started_at=start if conclusion else None,
            completed_at=done,
            environment=environment,
        )
        run.jobs.append(job)
        return job

    def finish_run(self, run: WorkflowRun, conclusion: str, at: datetime) -> None:
        run.status, run.conclusion, run.updated_at = "completed", conclusion, at

    def simple_run(
        self,
        path: str,
        event: str,
        sha: str,
        branch: str,
        actor: Person,
        created: datetime,
        title: str,
        jobs: tuple[str, ...],
        fail: float = 0.0,
        rerun: float = 0.0,
        prs: tuple[int, ...] = (),
        conclusion: str | None = None,
    ) -> WorkflowRun:
        """A run whose jobs run one after another; a failed attempt may be re-run once."""
        rng = self.rng
        run = self.start_run(path, event, sha, branch, actor, created, title, prs)
        if self.world.compact_jobs:
            jobs = jobs[:1]
        attempt_start = created
        while True:
            start = attempt_start + _SECOND * rng.randint(4, 40)
            run.run_started_at = start
            failed = conclusion == "failure" or (conclusion is None and rng.random() < fail)
            broken = rng.randrange(len(jobs)) if failed else -1
            t = start
            for index, name in enumerate(jobs):
                if index > broken >= 0:
                    self.job(run, name, t, 0, "skipped")
                    continue
                outcome = "failure" if index == broken else "success"
                t = self.job(run, name, t, rng.uniform(0.5, 6), outcome).completed_at
            if failed and run.run_attempt == 1 and conclusion is None and rng.random() < rerun:
                run.run_attempt = 2
                attempt_start = t + self.minutes(2, 40)
                continue
            self.finish_run(run, "failure" if failed else "success", t)
            return run

    # --- deployments ---
    def create_deployment(
        self,
        run: WorkflowRun | None,
        environment: str,
        sha: str,
        created: datetime,
        description: str,
        creator: Person | None = None,
        transient: bool = False,
    ) -> Deployment:
        env, _service = self.scopes[environment]
        deployment = Deployment(
            id=self.world.ids.next("deployment"),
            sha=sha,
            ref=run.head_branch if run else self.repo.default_branch,
            task="deploy",
            environment=environment,
            original_environment=environment,
            description=description,
            creator=creator or GITHUB_ACTIONS,
            created_at=created,
            transient_environment=transient,
            production_environment=env == "production",
            run_id=run.id if run else None,
        )
        self.repo.deployments.append(deployment)
        self.status(deployment, "queued", created)
        return deployment

    def status(self, deployment: Deployment, state: str, at: datetime) -> None:
        run_id = deployment.run_id
        log = f"https://github.com/{self.repo.full_name}/actions/runs/{run_id}" if run_id else ""
        deployment.statuses.append(
            DeploymentStatus(
                id=self.world.ids.next("status"),
                state=state,
                description={"success": "Deployment finished", "failure": "Deployment failed"}.get(
                    state, ""
                ),
                environment=deployment.environment,
                created_at=at,
                log_url=log,
            )
        )
        if state == "success":
            previous = self.active.get(deployment.environment)
            if previous is not None and previous.statuses[-1].state != "inactive":
                self.status(previous, "inactive", at)
            self.active[deployment.environment] = deployment
            self.last_success[deployment.environment] = (deployment.sha, at, deployment.id)
            self.history.setdefault(deployment.environment, []).append(deployment.sha)

    def ensure_environment(self, name: str, created: datetime, rules: list[dict]) -> None:
        if name in self.environment_names:
            return
        self.environment_names.add(name)
        self.repo.environments.append(
            Environment(self.world.ids.next("environment"), name, created, created, rules)
        )

    # --- issues ---
    def open_issue(
        self, title: str, body: str, author: Engineer, at: datetime, labels: tuple[str, ...]
    ) -> Issue:
        number = self.next_number
        self.next_number += 1
        issue = Issue(
            number=number,
            id=self.world.ids.next("issue"),
            title=title,
            body=body,
            user=author.person,
            state="open",
            labels=labels,
            created_at=at,
            updated_at=at,
            closed_at=None,
        )
        self.repo.issues.append(issue)
        return issue


def merge_committer() -> Person:
    """GitHub itself commits squash, merge and rebase merges made in the web UI."""
    return WEB_FLOW
