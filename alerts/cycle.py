"""One alert cycle around a build: raise against the previous snapshot, then deliver what is due.

Nothing here may stop a build from publishing: each step catches its own failures and logs
them (one line, no secret), and a failed delivery is simply due again at the next cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from alerts import outbox, rules
from alerts.channels import Channel, DeliveryFailed, configured
from alerts.model import Alert
from models.publish import snapshot_path
from settings.config import Settings

log = logging.getLogger("dora.alerts")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class DeliveryReport:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (key, channel)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (key, channel, error)

    def summary(self) -> str:
        text = f"{len(self.sent)} sent"
        if self.failed:
            text += f", {len(self.failed)} failed (retried at the next build): " + "; ".join(
                f"{channel}: {error}" for _, channel, error in self.failed[:3]
            )
        return text


def raise_before_publish(db: str | Path, settings: Settings, now: datetime | None = None) -> list[Alert]:  # fmt: skip
    """Compare the new marts of `db` with its still-published snapshot; record the new alerts."""
    try:
        with duckdb.connect(str(db)) as con:
            found = rules.raise_alerts(con, snapshot_path(db), settings, now or utc_now())
            new = outbox.record(con, found)
    except Exception as exc:  # noqa: BLE001 (alerts never stop a publish)
        log.warning("alerts: none raised this build (%s)", str(exc).splitlines()[0][:300])
        return []
    if new:
        log.info("alerts: %d raised: %s", len(new), "; ".join(a.title for a in new[:5]))
    return new


def _due(con: duckdb.DuckDBPyConnection, channels: list[Channel], settings: Settings, now: datetime) -> list[tuple[outbox.Delivery, Channel]]:  # fmt: skip
    by_name = {channel.name: channel for channel in channels}
    return [
        (delivery, by_name[delivery.channel])
        for delivery in outbox.due(con, list(by_name), now, settings.alerts.retry_hours)
        if by_name[delivery.channel].wants(delivery.alert)
    ]


def deliver(db: str | Path, settings: Settings, now: datetime | None = None) -> DeliveryReport:
    """Send every alert due on every configured channel; record each attempt."""
    report = DeliveryReport()
    now = now or utc_now()
    channels, _ = configured(settings)
    if not channels:
        return report
    try:
        with duckdb.connect(str(db)) as con:
            for delivery, channel in _due(con, channels, settings, now):
                try:
                    channel.send(delivery.alert)
                except DeliveryFailed as exc:
                    outbox.mark(con, delivery.alert.key, channel.name, now, str(exc))
                    report.failed.append((delivery.alert.key, channel.name, str(exc)))
                else:
                    outbox.mark(con, delivery.alert.key, channel.name, now, None)
                    report.sent.append((delivery.alert.key, channel.name))
    except Exception as exc:  # noqa: BLE001 (alerts never stop a publish)
        log.warning("alerts: delivery stopped (%s)", str(exc).splitlines()[0][:300])
    if report.sent or report.failed:
        (log.warning if report.failed else log.info)("alerts: %s", report.summary())
    return report


def dry_run(db: str | Path, settings: Settings, now: datetime | None = None) -> list[str]:
    """What a delivery would send now, channel by channel; nothing is sent or recorded."""
    now = now or utc_now()
    channels, missing = configured(settings)
    lines: list[str] = []
    pending: dict[str, tuple[Alert, list[str]]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        if outbox.exists(con):
            everyone = [Channel(name, None, settings, {t.name: t.recipients for t in settings.teams}) for name in ("email", "webhook", "apprise", "pagerduty")]  # fmt: skip
            active = {channel.name for channel in channels}
            for delivery, channel in _due(con, everyone, settings, now):
                alert, where = pending.setdefault(delivery.alert.key, (delivery.alert, []))
                state = "" if channel.name in active else " (not configured)"
                if delivery.attempts:
                    state += f" (failed {delivery.attempts}x: {delivery.last_error})"
                where.append(channel.name + state)
    for alert, where in pending.values():
        lines.append(f"[{alert.severity}] {alert.title}")
        lines += [f"    {line}" for line in alert.lines]
        lines.append(f"    -> {', '.join(where) or 'no channel takes it'}   key {alert.key}")
    if not pending:
        lines.append("No alert to send.")
    lines += ["Channels:"] + [f"    {c.name}: ready" for c in channels] + [f"    {m}" for m in missing]  # fmt: skip
    return lines


def send_test(settings: Settings) -> list[tuple[str, str | None]]:
    """One test message to each configured channel: (channel, error or None)."""
    channels, _ = configured(settings)
    test = Alert(
        key=f"test/{utc_now():%Y-%m-%dT%H:%M:%S}",
        kind="test",
        severity="critical",
        title="dora alerts test: this channel works",
        lines=("Sent by `dora alerts --test`. Nothing is wrong.",),
        teams=tuple(team.name for team in settings.teams),  # every team's recipients get it
        link=settings.email.dashboard_url,
        raised_at=utc_now(),
    )
    results = []
    for channel in channels:
        try:
            channel.send(test)
        except DeliveryFailed as exc:
            results.append((channel.name, str(exc)))
        else:
            results.append((channel.name, None))
    return results
