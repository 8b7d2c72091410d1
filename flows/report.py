"""Prefect flow `weekly-report`: build the week's summary from the snapshot, keep a preview, send it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task

from settings.config import load_settings
from settings.paths import DEFAULT_DB


@task
def write_and_send(
    db: str, config: str | None, week: str | None, send: bool, to: list[str] | None
) -> dict[str, str]:
    """Render the week, write `<week>.eml`/`.html` beside the database, and deliver it if asked."""
    from reports.weekly import build_report, reports_dir, send_report, team_reports, write_preview

    logger = get_run_logger()
    settings = load_settings(config)
    report = build_report(
        Path(db),
        settings.email,
        week=date.fromisoformat(week) if week else None,
        recipients=to,
        environments=settings.environments.promotion_order,
    )
    eml, page = write_preview(report, reports_dir(Path(db)))
    logger.info("%s: wrote %s and %s", report.subject, eml, page)
    outcome = {"week": report.week_start.isoformat(), "subject": report.subject, "html": str(page)}
    recipients = to or settings.email.recipients
    if not send:
        return outcome
    if not recipients:
        logger.warning("email.recipients is empty: the report was written but not sent")
        return outcome
    send_report(report, settings.email, recipients)
    logger.info("sent to %s", ", ".join(recipients))
    if not to:  # each team's own email to its recipients
        for team_report, team_recipients in team_reports(
            Path(db), settings.email, report.week_start, settings.environments.promotion_order
        ):
            send_report(team_report, settings.email, team_recipients)
            logger.info("%s: sent to %s", team_report.subject, ", ".join(team_recipients))
    return {**outcome, "sent_to": ", ".join(recipients)}


@flow(name="weekly-report")
def weekly_report(
    db: str = str(DEFAULT_DB),
    config: str | None = None,
    week: str | None = None,
    send: bool = True,
    to: list[str] | None = None,
) -> dict[str, str]:
    """The weekly email of the last complete ISO week (or of `week`, any day YYYY-MM-DD in it)."""
    return write_and_send(db, config, week, send, to)
