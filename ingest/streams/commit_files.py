"""The files each commit changed, for repositories with `[[services]]` path rules (monorepos).

A commit's files decide which services' changes it belongs to (models: `int_commits__services`).
GitHub lists them only per commit: `GET /commits/{sha}` (300 files a page, at most 3,000).
GraphQL's `Commit` has a count of changed files but no list, and a compare lists the files of a
whole range together, not per commit. So this stream costs one request per commit (one more per
further 300 files), and it is spent only where it buys something:
- only for repositories with path rules (for the others it sends nothing);
- only for non-merge commits (a merge commit is never a change; the pull request's own commits
  are, and each is asked for);
- once per commit (`FetchedOnce`): files never change, so a commit with a row is never asked
  again, and the commits still without a row are the stream's cursor. Rules added for a
  repository fetch the files of its stored commits on the next sync.
Newest commits first, so a sync stopped by `--max-wait` has the files of the recent changes.
Rows commit in batches; a killed run loses at most one batch and the re-run asks for the rest.
"""

from __future__ import annotations

from typing import Any

from ingest.client import GitHubError, NotFound
from ingest.payloads import MalformedItem, dump
from ingest.streams.base import StreamContext, pages
from ingest.streams.incremental import COMMIT_FILES

# A transaction costs DuckDB about 40 ms whatever its size; a crash repeats at most one batch.
COMMITS_PER_TRANSACTION = 50
GONE = (404, 422)  # GitHub answers 422 "No commit found for SHA" for a sha it no longer has


def has_path_rules(ctx: StreamContext) -> bool:
    """Whether `[[services]]` names this repository (compared lower-case, as GitHub does)."""
    return any(rule.repo == ctx.repo.lower() for rule in ctx.settings.services)


def commits_without_files(ctx: StreamContext) -> list[str]:
    """Stored non-merge commits of the repo with no `raw.commit_files` row, newest first."""
    return [
        sha
        for (sha,) in ctx.store.query(
            f"select c.sha from raw.{COMMIT_FILES.parent_table} c where c.repo = ? "
            "and len(coalesce(c.parents, [])) <= 1 and not exists (select 1 from "
            f"raw.{COMMIT_FILES.table} f where f.repo = c.repo and f.sha = c.sha) "
            "order by c.committer_date desc nulls last, c.sha",
            [ctx.repo],
        )
    ]


def sync_commit_files(ctx: StreamContext) -> None:
    """The files of every commit that needs them, stored `COMMITS_PER_TRANSACTION` at a time."""
    if not has_path_rules(ctx):
        return
    batch: list[dict] = []
    skipped: list[MalformedItem] = []
    try:
        for sha in commits_without_files(ctx):
            row, bad = commit_files_row(ctx, sha)
            batch.append(row)
            skipped.extend(bad)
            if len(batch) == COMMITS_PER_TRANSACTION:
                ctx.commit(None, {COMMIT_FILES.table: batch}, skipped)
                batch, skipped = [], []
    finally:  # the commits read before an error or a stop are kept
        if batch:
            ctx.commit(None, {COMMIT_FILES.table: batch}, skipped)


def commit_files_row(ctx: StreamContext, sha: str) -> tuple[dict[str, Any], list[MalformedItem]]:
    """`GET /commits/{sha}`, every page of its files, as one row (and any malformed file)."""
    row: dict[str, Any] = {"repo": ctx.repo, "sha": sha, "status": "ok"}
    files: list[dict] = []
    bad: list[MalformedItem] = []
    try:
        for page in pages(ctx, ctx.url(f"/commits/{sha}")):
            listed = page.body.get("files") if isinstance(page.body, dict) else None
            if not isinstance(listed, list):
                bad.append(MalformedItem(sha, "commit without a `files` list"))
                row["status"] = "malformed"
                break
            for item in listed:
                if isinstance(item, dict) and isinstance(item.get("filename"), str):
                    files.append(item)
                else:
                    bad.append(MalformedItem(f"{sha}:{str(item)[:80]}", "file without a name"))
    except NotFound:
        row["status"] = "not_found"
    except GitHubError as exc:
        if exc.status not in GONE:
            raise
        row["status"] = "not_found"
    if row["status"] != "ok":
        return {**row, "paths": None, "file_count": None, "payload": None}, bad
    return files_row(ctx.repo, sha, files), bad


def files_row(repo: str, sha: str, files: list[dict]) -> dict[str, Any]:
    """The row of a commit whose files GitHub listed (each a dict with a `filename`)."""
    paths: dict[str, None] = {}  # ordered and unique
    for item in files:
        paths[item["filename"]] = None
        if isinstance(item.get("previous_filename"), str):  # a rename touches both places
            paths[item["previous_filename"]] = None
    kept = ("filename", "status", "previous_filename", "additions", "deletions")
    listing = [{k: item[k] for k in kept if k in item} for item in files]  # patches left out
    return {"repo": repo, "sha": sha, "status": "ok", "paths": list(paths),
            "file_count": len(files), "payload": dump(listing)}  # fmt: skip
