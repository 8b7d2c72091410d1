"""Alerts recorded in the working database, so each is sent once and a failed send is retried.

`alerts.raised` holds every alert by its key (the first raise wins; raising it again does
nothing). `alerts.deliveries` holds, per key and channel, the attempts and when it got through.
An alert is due on a channel until it got through there, for `alerts.retry_hours` after it was
raised; after that it is given up (and still listed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from alerts.model import Alert

SCHEMA = """
create schema if not exists alerts;
create table if not exists alerts.raised (
    key varchar primary key,
    kind varchar,
    severity varchar,
    title varchar,
    raised_at timestamp,
    alert json
);
create table if not exists alerts.deliveries (
    key varchar,
    channel varchar,
    attempts integer,
    last_attempt_at timestamp,
    delivered_at timestamp,
    last_error varchar,
    primary key (key, channel)
);
"""


@dataclass(frozen=True)
class Delivery:
    """Where one alert stands on one channel."""

    alert: Alert
    channel: str
    attempts: int
    last_error: str | None


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any alert was ever recorded here (read-only connections cannot create it)."""
    sql = "select count(*) from duckdb_tables() where schema_name = 'alerts' and table_name = 'deliveries'"  # fmt: skip
    return bool(con.execute(sql).fetchone()[0])


def record(con: duckdb.DuckDBPyConnection, alerts: list[Alert]) -> list[Alert]:
    """Store the alerts not seen before; returns those (the new ones), in order."""
    ensure(con)
    new = []
    for alert in alerts:
        inserted = con.execute(
            "insert into alerts.raised values (?, ?, ?, ?, ?, ?) on conflict do nothing "
            "returning key",
            [alert.key, alert.kind, alert.severity, alert.title, alert.raised_at, alert.to_json()],
        ).fetchall()
        if inserted:
            new.append(alert)
    return new


def due(
    con: duckdb.DuckDBPyConnection, channels: list[str], now: datetime, retry_hours: float
) -> list[Delivery]:
    """Every (alert, channel) not delivered yet, of alerts raised within the retry window."""
    if not channels or not exists(con):
        return []
    rows = con.execute(
        """
        select raised.alert, channels.channel, coalesce(d.attempts, 0), d.last_error
        from alerts.raised as raised
        cross join (select unnest(?::varchar[]) as channel) as channels
        left join alerts.deliveries as d
            on d.key = raised.key and d.channel = channels.channel
        where d.delivered_at is null and raised.raised_at >= ?
        order by raised.raised_at, raised.key, channels.channel
        """,
        [channels, now - timedelta(hours=retry_hours)],
    ).fetchall()
    return [Delivery(Alert.from_json(text), channel, n, error) for text, channel, n, error in rows]


def mark(
    con: duckdb.DuckDBPyConnection,
    key: str,
    channel: str,
    now: datetime,
    error: str | None,
) -> None:
    """One attempt on one channel: delivered (no error) or failed (the error, one line)."""
    con.execute(
        """
        insert into alerts.deliveries values (?, ?, 1, ?, ?, ?)
        on conflict (key, channel) do update set
            attempts = alerts.deliveries.attempts + 1,
            last_attempt_at = excluded.last_attempt_at,
            delivered_at = excluded.delivered_at,
            last_error = excluded.last_error
        """,
        [key, channel, now, None if error else now, error],
    )


def recent(con: duckdb.DuckDBPyConnection, since: datetime) -> list[tuple[Alert, dict[str, str]]]:
    """Alerts raised since `since`, each with its channels' states (`sent`, `failed: ...`)."""
    if not exists(con):
        return []
    rows = con.execute(
        """
        select raised.alert,
               list(d.channel order by d.channel) filter (where d.channel is not null),
               list(case when d.delivered_at is not null then 'sent'
                         else 'failed ' || d.attempts || 'x: ' || d.last_error end
                    order by d.channel) filter (where d.channel is not null)
        from alerts.raised as raised
        left join alerts.deliveries as d using (key)
        where raised.raised_at >= ?
        group by raised.alert, raised.raised_at, raised.key
        order by raised.raised_at, raised.key
        """,
        [since],
    ).fetchall()
    return [
        (Alert.from_json(text), dict(zip(channels or [], states or [], strict=True)))
        for text, channels, states in rows
    ]
