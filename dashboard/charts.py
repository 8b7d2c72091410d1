"""Altair charts with one shared look: Okabe-Ito colours, units in axis titles, exact tooltips."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd

from dashboard.vega import cached, template, unchecked, with_data

# Okabe & Ito's palette: distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, SKY, GREEN, VERMILLION, PURPLE, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#F0E442", "#7F7F7F",
)  # fmt: skip
PALETTE = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY]
# Deployment kinds keep the same colour and shape on every chart; shape repeats the meaning so
# colour is never the only cue.
KINDS = ["success", "change failure", "failed deploy", "retried", "rollback", "redeploy",
         "unfinished", "superseded"]  # fmt: skip
KIND_COLOURS = [BLUE, PURPLE, VERMILLION, YELLOW, ORANGE, GREY, SKY, GREEN]
KIND_SHAPES = ["circle", "diamond", "cross", "triangle-left", "triangle-down", "square",
               "triangle-up", "triangle-right"]  # fmt: skip
FONT = "Source Sans Pro, sans-serif"


# One Config object set in one step: each chained `.configure_*()` call copies the whole chart
# (for a layer, re-merging its sub-charts each time: ~15 ms per layered chart).
THEME = alt.Config(
    font=FONT,
    axis=alt.AxisConfig(
        labelFontSize=12, titleFontSize=12, titleFontWeight="normal", grid=True, gridOpacity=0.4
    ),
    legend=alt.LegendConfig(orient="top", labelFontSize=12, titleFontSize=12),
    range=alt.RangeConfig(category=PALETTE),
    view=alt.ViewConfig(stroke=None),
)


def themed(chart: alt.TopLevelMixin, height: int = 260) -> alt.TopLevelMixin:
    """Apply the shared look; every public function returns through here."""
    # Attributes, not `.properties()`: that validates each value against the schema even with
    # Altair's checks off (a whole Config: ~5 ms per chart, on every rerun).
    chart = chart.copy(deep=False)
    chart.height, chart.width, chart.config = height, "container", THEME
    return chart


def only(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The columns a chart draws: every other one would travel to the browser and into Vega too."""
    return frame[list(columns)]


def _period_band(grain: str) -> alt.X:
    """One band per period: ticks sit exactly on the periods, empty ones included."""
    label = "%d %b" if grain == "week" else "%b %Y"
    return alt.X(
        "yearmonthdate(period_start):O",
        title=f"{grain} starting",
        axis=alt.Axis(format=label, labelAngle=-45, labelOverlap="greedy"),
    )


def _period_axis(grain: str) -> alt.X:
    label = "%d %b" if grain == "week" else "%b %Y"
    # Greedy overlap removal keeps a long weekly axis legible instead of printing every label.
    return alt.X(
        "period_start:T",
        title=f"{grain} starting",
        axis=alt.Axis(format=label, labelOverlap="greedy", labelSeparation=8),
    )


@unchecked
def trend(
    frame: pd.DataFrame, series: dict[str, str], unit: str, grain: str, fmt: str
) -> alt.Chart:
    """Lines over periods; `series` maps a column to its legend label; gaps where there is no data."""
    # One row per period and measure, built directly (pandas' melt costs ~10 ms a chart per rerun).
    long = pd.concat(
        [
            pd.DataFrame(
                {"period_start": frame["period_start"], "measure": label, "value": frame[column]}
            )
            for column, label in series.items()
        ],
        ignore_index=True,
    )
    base = alt.Chart(long).encode(
        x=_period_band(grain),
        y=alt.Y("value:Q", title=unit, axis=alt.Axis(format=fmt)),
        color=alt.Color("measure:N", title=None, sort=list(series.values())),
        tooltip=[
            alt.Tooltip("period_start:T", title=f"{grain} starting", format="%Y-%m-%d"),
            alt.Tooltip("measure:N", title="measure"),
            alt.Tooltip("value:Q", title=unit, format=fmt),
        ],
    )
    return themed(base.mark_line(point=True, strokeWidth=2))


@unchecked
def sparkline_row(
    frame: pd.DataFrame, lines: list[tuple[str, str, Callable[[float], str]]]
) -> alt.Chart:
    """The tiles' small trends in one view: line i in the i-th slice of the width, under tile i.

    `lines` is (column, name, how its values read) per tile. One chart instead of one per tile:
    each chart on a page costs the browser 20-40 ms on every rerun, and Vega draws five lines in
    one view for little more than one. Each line spans its own range (a sparkline has no axis);
    the tooltip gives the exact value of the period.
    """
    periods = pd.to_datetime(frame["period_start"])
    span = (periods - periods.min()) / (periods.max() - periods.min()) if len(frame) > 1 else pd.Series(0.5, index=frame.index)  # fmt: skip
    parts = []
    for slot, (column, name, render) in enumerate(lines):
        values = frame[column].astype(float)
        low, high = values.min(), values.max()
        height = (values - low) / (high - low) if high > low else values * 0 + 0.5
        parts.append(
            pd.DataFrame(
                {
                    "slot": slot,
                    "x": slot + 0.08 + 0.84 * span.to_numpy(),
                    "y": height.to_numpy(),
                    "measure": name,
                    "period_start": frame["period_start"].to_numpy(),
                    "value": [render(v) for v in values],
                }
            )
        )
    chart = (
        alt.Chart(pd.concat(parts, ignore_index=True))
        .mark_line(color=BLUE, strokeWidth=1.5, point=alt.OverlayMarkDef(size=16, color=BLUE))
        .encode(
            x=alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, len(lines)], nice=False)),
            y=alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-0.1, 1.1], nice=False)),
            detail=alt.Detail("slot:N"),
            tooltip=[
                alt.Tooltip("measure:N", title="measure"),
                # No grain in the spec: a granularity change then only swaps the data.
                alt.Tooltip("period_start:T", title="period starting", format="%Y-%m-%d"),
                alt.Tooltip("value:N", title="value"),
            ],
        )
    )
    return themed(chart, height=48)


@unchecked
def bars_over_time(
    frame: pd.DataFrame, column: str, unit: str, grain: str, fmt: str = ",d"
) -> alt.Chart:
    """One bar per period (counts such as deployments), zero bars kept visible."""
    chart = (
        alt.Chart(only(frame, "period_start", column))
        .mark_bar(color=BLUE)
        .encode(
            x=_period_band(grain),
            y=alt.Y(f"{column}:Q", title=unit, axis=alt.Axis(format=fmt)),
            tooltip=[
                alt.Tooltip("period_start:T", title=f"{grain} starting", format="%Y-%m-%d"),
                alt.Tooltip(f"{column}:Q", title=unit, format=fmt),
            ],
        )
    )
    return themed(chart)


@unchecked
def timeline(frame: pd.DataFrame) -> alt.Chart:
    """Deployments per day on one row per environment; failures, rollbacks and redeploys marked."""
    chart = (
        alt.Chart(frame)
        .mark_point(filled=True, opacity=0.85)
        .encode(
            x=alt.X("day:T", title="day (UTC)", axis=alt.Axis(format="%d %b")),
            y=alt.Y(
                "environment:N", title="environment", sort=["development", "staging", "production"]
            ),
            color=alt.Color(
                "kind:N", title="deployment", scale=alt.Scale(domain=KINDS, range=KIND_COLOURS)
            ),
            # Same field and title as the colour: Vega-Lite merges them into one legend.
            shape=alt.Shape(
                "kind:N", title="deployment", scale=alt.Scale(domain=KINDS, range=KIND_SHAPES)
            ),
            size=alt.Size(
                "deployments:Q",
                title="deployments per day",
                scale=alt.Scale(range=[40, 400]),
                legend=alt.Legend(format="d", tickMinStep=1),
            ),
            yOffset=alt.YOffset("kind:N", sort=KINDS),
            tooltip=[
                alt.Tooltip("day:T", title="day", format="%Y-%m-%d"),
                alt.Tooltip("environment:N"),
                alt.Tooltip("kind:N", title="deployment"),
                alt.Tooltip("deployments:Q", title="deployments", format=",d"),
            ],
        )
    )
    return themed(chart, height=90 + 50 * max(1, frame["environment"].nunique()))


@unchecked
def distribution(
    frame: pd.DataFrame, band: str, count: str, band_title: str, count_title: str
) -> alt.Chart:
    """Counts per ordered band (lead-time histogram)."""
    order = list(frame[band])
    chart = (
        alt.Chart(frame)
        .mark_bar(color=BLUE)
        .encode(
            x=alt.X(f"{band}:N", title=band_title, sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{count}:Q", title=count_title, axis=alt.Axis(format=",d")),
            tooltip=[
                alt.Tooltip(f"{band}:N", title=band_title),
                alt.Tooltip(f"{count}:Q", title=count_title, format=",d"),
            ],  # fmt: skip
        )
    )
    return themed(chart)


@unchecked
def stages(frame: pd.DataFrame, grain: str) -> alt.Chart:
    """Median coding / review / delivery hours per period, stacked."""
    order = ["coding", "review", "delivery"]
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=_period_band(grain),
            y=alt.Y("median_hours:Q", title="median time (hours)", stack="zero"),
            color=alt.Color(
                "stage:N",
                title="stage",
                sort=order,
                scale=alt.Scale(domain=order, range=[SKY, ORANGE, GREEN]),
            ),  # fmt: skip
            order=alt.Order("stage_order:Q"),
            tooltip=[
                alt.Tooltip("period_start:T", title=f"{grain} starting", format="%Y-%m-%d"),
                alt.Tooltip("stage:N"),
                alt.Tooltip("median_hours:Q", title="median (hours)", format=",.1f"),
                alt.Tooltip("changes_with_pr:Q", title="changes with a PR", format=",d"),
            ],
        )
        .transform_calculate(stage_order="indexof(['coding','review','delivery'], datum.stage)")
    )
    return themed(chart)


@cached
@unchecked
def funnel(frame: pd.DataFrame) -> alt.Chart:
    """Changes that reached each environment, in promotion order."""
    order = list(frame["environment"])
    chart = (
        alt.Chart(frame)
        .mark_bar(color=BLUE)
        .encode(
            y=alt.Y("environment:N", title="environment", sort=order),
            x=alt.X(
                "changes:Q", title="changes that reached it (count)", axis=alt.Axis(format=",d")
            ),
            tooltip=[
                alt.Tooltip("environment:N"),
                alt.Tooltip("changes:Q", title="changes", format=",d"),
                alt.Tooltip(
                    "lag_p50_hours:Q", title="median wait from previous (hours)", format=",.1f"
                ),
            ],
        )
    )
    text = chart.mark_text(align="left", dx=4).encode(text=alt.Text("changes:Q", format=",d"))
    return themed(alt.layer(chart, text), height=60 + 40 * len(order))


@unchecked
def step_trend(frame: pd.DataFrame, grain: str) -> alt.Chart:
    """Median promotion lag per step and period."""
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=_period_band(grain),
            y=alt.Y("lag_p50_hours:Q", title="median promotion lag (hours)"),
            color=alt.Color("step:N", title=None),
            tooltip=[
                alt.Tooltip("period_start:T", title=f"{grain} starting", format="%Y-%m-%d"),
                alt.Tooltip("step:N"),
                alt.Tooltip("lag_p50_hours:Q", title="median (hours)", format=",.1f"),
                alt.Tooltip("changes:Q", format=",d"),
            ],
        )
    )
    return themed(chart)


def with_pivot(frame: pd.DataFrame, column: str, unit: str, grain: str, pivot: pd.Timestamp, fmt: str) -> dict:  # fmt: skip
    """A per-period line with a vertical rule at the before/after date."""
    return with_data(
        _pivot_chart(column, unit, grain, fmt),
        periods=only(frame, "period_start", column),
        pivot=pd.DataFrame({"pivot": [pivot]}),  # data, not spec: the spec stays made once
    )


@template
@unchecked
def _pivot_chart(column: str, unit: str, grain: str, fmt: str) -> alt.LayerChart:
    line = (
        alt.Chart(alt.NamedData(name="periods"))
        .mark_line(point=True, color=BLUE)
        .encode(
            x=_period_axis(grain),
            y=alt.Y(f"{column}:Q", title=unit, axis=alt.Axis(format=fmt)),
            tooltip=[
                alt.Tooltip("period_start:T", title=f"{grain} starting", format="%Y-%m-%d"),
                alt.Tooltip(f"{column}:Q", title=unit, format=fmt),
            ],
        )
    )
    rule = (
        alt.Chart(alt.NamedData(name="pivot"))
        .mark_rule(color=VERMILLION, strokeDash=[6, 3], size=2)
        .encode(  # fmt: skip
            x=alt.X("pivot:T"),  # not the "pivot:T" shorthand: Altair parses that via its schema
            tooltip=[alt.Tooltip("pivot:T", title="compared around", format="%Y-%m-%d")],
        )
    )
    return themed(alt.layer(line, rule), height=220)


@unchecked
def team_trend(frame: pd.DataFrame, column: str, unit: str, grain: str, fmt: str) -> alt.Chart:
    """One metric per period, a line per team (the Teams page's trends); gaps where no data."""
    base = alt.Chart(only(frame, "period_start", "team", column)).encode(
        x=_period_axis(grain),
        y=alt.Y(f"{column}:Q", title=unit, axis=alt.Axis(format=fmt)),
        color=alt.Color("team:N", title="team"),
        tooltip=[
            alt.Tooltip("team:N", title="team"),
            alt.Tooltip("period_start:T", title=f"{grain} starting", format="%Y-%m-%d"),
            alt.Tooltip(f"{column}:Q", title=unit, format=fmt),
        ],
    )
    return themed(base.mark_line(point=True, strokeWidth=2), height=200)
