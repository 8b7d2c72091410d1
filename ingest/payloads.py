"""GitHub payload dicts -> typed rows of the raw tables (the original JSON is kept in `payload`).

A payload missing what a row cannot do without (its id, a parseable timestamp) raises
`MalformedItem`; the stream skips it, logs it and counts it in `raw.skipped_items`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


class MalformedItem(ValueError):
    """An item that cannot become a row; `key` names it for raw.skipped_items."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def item_key(item: Any) -> str:
    """A stable name for an item, even a broken one."""
    if isinstance(item, dict):
        for field in ("id", "sha", "number", "name"):
            if item.get(field) is not None:
                return str(item[field])
    return json.dumps(item, sort_keys=True, default=str)[:200]


def timestamp(value: Any, field: str = "timestamp", key: str = "?") -> datetime | None:
    """An ISO 8601 string (any offset) as naive UTC; None stays None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedItem(key, f"{field} is not a timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedItem(key, f"{field} is not a timestamp: {value!r}") from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. year 1 with a positive offset is before datetime.min in UTC
            raise MalformedItem(key, f"{field} is out of range: {value!r}") from None
    return parsed


def dump(item: dict) -> str:
    """The original JSON, compact; key order as received so an unchanged item compares equal."""
    return json.dumps(item, separators=(",", ":"), ensure_ascii=False)


class _Reader:
    """Typed access to one payload; every failure names the item and the field."""

    def __init__(self, item: Any, id_field: str = "id") -> None:
        if not isinstance(item, dict):
            raise MalformedItem(item_key(item), f"expected an object, got {type(item).__name__}")
        self.item = item
        self.key = item_key(item)
        self.id_field = id_field

    def int(self, field: str, required: bool = False) -> int | None:
        value = self.item.get(field)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise MalformedItem(self.key, f"{field} is not an integer: {value!r}")
        if not _BIGINT_MIN <= value <= _BIGINT_MAX:  # the raw store would reject the whole page
            raise MalformedItem(self.key, f"{field} is out of the BIGINT range: {value!r}")
        return value

    def str(self, field: str, required: bool = False) -> str | None:
        value = self.item.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise MalformedItem(self.key, f"{field} is not a string: {value!r}")
        return value

    def bool(self, field: str) -> bool | None:
        value = self.item.get(field)
        return value if isinstance(value, bool) else None

    def ts(self, field: str, required: bool = False) -> datetime | None:
        value = self.item.get(field)
        if value is None and required:
            raise MalformedItem(self.key, f"{field} is missing")
        return timestamp(value, field, self.key)

    def login(self, field: str) -> str | None:
        value = self.item.get(field)
        return value.get("login") if isinstance(value, dict) else None

    def nested(self, *path: str) -> Any:
        value: Any = self.item
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value


def repository_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "repo_id": r.int("id", required=True),
        "full_name": r.str("full_name"),
        "default_branch": r.str("default_branch"),
        "archived": r.bool("archived"),
        "private": r.bool("private"),
        "html_url": r.str("html_url"),
        "created_at": r.ts("created_at"),
        "pushed_at": r.ts("pushed_at"),
        "payload": dump(item),
    }


def workflow_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "workflow_id": r.int("id", required=True),
        "name": r.str("name"),
        "path": r.str("path"),
        "state": r.str("state"),
        "html_url": r.str("html_url"),
        "created_at": r.ts("created_at"),
        "updated_at": r.ts("updated_at"),
        "payload": dump(item),
    }


def workflow_run_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "run_id": r.int("id", required=True),
        "run_attempt": r.int("run_attempt") or 1,
        "workflow_id": r.int("workflow_id"),
        "name": r.str("name"),
        "path": r.str("path"),
        "event": r.str("event"),
        "status": r.str("status"),
        "conclusion": r.str("conclusion"),
        "head_sha": r.str("head_sha"),
        "head_branch": r.str("head_branch"),
        "actor_login": r.login("actor"),
        "triggering_actor_login": r.login("triggering_actor"),
        "run_number": r.int("run_number"),
        "display_title": r.str("display_title"),
        "created_at": r.ts("created_at", required=True),
        "run_started_at": r.ts("run_started_at"),
        "updated_at": r.ts("updated_at"),
        "html_url": r.str("html_url"),
        "payload": dump(item),
    }


def workflow_job_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "job_id": r.int("id", required=True),
        "run_id": r.int("run_id", required=True),
        "run_attempt": r.int("run_attempt") or 1,
        "name": r.str("name"),
        "status": r.str("status"),
        "conclusion": r.str("conclusion"),
        "head_sha": r.str("head_sha"),
        "created_at": r.ts("created_at"),
        "started_at": r.ts("started_at"),
        "completed_at": r.ts("completed_at"),
        "html_url": r.str("html_url"),
        "payload": dump(item),
    }


def deployment_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "deployment_id": r.int("id", required=True),
        "sha": r.str("sha"),
        "ref": r.str("ref"),
        "task": r.str("task"),
        "environment": r.str("environment"),
        "original_environment": r.str("original_environment"),
        "description": r.str("description"),
        "creator_login": r.login("creator"),
        "transient_environment": r.bool("transient_environment"),
        "production_environment": r.bool("production_environment"),
        "created_at": r.ts("created_at", required=True),
        "updated_at": r.ts("updated_at"),
        "payload": dump(item),
    }


def deployment_status_row(repo: str, deployment_id: int, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "status_id": r.int("id", required=True),
        "deployment_id": deployment_id,
        "state": r.str("state"),
        "description": r.str("description"),
        "environment": r.str("environment"),
        "log_url": r.str("log_url"),
        "target_url": r.str("target_url"),
        "created_at": r.ts("created_at", required=True),
        "updated_at": r.ts("updated_at"),
        "payload": dump(item),
    }


def environment_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    rules = item.get("protection_rules")
    return {
        "repo": repo,
        "environment_id": r.int("id", required=True),
        "name": r.str("name"),
        "html_url": r.str("html_url"),
        "created_at": r.ts("created_at"),
        "updated_at": r.ts("updated_at"),
        "protection_rules": json.dumps(rules) if rules is not None else None,
        "payload": dump(item),
    }


def commit_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    sha = r.str("sha", required=True)
    commit = item.get("commit")
    if not isinstance(commit, dict):
        raise MalformedItem(sha, "commit is missing")
    author = commit.get("author") or {}
    committer = commit.get("committer") or {}
    parents = item.get("parents") or []
    return {
        "repo": repo,
        "sha": sha,
        "parents": [p["sha"] for p in parents if isinstance(p, dict) and "sha" in p],
        "author_name": author.get("name"),
        "author_email": author.get("email"),
        "author_login": r.login("author"),
        "author_date": timestamp(author.get("date"), "commit.author.date", sha),
        "committer_name": committer.get("name"),
        "committer_email": committer.get("email"),
        "committer_date": timestamp(committer.get("date"), "commit.committer.date", sha),
        "message": commit.get("message"),
        "html_url": r.str("html_url"),
        "payload": dump(item),
    }


def pull_request_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "number": r.int("number", required=True),
        "pr_id": r.int("id"),
        "title": r.str("title"),
        "state": r.str("state"),
        "user_login": r.login("user"),
        "head_ref": r.nested("head", "ref"),
        "base_ref": r.nested("base", "ref"),
        "head_sha": r.nested("head", "sha"),
        "merge_commit_sha": r.str("merge_commit_sha"),
        "labels": _label_names(item),
        "created_at": r.ts("created_at"),
        "updated_at": r.ts("updated_at", required=True),
        "closed_at": r.ts("closed_at"),
        "merged_at": r.ts("merged_at"),
        "html_url": r.str("html_url"),
        "payload": dump(item),
    }


def pull_request_commit_row(repo: str, pr_number: int, item: Any) -> dict:
    row = commit_row(repo, item)
    return {
        "repo": repo,
        "pr_number": pr_number,
        "sha": row["sha"],
        "author_date": row["author_date"],
        "committer_date": row["committer_date"],
        "message": row["message"],
        "payload": row["payload"],
    }


def issue_row(repo: str, item: Any) -> dict:
    r = _Reader(item)
    return {
        "repo": repo,
        "number": r.int("number", required=True),
        "issue_id": r.int("id"),
        "title": r.str("title"),
        "state": r.str("state"),
        "state_reason": r.str("state_reason"),
        "user_login": r.login("user"),
        "labels": _label_names(item),
        "created_at": r.ts("created_at"),
        "updated_at": r.ts("updated_at", required=True),
        "closed_at": r.ts("closed_at"),
        "html_url": r.str("html_url"),
        "payload": dump(item),
    }


def _label_names(item: dict) -> list[str]:
    labels = item.get("labels") or []
    return [
        label["name"] if isinstance(label, dict) else str(label)
        for label in labels
        if isinstance(label, str) or (isinstance(label, dict) and "name" in label)
    ]


def rows_or_skips(
    items: list[Any], to_row: Callable[[Any], dict]
) -> tuple[list[dict], list[MalformedItem]]:
    """Convert every item; malformed ones come back separately instead of raising."""
    rows: list[dict] = []
    skipped: list[MalformedItem] = []
    for item in items:
        try:
            rows.append(to_row(item))
        except MalformedItem as exc:
            skipped.append(exc)
        except (TypeError, AttributeError, KeyError, OverflowError) as exc:
            skipped.append(MalformedItem(item_key(item), f"{type(exc).__name__}: {exc}"))
    return rows, skipped
