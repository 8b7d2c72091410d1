"""Workflow YAML of the default branch: the directory listing (ETag) plus changed files by blob sha."""

from __future__ import annotations

import base64
import binascii
import json

from ingest.client import NotFound
from ingest.store import utc_now
from ingest.streams.base import StreamContext, fetch
from ingest.workflow_yaml import parse_workflow

WORKFLOW_DIR = ".github/workflows"


def sync_workflow_files(ctx: StreamContext) -> None:
    """List `.github/workflows`; fetch only files whose blob sha changed; drop deleted ones."""
    try:
        page = fetch(ctx, ctx.url(f"/contents/{WORKFLOW_DIR}"))
    except NotFound:
        # No workflow directory: the repo has no workflows (any stored ones were deleted).
        ctx.commit(None, {}, deletes=[("workflow_files", "repo = ?", [ctx.repo])])
        return
    if not page.fresh:
        return
    entries = page.body if isinstance(page.body, list) else []
    files = [
        e
        for e in entries
        if isinstance(e, dict)
        and e.get("type") == "file"
        and str(e.get("name", "")).endswith((".yml", ".yaml"))
    ]
    stored = dict(
        ctx.store.query("select path, blob_sha from raw.workflow_files where repo = ?", [ctx.repo])
    )
    rows = []
    for entry in files:
        ctx.saw(1)
        if stored.get(entry["path"]) == entry.get("sha"):
            continue
        file_page = fetch(ctx, entry.get("url") or ctx.url(f"/contents/{entry['path']}"))
        text, error = _decode(file_page.body)
        definition, parse_error = parse_workflow(text) if error is None else (None, error)
        if parse_error:
            ctx.notes.append(f"{entry['path']}: {parse_error}")
        rows.append(
            {
                "repo": ctx.repo,
                "path": entry["path"],
                "blob_sha": entry.get("sha"),
                "content": text,
                "definition": json.dumps(definition) if definition is not None else None,
                "parse_error": parse_error,
                "fetched_at": utc_now(),
            }
        )
    gone = sorted(set(stored) - {e["path"] for e in files})
    deletes = [("workflow_files", "repo = ? and path = ?", [ctx.repo, path]) for path in gone]
    ctx.commit(page, {"workflow_files": rows}, deletes=deletes)


def _decode(body: object) -> tuple[str | None, str | None]:
    """The text of a Contents API file response (base64, wrapped every 60 characters)."""
    if not isinstance(body, dict) or body.get("encoding") != "base64":
        return None, "unexpected contents response (not a base64 file)"
    try:
        return base64.b64decode(body.get("content", "")).decode("utf-8"), None
    except (binascii.Error, UnicodeDecodeError) as exc:
        return None, f"undecodable file content: {exc}"
