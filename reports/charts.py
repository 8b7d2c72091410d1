"""The email's inline chart: Altair rendered to PNG by vl-convert (no browser needed)."""

from __future__ import annotations

import logging

from reports.figures import ScopeTrend

log = logging.getLogger("dora.reports")


def production_trend_png(scopes: list[ScopeTrend]) -> bytes | None:
    """Deployments and lead time p50 per production service over the trend weeks; None if no chart.

    The chart only repeats figures of the table, so any failure to draw it leaves the email whole.
    """
    rows = [
        {
            "service": scope.repo
            if scope.repo.endswith("/" + scope.service)
            else f"{scope.repo} · {scope.service}",
            "week": week.week_start.isoformat(),
            "deployments": week.deployments,
            "lead_time_hours": None
            if week.lead_time_p50_seconds is None
            else round(week.lead_time_p50_seconds / 3600, 2),
        }
        for scope in scopes
        if scope.environment == "production"
        for week in scope.weeks
    ]
    if not rows:
        return None
    try:
        import altair as alt
        import vl_convert

        data = alt.Data(values=rows)
        base = alt.Chart(data).encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%d %b", tickCount="week")),
            color=alt.Color("service:N", title="Service", legend=alt.Legend(orient="bottom")),
        )
        deployments = base.mark_line(point=True).encode(
            y=alt.Y("deployments:Q", title="Deployments per week")
        )
        lead_time = base.mark_line(point=True).encode(
            y=alt.Y("lead_time_hours:Q", title="Lead time p50 (hours)")
        )
        chart = alt.hconcat(
            deployments.properties(width=260, height=140, title="Production deployments"),
            lead_time.properties(width=260, height=140, title="Production lead time p50"),
        ).configure_view(strokeWidth=0)
        return vl_convert.vegalite_to_png(chart.to_json(), scale=2)
    except Exception as exc:  # the email must go out without its picture rather than not at all
        log.warning("weekly chart left out: %s", exc)
        return None
