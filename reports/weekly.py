"""The weekly summary end to end: gather, render, and write a preview or send it."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from reports import render
from reports.charts import production_trend_png
from reports.figures import WeeklyFigures, default_week, gather_week, week_monday
from reports.mail import build_message, new_chart_cid, send_message
from reports.teams import file_stem, for_team, goals, teams_with_recipients
from settings.config import EmailSettings


@dataclass(frozen=True)
class WeeklyReport:
    """One week's summary in every form it leaves the program in."""

    figures: WeeklyFigures
    subject: str
    text: str
    html: str  # standalone page: the chart is a data: URI, so a browser shows it from disk
    message: EmailMessage  # the chart is a cid: part, as mail clients expect

    @property
    def week_start(self) -> date:
        return self.figures.week_start


def build_report(
    db: Path,
    email: EmailSettings,
    week: date | None = None,
    recipients: list[str] | None = None,
    with_chart: bool = True,
    environments: list[str] | None = None,
    team: str | None = None,
) -> WeeklyReport:
    """Build the summary of the ISO week containing `week` (default: the last complete one).

    `environments` are those detailed (default: development, staging, production); `team`:
    that team's email (its scopes and goals), else the organisation's (every goal).
    """
    week_start = week_monday(week) if week else default_week(db)
    figures = gather_week(db, week_start, environments)
    figures = for_team(db, figures, team) if team else replace(figures, goals=goals(db))
    chart = production_trend_png(figures.scopes) if with_chart else None
    cid = new_chart_cid() if chart else None
    text = render.render_text(figures, email.dashboard_url)
    subject = render.subject(figures)
    message = build_message(
        subject=subject,
        text=text,
        html_with_cid=render.render_html(
            figures, email.dashboard_url, f"cid:{cid}" if cid else None
        ),
        sender=email.sender,
        recipients=recipients if recipients else email.recipients,
        chart_png=chart,
        chart_cid=cid,
    )
    data_uri = f"data:image/png;base64,{base64.b64encode(chart).decode()}" if chart else None
    html = render.render_html(figures, email.dashboard_url, data_uri)
    return WeeklyReport(figures=figures, subject=subject, text=text, html=html, message=message)


def team_reports(
    db: Path, email: EmailSettings, week: date | None = None, environments: list[str] | None = None
) -> list[tuple[WeeklyReport, list[str]]]:
    """One report per team with recipients, each with those recipients."""
    return [
        (
            build_report(db, email, week, recipients, environments=environments, team=team),
            recipients,
        )  # fmt: skip
        for team, recipients in teams_with_recipients(db)
    ]


def write_preview(report: WeeklyReport, out_dir: Path) -> tuple[Path, Path]:
    """Write `<week>.eml` and `<week>.html` (atomically, so a reader never sees half a file)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(report.week_start.isoformat(), report.figures.team)
    eml, page = out_dir / f"{stem}.eml", out_dir / f"{stem}.html"
    for path, content in ((eml, report.message.as_bytes()), (page, report.html.encode("utf-8"))):
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(content)
        partial.replace(path)
    return eml, page


def send_report(
    report: WeeklyReport, email: EmailSettings, recipients: list[str] | None = None
) -> list[str]:
    """Deliver the summary; returns the recipients it went to."""
    to = recipients if recipients else email.recipients
    send_message(report.message, email, to)
    return to


def reports_dir(db: Path) -> Path:
    """Previews go beside the database: data/dora.duckdb -> data/reports/."""
    return db.parent / "reports"
