"""`dora alerts`: send what is due now, `--dry-run` to see it first, `--test` to try each channel."""

from __future__ import annotations

from pathlib import Path

from alerts.cycle import deliver, dry_run, send_test
from settings.config import Settings


def run_alerts(db: Path, settings: Settings, dry: bool, test: bool) -> tuple[list[str], int]:
    """The lines to print and the exit code (1 when a channel failed)."""
    if test:
        results = send_test(settings)
        if not results:
            return ["No channel is configured: see `dora alerts --dry-run`."], 1
        lines = [f"{channel}: {'sent' if error is None else 'failed: ' + error}" for channel, error in results]  # fmt: skip
        return lines, int(any(error for _, error in results))
    if not db.exists():
        return [f"{db}: no such database; run `dora ingest` and `dora build` first"], 1
    if dry:
        return dry_run(db, settings), 0
    report = deliver(db, settings)
    lines = [f"sent {key} to {channel}" for key, channel in report.sent]
    lines += [f"failed {key} on {channel}: {error}" for key, channel, error in report.failed]
    return lines or ["Nothing due."], int(bool(report.failed))
