"""One alert: what slipped, how bad, who cares, and the key that makes it unique."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["level_drop", "goal_missed", "open_failure", "sync_stale", "test"]
Severity = Literal["warning", "critical"]


@dataclass(frozen=True)
class Alert:
    """Raised once per key; `facts` are the figures behind it, for every channel's message."""

    key: str
    kind: Kind
    severity: Severity
    title: str  # one line, plain text (names as they are: each channel escapes them)
    lines: tuple[str, ...]  # the details, plain text, one fact per line
    teams: tuple[str, ...] = ()  # the teams concerned: their recipients get email alerts
    link: str | None = None  # where to look (the dashboard)
    facts: dict[str, Any] = field(default_factory=dict)
    raised_at: datetime | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Alert:
        data = json.loads(text)
        raised = data.get("raised_at")
        return cls(
            key=data["key"],
            kind=data["kind"],
            severity=data["severity"],
            title=data["title"],
            lines=tuple(data.get("lines") or ()),
            teams=tuple(data.get("teams") or ()),
            link=data.get("link"),
            facts=data.get("facts") or {},
            raised_at=datetime.fromisoformat(raised) if raised else None,
        )
