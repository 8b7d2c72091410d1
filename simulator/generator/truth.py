"""Ground truth: what the generator decided, classified by the rules of METRICS.md (demo config).

Inputs are the generator's decision log (which environment name is which scope, which runs a
deploy rule maps to production) plus the records it wrote. Choices made where METRICS.md leaves
room, so that the models can be held to the same reading:

- Scope = repo x service x environment. `preview-pr-N` keeps its raw name as environment (the demo
  service pattern only splits `<service>-(development|staging|production)`), service = repo name.
- "Ships" (a revert, a hotfix pull request's commit) means: is among the deployment's attributed
  changes. Redeploys, rollbacks and a scope's first deployment ship no changes.
- A commit belongs to a pull request when it is its `merge_commit_sha` or one of its commits.
  Rebase merges are only made for one-commit pull requests, so the rebased commit is the
  pull request's `merge_commit_sha` and its start is unambiguous.
- Outcomes: `inactive` never decides one; a Deployments API record whose only settled status is
  `inactive` is superseded. A failed attempt whose next attempt in its scope (by `created_at`,
  then id) has the same sha is retried: it counts nowhere, the retry stands for it.
- Failed verification: a failed run of `post-deploy-validation.yml` / `deployment-verification.yml`
  in the repo, for a sha, whose `run_started_at` is strictly after the `deployed_at` of the scope's
  latest successful deployment before it, which must be of that sha (so no deployment of another
  sha came in between); it marks the latest counted deployment of that sha before the run (a
  redeploy in between hides nothing). Runs carry no environment, so every scope is looked at.
- Reverts: a revert reverts the deployment its commit is attributed to in that scope when that
  deployment came first; shipped with its commit it reverts nothing and makes no rework.
- Lead-time stages (pull request known): coding = start -> opened, review -> merged, delivery ->
  deployed, each boundary kept between the one before it and `deployed_at`.
- Recovery: (a) is the first counted successful deployment of the scope with `deployed_at` strictly
  after the failure start that is not itself a change failure; it is `restored_by` when it is at
  or before (b). The incident's `service` is its `service:` label, else that of the deployment it
  is attributed to, else null.
- Pattern-only rollbacks (description matches, sha new) roll back the previous successful
  deployment; the generator never makes one (its rollbacks always redeploy an older sha).
- Services by path: when the demo config (`simulator/demo.toml`) has `[[services]]` path rules
  for a repo x service, a commit is among that service's changes only if one of its paths (a
  moved file's new and previous path) matches one of the service's globs: `*` and `?` within a
  folder, `**` any number of folders. Everything else (reverts, hotfixes) follows from the changes.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta

from simulator.generator.release_habits import intended_order
from simulator.generator.touched_files import service_paths, touches
from simulator.records import Commit, Organisation, Repository

ROLLBACK = re.compile(r"(?i)\brollback\b")
REVERTS = re.compile(r"This reverts commit ([0-9a-f]{40})")
VERIFICATION_FILES = {"post-deploy-validation.yml", "deployment-verification.yml"}
ATTRIBUTION_WINDOW = timedelta(hours=24)
ALIASES = {"prod": "production", "prd": "production", "live": "production", "stage": "staging",
           "stg": "staging", "dev": "development"}  # fmt: skip
FAILED_CONCLUSIONS = {"failure", "timed_out", "startup_failure"}


_ISO_CACHE: dict[datetime, str] = {}


def iso(t: datetime | None) -> str | None:
    """`2026-11-20T10:00:00Z`; memoised, since each deployment time repeats for all its changes."""
    if t is None:
        return None
    text = _ISO_CACHE.get(t)
    if text is None:
        utc = t.astimezone(UTC) if t.utcoffset() else t
        text = _ISO_CACHE[t] = f"{utc.isoformat(timespec='seconds')[:19]}Z"
    return text


def commit_range(commits: dict[str, Commit], gen: dict[str, int], new: str, old: str) -> list[str]:
    """Commits reachable from `new` and not from `old`, by walking both down by generation."""
    if new == old:
        return []
    flags = {new: 1, old: 2}
    heap = [(-gen[new], new), (-gen[old], old)]
    heapq.heapify(heap)
    pending_new, out = 1, []
    while pending_new:
        _, sha = heapq.heappop(heap)
        flag = flags[sha]
        if flag == 1:
            pending_new -= 1
            out.append(sha)
        carried = 1 if flag == 1 else 2
        for parent in commits[sha].parents:
            seen = flags.get(parent)
            if seen is None:
                flags[parent] = carried
                heapq.heappush(heap, (-gen[parent], parent))
                pending_new += carried == 1
            elif seen == 1 and carried == 2:
                flags[parent] = 3
                pending_new -= 1
    return out


def _api_outcome(statuses: list) -> tuple[str, datetime | None, datetime | None]:
    """(outcome, deployed_at, failed_at) of a Deployments API record; `inactive` decides nothing."""
    successes = [s.created_at for s in statuses if s.state == "success"]
    if successes:
        return "success", min(successes), None
    settled = [s for s in statuses if s.state != "inactive"]
    latest = max(settled, key=lambda s: (s.created_at, s.id), default=None)
    if latest is not None and latest.state in ("failure", "error"):
        return "failure", None, latest.created_at
    if any(s.state == "inactive" for s in statuses) and not any(
        s.state in ("failure", "error") for s in statuses
    ):
        return "superseded", None, None  # superseded before it settled: left out
    return "unfinished", None, None


def _attempts(sim) -> list[dict]:
    """Every deployment attempt of one repo, with its outcome as METRICS.md section 1 reads it."""
    repo: Repository = sim.repo
    runs = {run.id: run for run in repo.runs}
    attempts = []
    for d in repo.deployments:
        environment, service = sim.scopes[d.environment]
        outcome, deployed, failed = _api_outcome(d.statuses)
        run = runs.get(d.run_id)
        attempts.append(dict(
            repo=repo.full_name, source="deployments_api", deployment_id=d.id,
            environment_name=d.environment, environment=environment, service=service, sha=d.sha,
            outcome=outcome, created_at=d.created_at, deployed_at=deployed, failed_at=failed,
            labels=(d.description or "", d.task, run.name if run else ""),
        ))  # fmt: skip
    for run_id in sim.rule_runs:
        run = runs[run_id]
        finished = max((j.completed_at for j in run.jobs if j.completed_at), default=None)
        if run.status != "completed":
            outcome = "unfinished"
        elif run.conclusion == "success":
            outcome = "success"
        elif run.conclusion in FAILED_CONCLUSIONS:
            outcome = "failure"
        else:
            continue
        attempts.append(dict(
            repo=repo.full_name, source="workflow_run", deployment_id=run.id,
            environment_name="production", environment="production", service=repo.name,
            sha=run.head_sha, outcome=outcome, created_at=run.created_at,
            deployed_at=finished if outcome == "success" else None,
            failed_at=finished if outcome == "failure" else None, labels=("", "", run.name),
        ))  # fmt: skip
    for a in attempts:
        a.update(is_redeploy=False, is_retried=False, is_rollback=False,
                 is_counted=a["outcome"] in ("success", "failure"), reasons=set(), incidents=[],
                 changes=[], rolled_back_by=None, restored_at=None, restored_by=None,
                 recovery_seconds=None, ships_revert=False, ships_hotfix=False)  # fmt: skip
    return attempts


def _mark_retries(scope: list[dict]) -> None:
    """A failed attempt whose next attempt in the scope (by creation) has its sha was retried."""
    ordered = sorted(scope, key=lambda a: (a["created_at"], a["deployment_id"]))
    for attempt, following in zip(ordered, ordered[1:], strict=False):
        if attempt["outcome"] == "failure" and following["sha"] == attempt["sha"]:
            attempt["is_retried"], attempt["is_counted"] = True, False


class _RepoFacts:
    """Commit generations and pull-request lookups of one repo."""

    def __init__(self, repo: Repository) -> None:
        self.commits = repo.commits
        self._started: dict[str, datetime] = {}
        self.gen: dict[str, int] = {}
        for sha, commit in repo.commits.items():  # parents are always inserted first
            self.gen[sha] = 1 + max((self.gen[p] for p in commit.parents), default=0)
        self.pr_of: dict[str, object] = {}
        self.merged_by: dict[str, object] = {}
        for pr in repo.pulls:
            if pr.merged_at is None:
                continue
            for sha in pr.commits:
                self.pr_of.setdefault(sha, pr)
            if pr.merge_commit_sha:
                self.merged_by[pr.merge_commit_sha] = pr
                self.pr_of[pr.merge_commit_sha] = pr

    def started_at(self, sha: str) -> datetime:
        """Author date; for a pull request's squash/merge commit, its earliest commit's."""
        started = self._started.get(sha)
        if started is None:
            pr = self.merged_by.get(sha)
            if pr is not None and pr.commits:
                started = min(self.commits[c].author_date for c in pr.commits)
            else:
                started = self.commits[sha].author_date
            self._started[sha] = started
        return started

    def stages(self, sha: str, started: datetime, deployed: datetime) -> tuple[int | None, ...]:
        """Coding, review and delivery seconds: never negative, summing to the lead time."""
        pr = self.pr_of.get(sha)
        if pr is None:
            return None, None, None
        opened = min(max(pr.created_at, started), deployed)
        merged = min(max(pr.merged_at, opened), deployed)
        return tuple(
            int((end - begin).total_seconds())
            for begin, end in ((started, opened), (opened, merged), (merged, deployed))
        )


def _classify_scope(
    scope: list[dict],
    facts: _RepoFacts,
    attributed: dict[str, dict],
    globs: tuple[str, ...] | None = None,
) -> list[dict]:
    """Redeploys, rollbacks and changes of one scope; returns its successful attempts in order.
    With `globs` (the service's path rules), only commits touching them are its changes."""
    done = sorted((a for a in scope if a["outcome"] == "success"),
                  key=lambda a: (a["deployed_at"], a["deployment_id"]))  # fmt: skip
    seen: dict[str, int] = {}
    for i, d in enumerate(done):
        prev = done[i - 1] if i else None
        if prev is not None and prev["sha"] == d["sha"]:
            d["is_redeploy"], d["is_counted"] = True, False
        elif d["sha"] in seen or any(ROLLBACK.search(text) for text in d["labels"]):
            d["is_rollback"] = True
            start = seen[d["sha"]] + 1 if d["sha"] in seen else i - 1
            for target in done[max(start, 0) : i]:
                if target["is_counted"]:
                    target["reasons"].add("rolled_back")
                    target["rolled_back_by"] = target["rolled_back_by"] or d["deployment_id"]
        elif prev is not None:
            for sha in commit_range(facts.commits, facts.gen, d["sha"], prev["sha"]):
                if len(facts.commits[sha].parents) > 1 or sha in attributed:
                    continue
                if globs is not None and not touches(facts.commits[sha].files, globs):
                    continue  # not this service's change: it touches none of its paths
                attributed[sha] = d
                d["changes"].append(sha)
        seen[d["sha"]] = i
    return done


def _mark_reverts_and_hotfixes(done: list[dict], facts: _RepoFacts, attributed: dict) -> None:
    """A revert reverts the earlier deployment its commit is attributed to; one shipped together
    with that commit (or reverting an unattributed one) reverts nothing."""
    order = {id(d): i for i, d in enumerate(done)}
    for d in done:
        for sha in d["changes"]:
            message = facts.commits[sha].message
            if message.startswith('Revert "'):
                match = REVERTS.search(message)
                first = attributed.get(match.group(1)) if match else None
                if first is not d:
                    d["ships_revert"] = True  # shipped with its commit, it makes no rework
                if first is not None and order[id(first)] < order[id(d)]:
                    first["reasons"].add("reverted")
            pr = facts.pr_of.get(sha)
            if pr is not None and (pr.head_ref.startswith("hotfix") or "hotfix" in pr.labels):
                d["ships_hotfix"] = True


def _verification_failures(repo: Repository) -> dict[str, list[datetime]]:
    failures: dict[str, list[datetime]] = {}
    for run in repo.runs:
        if (
            run.path.rsplit("/", 1)[-1] in VERIFICATION_FILES
            and run.status == "completed"
            and run.conclusion == "failure"
        ):
            failures.setdefault(run.head_sha, []).append(run.run_started_at)
    return failures


def _mark_failed_verifications(done: list[dict], failed_checks: dict[str, list[datetime]]) -> None:
    """A failed check of sha S marks the latest counted deployment of S before it, provided S is
    still what the scope runs when the check starts (a redeploy of S in between hides nothing)."""
    times = [d["deployed_at"] for d in done]
    for sha in {d["sha"] for d in done} & failed_checks.keys():
        for t in failed_checks[sha]:
            live = bisect_left(times, t) - 1  # the latest success strictly before the check
            if live < 0 or done[live]["sha"] != sha:
                continue
            counted = next(
                d for d in reversed(done[: live + 1]) if d["is_counted"] and d["sha"] == sha
            )
            counted["reasons"].add("verification_failed")


def _attribute_incidents(repo: Repository, attempts: list[dict]) -> list[dict]:
    rows = []
    for issue in repo.issues:
        labels = [label.lower() for label in issue.labels]
        if "incident" not in labels:
            continue
        environment, service = "production", None
        for label in labels:
            if label.startswith("env:"):
                name = label[4:]
                environment = ALIASES.get(name, name)
            elif label.startswith("service:"):
                service = label[8:]
        candidates = [
            a for a in attempts
            if a["outcome"] == "success" and a["is_counted"] and a["environment"] == environment
            and (service is None or a["service"] == service)
            and a["deployed_at"] <= issue.created_at
        ]  # fmt: skip
        best = max(candidates, key=lambda a: (a["deployed_at"], a["deployment_id"]), default=None)
        if best is not None and issue.created_at - best["deployed_at"] > ATTRIBUTION_WINDOW:
            best = None
        if best is not None:
            best["reasons"].add("incident")
            best["incidents"].append(issue)
        rows.append({
            "repo": repo.full_name, "number": issue.number, "environment": environment,
            "service": service or (best["service"] if best else None),
            "deployment_id": best["deployment_id"] if best else None,
            "created_at": iso(issue.created_at), "closed_at": iso(issue.closed_at),
            "state": issue.state,
        })  # fmt: skip
    return rows


def _recover(scope_done: list[dict], failures: list[dict]) -> None:
    """Restored at = earliest of the next healthy deployment and the last incident closed."""
    healthy = [d for d in scope_done if d["is_counted"] and not d["reasons"]]
    times = [d["deployed_at"] for d in healthy]
    for f in failures:
        start = f["failed_at"] if f["outcome"] == "failure" else f["deployed_at"]
        index = bisect_right(times, start)
        by_deploy = healthy[index] if index < len(healthy) else None
        by_close = None
        if f["incidents"] and all(i.state == "closed" and i.closed_at for i in f["incidents"]):
            by_close = max(i.closed_at for i in f["incidents"])
        if by_deploy is not None and (by_close is None or by_deploy["deployed_at"] <= by_close):
            f["restored_at"], f["restored_by"] = by_deploy["deployed_at"], by_deploy
        elif by_close is not None:
            f["restored_at"] = by_close
        if f["restored_at"] is not None:
            f["recovery_seconds"] = int((f["restored_at"] - start).total_seconds())


def compute_truth(org: Organisation, world, adopted_at: datetime) -> dict:
    """The whole ground truth document served at `/_simulator/truth`."""
    _ISO_CACHE.clear()
    deployments, changes, incidents = [], [], []
    for sim in world.sims:
        repo = sim.repo
        facts = _RepoFacts(repo)
        attempts = _attempts(sim)
        scopes: dict[tuple[str, str], list[dict]] = {}
        for a in attempts:
            scopes.setdefault((a["service"], a["environment"]), []).append(a)
        for scope in scopes.values():
            _mark_retries(scope)
        done_by_scope = {}
        for key, scope in scopes.items():
            attributed: dict[str, dict] = {}
            globs = service_paths().get((repo.full_name.lower(), key[0]))
            done_by_scope[key] = _classify_scope(scope, facts, attributed, globs)
            _mark_reverts_and_hotfixes(done_by_scope[key], facts, attributed)
        failed_checks = _verification_failures(repo)
        for done in done_by_scope.values():
            _mark_failed_verifications(done, failed_checks)
        incidents += _attribute_incidents(repo, attempts)
        for a in attempts:
            if a["outcome"] == "failure" and a["is_counted"]:
                a["reasons"].add("deploy_failed")
        for key, scope in scopes.items():
            failures = [a for a in scope if a["is_counted"] and a["reasons"]]
            _recover(done_by_scope[key], failures)
        for a in attempts:
            restored_other = a["restored_by"]
            if restored_other is not None and a["reasons"] - {"deploy_failed"}:
                restored_other["restores_harm"] = True
        for a in attempts:
            deployments.append(_deployment_row(a))
            for sha in a["changes"]:
                started = facts.started_at(sha)
                pr = facts.pr_of.get(sha)
                coding, review, delivery = facts.stages(sha, started, a["deployed_at"])
                changes.append({
                    "repo": a["repo"], "service": a["service"], "environment": a["environment"],
                    "sha": sha, "deployment_id": a["deployment_id"], "started_at": iso(started),
                    "deployed_at": iso(a["deployed_at"]),
                    "lead_time_seconds": int((a["deployed_at"] - started).total_seconds()),
                    "pr_number": pr.number if pr is not None else None,
                    "coding_seconds": coding, "review_seconds": review,
                    "delivery_seconds": delivery,
                })  # fmt: skip
    _ISO_CACHE.clear()
    deployments.sort(key=lambda d: (d["repo"], d["created_at"], d["deployment_id"]))
    changes.sort(
        key=lambda c: (c["repo"], c["service"], c["environment"], c["deployed_at"], c["sha"])
    )
    return {
        "generated": {
            "seed": org.seed,
            "days": org.days,
            "end": org.end.date().isoformat(),
            "scale": org.scale,
        },  # fmt: skip
        "pipeline_adopted_at": iso(adopted_at),
        # the order acme/platform's team meant to release in by hand
        # (simulator.generator.release_habits)
        "release_order": {
            sim.repo.full_name: intended_order() for sim in world.sims if sim.kind == "platform"
        },
        "deployments": deployments,
        "changes": changes,
        "incidents": incidents,
    }


def _deployment_row(a: dict) -> dict:
    success = a["outcome"] == "success"
    counted_success = success and a["is_counted"]
    rework = counted_success and (
        a["is_rollback"] or a["ships_revert"] or a["ships_hotfix"] or a.get("restores_harm", False)
    )
    return {
        "repo": a["repo"], "source": a["source"], "deployment_id": a["deployment_id"],
        "environment_name": a["environment_name"], "environment": a["environment"],
        "service": a["service"], "sha": a["sha"], "outcome": a["outcome"],
        "created_at": iso(a["created_at"]), "deployed_at": iso(a["deployed_at"]),
        "failed_at": iso(a["failed_at"]), "is_counted": a["is_counted"],
        "is_redeploy": a["is_redeploy"], "is_retried": a["is_retried"],
        "is_rollback": a["is_rollback"], "is_rework": rework,
        "is_change_failure": bool(a["reasons"]) and a["is_counted"],
        "failure_reasons": sorted(a["reasons"]), "restored_at": iso(a["restored_at"]),
        "recovery_seconds": a["recovery_seconds"],
        "restored_by_deployment_id": a["restored_by"]["deployment_id"] if a["restored_by"] else None,
        "rolled_back_by": a["rolled_back_by"], "change_count": len(a["changes"]),
        "description": a["labels"][0] or None,
    }  # fmt: skip
