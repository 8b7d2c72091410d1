"""The sidebar filters, kept in the URL query string so a view can be shared as a link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.scope import EDITIONS, GRAINS, Scope
from dashboard.snapshot import SnapshotUnavailable

ALL = "All"
ENVIRONMENT_ORDER = ["production", "staging", "development"]


def guarded(render: Callable[[], None]) -> None:
    """Run a page; a missing or incomplete snapshot becomes a message, never a traceback."""
    try:
        render()
    except SnapshotUnavailable as exc:
        st.warning(str(exc), icon=":material/database_off:")


def _keep(key: str, value: object) -> None:
    # Widget state is dropped when another page runs; this copy is not, so filters follow you.
    st.session_state[f"kept_{key}"] = value


def _initial(key: str, url_value: object, default: object, valid: Callable[[object], bool]) -> None:
    """Seed the widget: its own state, else the kept copy, else the URL (a shared link), else default."""
    widget = f"filter_{key}"
    kept = st.session_state.get(f"kept_{key}")
    for candidate in (st.session_state.get(widget), kept, url_value, default):
        if candidate is not None and valid(candidate):
            # Re-assigning on every run carries the value over to the same widget on another page.
            st.session_state[widget] = candidate
            return


def _url_date(name: str) -> date | None:
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


def _select(key: str, label: str, options: list[str], default: str, url_name: str) -> str:
    _initial(key, st.query_params.get(url_name), default, lambda v: v in options)
    value = st.sidebar.selectbox(label, options, key=f"filter_{key}")
    _keep(key, value)
    return value


def _default_period(info: pd.DataFrame, first: date, last: date) -> tuple[date, date]:
    end = last
    window = 90
    if not info.empty:
        row = info.iloc[0]
        if pd.notna(row.get("as_of")):
            end = min(pd.Timestamp(row["as_of"]).date(), last) if last else pd.Timestamp(row["as_of"]).date()  # fmt: skip
        if pd.notna(row.get("window_days")):
            window = int(row["window_days"])
    return max(first, end - timedelta(days=window - 1)), end


def sidebar() -> Scope:
    """Render the filters and return what they select; the URL is updated to match."""
    scopes = data.scopes()
    info = data.snapshot_info()
    span = data.data_span().iloc[0]
    if pd.isna(span["first_day"]):
        today = date.today()
        first, last = today - timedelta(days=90), today
    else:
        first, last = span["first_day"], span["last_day"]
        first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()

    st.sidebar.header("Filters")
    team_scopes = data.team_scopes()
    teams = [ALL, *dict.fromkeys(data.teams()["team"])]
    team = _select("team", "Team", teams, ALL, "team")
    if team != ALL:  # only the team's repositories and services to pick from
        owned = team_scopes[team_scopes["team"] == team]
        keys = set(zip(owned["repo"], owned["service"], strict=True))
        scopes = scopes[[(r, s) in keys for r, s in zip(scopes["repo"], scopes["service"], strict=True)]]  # fmt: skip
    repos = [ALL, *sorted(scopes["repo"].dropna().unique())]
    repo = _select("repo", "Repository", repos, ALL, "repo")
    in_repo = scopes if repo == ALL else scopes[scopes["repo"] == repo]
    services = [ALL, *sorted(in_repo["service"].dropna().unique())]
    service = _select("service", "Service", services, ALL, "service")
    present = set(data.scopes()["environment"].dropna())
    environments = [ALL, *[e for e in ENVIRONMENT_ORDER if e in present], *sorted(present - set(ENVIRONMENT_ORDER))]  # fmt: skip
    environment = _select("environment", "Environment", environments, "production" if "production" in present else ALL, "env")  # fmt: skip

    default_start, default_end = _default_period(info, first, last)
    url_period = (_url_date("from"), _url_date("to"))

    def valid_period(value: object) -> bool:
        return (
            isinstance(value, tuple | list)
            and len(value) == 2
            and all(isinstance(d, date) for d in value)
            and value[0] <= value[1]
        )

    _initial("period", url_period if None not in url_period else None, (default_start, default_end), valid_period)  # fmt: skip
    picked = st.sidebar.date_input("Period (UTC days)", key="filter_period", format="YYYY-MM-DD")
    if not valid_period(tuple(picked) if isinstance(picked, tuple | list) else ()):
        picked = st.session_state.get("kept_period") or (default_start, default_end)  # mid-pick
    start, end = picked
    _keep("period", (start, end))

    grain = _select("grain", "Granularity", list(GRAINS), "week", "grain")
    built_edition = str(info.iloc[0]["edition"]) if not info.empty else "2023"
    edition = _select("edition", "DORA benchmark edition", list(EDITIONS), built_edition if built_edition in EDITIONS else "2023", "edition")  # fmt: skip

    managed = {"team", "repo", "service", "env", "from", "to", "grain", "edition"}
    page_params = {k: st.query_params.get(k) for k in st.query_params if k not in managed}
    st.query_params.from_dict(
        {
            **page_params,  # a page's own parameters (e.g. before/after's pivot) survive
            "team": team,
            "repo": repo,
            "service": service,
            "env": environment,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "grain": grain,
            "edition": edition,
        }
    )
    _last_sync(info)
    return Scope(
        repo=None if repo == ALL else repo,
        service=None if service == ALL else service,
        environment=None if environment == ALL else environment,
        start=start,
        end=end,
        grain=grain,
        edition=edition,
        team=None if team == ALL else team,
    )


def _last_sync(info: pd.DataFrame) -> None:
    if info.empty:
        return
    row = info.iloc[0]
    synced = row.get("last_synced_at")
    built = row.get("built_at")
    text = f"Data synced {pd.Timestamp(synced):%Y-%m-%d %H:%M} UTC" if pd.notna(synced) else "Never synced"  # fmt: skip
    if pd.notna(built):
        text += f" · built {pd.Timestamp(built):%Y-%m-%d %H:%M} UTC"
    st.sidebar.caption(text)


def describe(scope: Scope) -> str:
    """One line that says what the page shows, for the caption under each title."""
    parts = [
        *([f"team {scope.team}"] if scope.team else []),
        scope.repo or "all repositories",
        scope.service or "all services",
        scope.environment or "all environments",
        f"{scope.start:%d %b %Y} – {scope.end:%d %b %Y}",
    ]
    return " · ".join(parts)
