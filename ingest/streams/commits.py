"""Commits of the default branch since cursor - look-back, plus compare ranges of off-branch deploys.

The cursor is the newest committer date seen; the list is newest first, so it commits with the
last page. Deployed shas (of deployments and of deploy-rule runs) that are neither in raw.commits
nor compared before are looked up with `compare/{default_branch}...{sha}`: the commits ahead of
the default branch are stored like any other, and the outcome in raw.compared_shas, so a sha is
compared once. A deepen pass (`ingest.history`) lists the commits of its older slice with
`since` and `until`; the cursor stays where the regular sync put it.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from urllib.parse import quote

from ingest.client import GitHubError, NotFound
from ingest.payloads import commit_row, rows_or_skips, timestamp
from ingest.store import utc_now
from ingest.streams.base import StreamContext, pages
from ingest.streams.incremental import COMMITS
from ingest.streams.jobs import DeployRuleMatcher

# Compares are small (a deploy is usually a commit or two ahead) and a transaction costs DuckDB
# about 40 ms whatever its size, so they are stored in batches; a crash repeats at most one batch.
COMPARES_PER_TRANSACTION = 50


def sync_commits(ctx: StreamContext) -> None:
    """Default-branch commits, then compare ranges for deployed shas not on it."""
    branch = ctx.repository()["default_branch"]
    if branch:
        if ctx.until is not None:
            _older_branch_commits(ctx, branch)
        else:
            _branch_commits(ctx, branch)
        _compare_deployed_shas(ctx, branch)


def _branch_commits(ctx: StreamContext, branch: str) -> None:
    cursor, _ = ctx.store.state(ctx.repo, "commits")
    since = COMMITS.lower_bound(cursor, ctx)
    params = {"sha": branch}
    if since is not None:
        params["since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = cursor
    try:
        for page in pages(ctx, ctx.url("/commits", ctx.list_params(**params))):
            rows, skipped = rows_or_skips(page.items, partial(commit_row, ctx.repo))
            dates = [r["committer_date"] for r in rows if r["committer_date"]]
            if page.fresh and dates:
                newest = max(filter(None, [newest, *dates]))
            elif not page.fresh and page.summary.get("newest_commit"):
                newest = max(filter(None, [newest, timestamp(page.summary["newest_commit"])]))
            if page.fresh and dates:
                page.summary["newest_commit"] = max(dates).strftime("%Y-%m-%dT%H:%M:%SZ")
            last = page.next_url is None
            if page.fresh or last:
                ctx.commit(page, {"commits": rows}, skipped, state=(newest, {}) if last else None)
    except GitHubError as exc:
        if exc.status != 409:  # 409: the repository is empty
            raise


def _older_branch_commits(ctx: StreamContext, branch: str) -> None:
    """A deepen pass (`ingest.history`): the commits of `[since, until]`; the cursor stays."""
    params = {"sha": branch, "until": ctx.until.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if ctx.since is not None:
        params["since"] = ctx.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        for page in pages(ctx, ctx.url("/commits", ctx.list_params(**params))):
            if page.fresh:
                rows, skipped = rows_or_skips(page.items, partial(commit_row, ctx.repo))
                ctx.commit(page, {"commits": rows}, skipped)
    except GitHubError as exc:
        if exc.status != 409:  # 409: the repository is empty
            raise


def _compare_deployed_shas(ctx: StreamContext, branch: str) -> None:
    shas = deployed_shas_to_compare(ctx)
    batch: list[tuple[list[dict], list, dict]] = []
    try:
        for sha in shas:
            batch.append(_compare(ctx, branch, sha))
            if len(batch) == COMPARES_PER_TRANSACTION:
                full, batch = batch, []
                _store_compares(ctx, full)
    finally:  # what was compared before an error is kept
        _store_compares(ctx, batch)


def deployed_shas_to_compare(ctx: StreamContext) -> list[str]:
    """Shas of deployments and of deploy-rule runs that are neither stored commits nor compared.

    Only those deployed since `ctx.since`: the commits listed so far reach back that far, so an
    older deployment's sha may well be on the default branch, listed by a deeper pass.
    """
    unknown = (
        "{alias}.repo = ? and {alias}.{sha} is not null and not exists (select 1 from raw.commits c "
        "where c.repo = {alias}.repo and c.sha = {alias}.{sha}) and not exists (select 1 from "
        "raw.compared_shas x where x.repo = {alias}.repo and x.sha = {alias}.{sha}) "
        "and {alias}.created_at >= ?"
    )
    since = ctx.since or datetime.min
    shas = {
        sha
        for (sha,) in ctx.store.query(
            "select distinct d.sha from raw.deployments d where "
            + unknown.format(alias="d", sha="sha"),
            [ctx.repo, since],
        )
    }
    rules = DeployRuleMatcher(ctx.settings)
    if rules:  # a rule-matched run is a deployment of its head sha (models: from_deploy_rules)
        shas.update(
            sha
            for sha, path, name in ctx.store.query(
                "select distinct r.head_sha, r.path, r.name from raw.workflow_runs r where "
                + unknown.format(alias="r", sha="head_sha"),
                [ctx.repo, since],
            )
            if rules.matches(path, name)
        )
    return sorted(shas)


def _compare(ctx: StreamContext, branch: str, sha: str) -> tuple[list[dict], list, dict]:
    """The commits of `sha` ahead of `branch`, skipped items, and the outcome row."""
    url = ctx.url(f"/compare/{quote(branch, safe='')}...{sha}", ctx.list_params())
    outcome = {"repo": ctx.repo, "sha": sha, "base_ref": branch, "fetched_at": utc_now()}
    rows: list[dict] = []
    bad = []
    try:
        for page in pages(ctx, url):
            body = page.body if isinstance(page.body, dict) else {}
            if "status" in body:
                outcome.update(
                    status=body.get("status"),
                    ahead_by=body.get("ahead_by"),
                    behind_by=body.get("behind_by"),
                    merge_base_sha=(body.get("merge_base_commit") or {}).get("sha"),
                )
            good, skipped = rows_or_skips(body.get("commits") or [], partial(commit_row, ctx.repo))
            rows.extend(good)
            bad.extend(skipped)
    except NotFound:
        outcome["status"] = "not_found"
    return rows, bad, outcome


def _store_compares(ctx: StreamContext, batch: list[tuple[list[dict], list, dict]]) -> None:
    if batch:
        ctx.commit(
            None,
            {
                "commits": [row for rows, _, _ in batch for row in rows],
                "compared_shas": [outcome for _, _, outcome in batch],
            },
            [item for _, bad, _ in batch for item in bad],
        )
