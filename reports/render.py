"""The weekly summary as plain text and as HTML; every string from GitHub is escaped in HTML."""

from __future__ import annotations

import html
from typing import Any

from reports import formatting as fmt
from reports.figures import STUCK_AFTER_DAYS, ScopeTrend, WeeklyFigures

_GOOD, _BAD, _MUTED = "#1a7f37", "#cf222e", "#656d76"
_UP, _DOWN = "\u25b2 up", "\u25bc down"
_CELL = "padding:6px 10px;border-bottom:1px solid #d0d7de;vertical-align:top;text-align:left"
_HEAD = _CELL + ";background:#f6f8fa;font-weight:600"


def subject(figures: WeeklyFigures) -> str:
    """One line a lead can read in the inbox list."""
    production = [s for s in figures.scopes if s.environment == "production"]
    deployments = sum(s.current.deployments for s in production)
    failures = sum(1 for f in figures.change_failures if f["environment"] == "production")
    failure_text = f"{failures} change failure" + ("" if failures == 1 else "s")
    team = f" · {' '.join(figures.team.split())}" if figures.team else ""
    return (
        f"DORA weekly {fmt.week_label(figures.week_start)}{team}: "
        f"{deployments} production deployments, {failure_text}"
    )


def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str | None, text: str) -> str:
    """An escaped link; only http(s) URLs become links (no javascript: from GitHub data)."""
    if url and str(url).startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" style="color:#0969da">{_e(text)}</a>'
    return _e(text)


def _scope_name(row: Any) -> str:
    repo, service = (
        (row.repo, row.service) if isinstance(row, ScopeTrend) else (row["repo"], row["service"])
    )
    short_repo = repo.split("/")[-1]
    return repo if service == short_repo else f"{repo} · {service}"


def _others_line(figures: WeeklyFigures) -> str:
    others = figures.other_environments
    if not others.get("environments"):
        return ""
    return (
        f"Also {others['deployments']} deployments to {others['environments']} other environments "
        "(outside the promotion order, e.g. previews): see the dashboard."
    )


def orchestration_line(figures: WeeklyFigures) -> str | None:
    """The one mention of the proposed orchestrator: how many manual steps per release it removes."""
    found = figures.orchestration
    if not found:
        return None
    removed = found["removed"]
    return (
        f"Proposed orchestration: the release workflow `dora propose-pipeline --repo "
        f"{found['repo']}` writes would remove {removed:g} manual "
        f"step{'' if removed == 1 else 's'} per production release "
        f"({found['manual_runs_p50']:g} today, {found['with_proposal_p50']:g} with it, approvals "
        f"included; median of its {found['releases']} releases in the last four weeks)."
    )


def _data_quality_line(figures: WeeklyFigures) -> str:
    quality = figures.data_quality
    left_out = {k: v for k, v in quality.get("left_out", {}).items() if v}
    line = (
        f"Backed by {quality.get('attempts', 0)} deployment attempts and "
        f"{quality.get('changes', 0)} attributed changes this week, "
        f"across {quality.get('repos', 0)} repositories"
    )
    if figures.as_of:
        line += f"; data up to {fmt.timestamp(figures.as_of)}"
    history = quality.get("history", {})
    if history:
        parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in history.items())
        line += f". In all: {parts}"
    if left_out:
        parts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in left_out.items())
        line += f"; left out or estimated: {parts}"
    coverage = quality.get("history_coverage") or {}
    if coverage.get("repos") and coverage["complete"] < coverage["repos"]:
        since = coverage.get("partial_from")
        line += f". History complete for {coverage['complete']} of {coverage['repos']} repositories"
        if since:
            line += f"; the others from {fmt.timestamp(since)} on (older history still loading)"
        else:
            line += "; the others are still loading their first weeks"
    return line + "."


# --- Plain text ---


def render_text(figures: WeeklyFigures, dashboard_url: str) -> str:
    """The plain-text part: complete on its own, for clients that show no HTML."""
    out = [
        subject(figures),
        "=" * 72,
        "",
        _data_quality_line(figures),
        f"Dashboard: {dashboard_url}",
        "",
    ]
    out += [
        "Per service and environment (this week, change vs last week, 4-week trend oldest first)",
        "",
    ]
    if not figures.scopes:
        out.append("  No deployments in the last four weeks.")
    for scope in figures.scopes:
        out.append(f"{_scope_name(scope)} / {scope.environment}")
        for metric in fmt.METRICS:
            values = [getattr(week, metric.field) for week in scope.weeks]
            delta = metric.delta(values[-1], values[-2])
            out.append(
                f"  {metric.label:<26}{metric.show(values[-1]):>10}  "
                f"{'(' + delta + ' vs last week)' if delta else '':<27}"
                f"trend {fmt.trend(values, metric.show)}"
            )
        out.append("")
    if _others_line(figures):
        out += [_others_line(figures), ""]
    if figures.goals:
        out += ["Goals (latest complete period)", ""]
        out += [f"  {fmt.goal_line(goal)}" for goal in figures.goals] + [""]
    out += ["DORA level crossings (production)", ""]
    out += [
        f"  {'UP  ' if c.improved else 'DOWN'} {c.repo} · {c.service}: {c.metric} "
        f"{c.previous_level} -> {c.level}"
        for c in figures.level_crossings
    ] or ["  None this week."]
    out += ["", "Change failures", ""]
    for f in figures.change_failures:
        recovery = (
            fmt.duration(f["recovery_seconds"])
            if f["recovery_seconds"] is not None
            else "still open"
        )
        out.append(
            f"  {_scope_name(f)} / {f['environment']} {fmt.short_sha(f['sha'])} at "
            f"{fmt.timestamp(f['failure_start'])}: {fmt.reasons(f['failure_reasons'])}; recovery {recovery}"
        )
        if f.get("run_url"):
            out.append(f"    {f['run_url']}")
    if not figures.change_failures:
        out.append("  None this week.")
    out += ["", "Slowest changes to production", ""]
    for c in figures.slowest_changes:
        out.append(
            f"  {fmt.duration(c['lead_time_seconds']):>8}  {_scope_name(c)} "
            f"{fmt.short_sha(c['sha'])} {c.get('message_headline') or ''}"
            + (f" (@{c['author_login']})" if c.get("author_login") else "")
        )
        stages = _stages_text(c)
        if stages:
            out.append(f"            {stages}")
        url = c.get("pr_url") or c.get("commit_url")
        if url:
            out.append(f"            {url}")
    if not figures.slowest_changes:
        out.append("  No changes reached production this week.")
    out += ["", f"Promotions stuck in staging (more than {STUCK_AFTER_DAYS} days)", ""]
    for p in figures.stuck_promotions:
        out.append(
            f"  {_scope_name(p)} {fmt.short_sha(p['sha'])} in staging since "
            f"{fmt.timestamp(p['staging_at'])} ({fmt.duration(p['waiting_seconds'])}) "
            f"{p.get('message_headline') or ''}".rstrip()
        )
    out += _more_line(figures.stuck_promotions_total, len(figures.stuck_promotions), "  ")
    if not figures.stuck_promotions:
        out.append("  None.")
    out += ["", "Deployments started by hand", ""]
    for d in figures.manual_deployments:
        out.append(
            f"  {_scope_name(d)} / {d['environment']} {fmt.short_sha(d['sha'])} "
            f"{d['outcome']} at {fmt.timestamp(d['happened_at'])}"
            + (f"  {d['run_url']}" if d.get("run_url") else "")
        )
    if not figures.manual_deployments:
        out.append("  None this week.")
    if orchestration_line(figures):
        out += ["", orchestration_line(figures)]
    out += ["", f"Open the dashboard: {dashboard_url}", ""]
    return "\n".join(out)


def _more_line(total: int, shown: int, indent: str) -> list[str]:
    return [f"{indent}... and {total - shown} more (see the dashboard)"] if total > shown else []


def _stages_text(change: dict[str, Any]) -> str:
    stages = [(name, change.get(f"{name}_seconds")) for name in ("coding", "review", "delivery")]
    return ", ".join(f"{name} {fmt.duration(s)}" for name, s in stages if s is not None)


# --- HTML ---


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f'<th style="{_HEAD}">{h}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in row) + "</tr>" for row in rows
    )
    return (
        '<table role="presentation" cellspacing="0" cellpadding="0" '
        f'style="border-collapse:collapse;font-size:13px;margin:0 0 8px 0"><tr>{head}</tr>{body}</table>'
    )


def _metric_cell(scope: ScopeTrend, metric: fmt.Metric) -> str:
    values = [getattr(week, metric.field) for week in scope.weeks]
    current, previous = values[-1], values[-2]
    delta = metric.delta(current, previous)
    colour = {1: _GOOD, -1: _BAD, 0: _MUTED}[metric.verdict(current, previous)]
    parts = [f"<strong>{_e(metric.show(current))}</strong>"]
    if delta:
        sign = "" if current == previous else ("\u25b2" if current > previous else "\u25bc")
        parts.append(f'<br><span style="color:{colour}">{sign} {_e(delta)}</span>')
    parts.append(
        f'<br><span style="color:{_MUTED};font-size:11px">{_e(fmt.trend(values, metric.show))}</span>'
    )
    return "".join(parts)


def _section(title: str, body: str) -> str:
    return f'<h2 style="font-size:16px;margin:24px 0 8px 0">{_e(title)}</h2>{body}'


def _none(text: str) -> str:
    return f'<p style="color:{_MUTED};margin:0">{_e(text)}</p>'


def render_html(figures: WeeklyFigures, dashboard_url: str, chart_src: str | None = None) -> str:
    """The HTML part: inline styles only (mail clients drop <style>), readable with images blocked."""
    scope_rows = [
        [_e(_scope_name(s)), _e(s.environment)] + [_metric_cell(s, m) for m in fmt.METRICS]
        for s in figures.scopes
    ]
    sections = [
        f'<h1 style="font-size:20px;margin:0 0 4px 0">{_e(subject(figures))}</h1>',
        f'<p style="color:{_MUTED};margin:0 0 8px 0" id="data-quality">{_e(_data_quality_line(figures))}</p>',
        f'<p style="margin:0 0 16px 0">{_link(dashboard_url, "Open the dashboard")}</p>',
        _section(
            "Per service and environment",
            (
                _table(["Service", "Environment"] + [m.label for m in fmt.METRICS], scope_rows)
                + f'<p style="color:{_MUTED};font-size:11px;margin:0">This week, change against '
                "last week, and the four-week trend (oldest first).</p>"
                + (_none(_others_line(figures)) if _others_line(figures) else "")
            )
            if scope_rows
            else _none("No deployments in the last four weeks."),
        ),
    ]
    if chart_src:
        sections.append(
            f'<img src="{_e(chart_src)}" width="640" alt="Production deployments and lead time per '
            'week, last four weeks (the same figures are in the table above)" '
            'style="display:block;margin:12px 0;max-width:100%">'
        )
    crossings = [
        [
            f'<span style="color:{_GOOD if c.improved else _BAD}">{_UP if c.improved else _DOWN}</span>',
            _e(f"{c.repo} · {c.service}"),
            _e(c.metric),
            _e(f"{c.previous_level} \u2192 {c.level}"),
        ]
        for c in figures.level_crossings
    ]
    if figures.goals:
        colours = {"met": _GOOD, "missed": _BAD}
        goal_rows = [
            [
                f'<span style="color:{colours.get(g["status"], _MUTED)}">{_e(g["status"])}</span>',
                _e(g["team"]),
                _e(g["goal"]),
                _e("" if g["status"] == "no data" else fmt.goal_value(g["metric"], g["value"])),
                _e(g.get("no_data_reason") or f"{g['streak']} in a row"),
            ]
            for g in figures.goals
        ]
        sections.append(_section("Goals (latest complete period)", _table(["Status", "Team", "Goal", "Value", "Streak"], goal_rows)))  # fmt: skip
    sections.append(
        _section(
            "DORA level crossings (production)",
            _table(["", "Service", "Metric", "Level"], crossings)
            if crossings
            else _none("None this week."),
        )
    )
    failures = [
        [
            _e(f"{_scope_name(f)} / {f['environment']}"),
            _link(f.get("run_url") or f.get("commit_url"), fmt.short_sha(f["sha"])),
            _e(fmt.timestamp(f["failure_start"])),
            _e(fmt.reasons(f["failure_reasons"])),
            _e(fmt.duration(f["recovery_seconds"]))
            if f["recovery_seconds"] is not None
            else f'<span style="color:{_BAD}">still open</span>',
        ]
        for f in figures.change_failures
    ]
    sections.append(
        _section(
            "Change failures",
            _table(["Where", "Deployment", "Failed at", "Reasons", "Recovery"], failures)
            if failures
            else _none("None this week."),
        )
    )
    slow = [
        [
            _e(fmt.duration(c["lead_time_seconds"])),
            _e(_scope_name(c)),
            _link(c.get("commit_url"), fmt.short_sha(c["sha"]))
            + " "
            + _e(c.get("message_headline") or "")
            + (
                f'<br><span style="color:{_MUTED}">@{_e(c["author_login"])}</span>'
                if c.get("author_login")
                else ""
            ),
            _link(c.get("pr_url"), f"#{c['pr_number']} {c.get('pr_title') or ''}".strip())
            if c.get("pr_number") is not None
            else "",
            _e(_stages_text(c)),
        ]
        for c in figures.slowest_changes
    ]
    sections.append(
        _section(
            "Slowest changes to production",
            _table(["Lead time", "Service", "Commit", "Pull request", "Stages"], slow)
            if slow
            else _none("No changes reached production this week."),
        )
    )
    stuck = [
        [
            _e(_scope_name(p)),
            _link(p.get("commit_url"), fmt.short_sha(p["sha"]))
            + " "
            + _e(p.get("message_headline") or ""),
            _e(fmt.timestamp(p["staging_at"])),
            _e(fmt.duration(p["waiting_seconds"])),
        ]
        for p in figures.stuck_promotions
    ]
    more = _more_line(figures.stuck_promotions_total, len(figures.stuck_promotions), "")
    sections.append(
        _section(
            f"Promotions stuck in staging (more than {STUCK_AFTER_DAYS} days)",
            (
                _table(["Service", "Change", "In staging since", "Waiting"], stuck)
                + "".join(_none(m) for m in more)
            )
            if stuck
            else _none("None."),
        )
    )
    manual = [
        [
            _e(f"{_scope_name(d)} / {d['environment']}"),
            _link(d.get("run_url"), fmt.short_sha(d["sha"])),
            _e(d["outcome"]),
            _e(fmt.timestamp(d["happened_at"])),
        ]
        for d in figures.manual_deployments
    ]
    sections.append(
        _section(
            "Deployments started by hand",
            _table(["Where", "Deployment", "Outcome", "At"], manual)
            if manual
            else _none("None this week."),
        )
    )
    if orchestration_line(figures):
        sections.append(f'<p style="margin:16px 0 0 0" id="orchestration">{_e(orchestration_line(figures))}</p>')  # fmt: skip
    sections.append(
        f'<p style="margin:24px 0 0 0">{_link(dashboard_url, "Open the dashboard")} for every deployment and change behind these numbers.</p>'
    )
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(subject(figures))}</title></head>"
        '<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,'
        'sans-serif;color:#1f2328;background:#ffffff">'
        f'<div style="max-width:960px">{body}</div></body></html>\n'
    )
