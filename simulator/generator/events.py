"""The event loop of the generator: one global queue of timed events drives every repository.

Ids therefore grow with time org-wide, as on GitHub. An event's handler may write records up to
`SPAN` after the event's time; an event that would write past the end of the period is deferred
and, on `advance`, replayed `SPAN` later, so `advance` only ever adds activity after the old end.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simulator.generator.sim import SPAN, Ids

if TYPE_CHECKING:
    from simulator.generator.sim import RepoSim

_INSTANT_KINDS = {"day"}  # events that only schedule other events


@dataclass
class World:
    """Everything shared by the repositories: ids, the event queue and the end of time."""

    seed: int
    start: datetime
    end: datetime
    compact_jobs: bool = False
    flags: set[str] = field(default_factory=set)
    ids: Ids = field(default_factory=Ids)
    queue: list = field(default_factory=list)
    deferred: list = field(default_factory=list)
    sequence: int = 0
    sims: list[RepoSim] = field(default_factory=list)
    first_end: datetime | None = None  # the end of the first generation: milestones hang on it

    def __post_init__(self) -> None:
        self.first_end = self.first_end or self.end

    @property
    def period(self) -> timedelta:
        return self.first_end - self.start

    def at_fraction(self, share: float) -> datetime:
        """A moment `share` of the way through the first generated period."""
        seconds = int(self.period.total_seconds() * share)
        return self.start + timedelta(seconds=seconds)

    @property
    def adopt_at(self) -> datetime:
        return self.at_fraction(0.5) + timedelta(hours=10, minutes=12)

    @property
    def unattributed_after(self) -> datetime:
        return self.at_fraction(0.35)

    @property
    def stuck_after(self) -> datetime:
        return self.at_fraction(0.7)

    @property
    def reopen_after(self) -> datetime:
        return self.at_fraction(0.6)

    def next_sha(self) -> str:
        self.ids.sha += 1
        return hashlib.sha1(f"{self.seed}:{self.ids.sha}".encode()).hexdigest()

    def schedule(self, t: datetime, sim: RepoSim, kind: str, args: tuple) -> None:
        self.sequence += 1
        heapq.heappush(self.queue, (t, self.sequence, sim.repo.id, kind, args))

    def run(self, handlers: dict[str, Callable]) -> None:
        """Process every event that fits before the end; defer those that would spill past it."""
        by_repo = {sim.repo.id: sim for sim in self.sims}
        queue = self.queue
        while queue and queue[0][0] < self.end:
            entry = heapq.heappop(queue)
            t, _seq, repo_id, kind, args = entry
            if kind not in _INSTANT_KINDS and t + SPAN > self.end:
                self.deferred.append(entry)
                continue
            handlers[kind](by_repo[repo_id], t, *args)

    def extend(self, new_end: datetime) -> None:
        """Move the end forward and replay deferred events just after the old end."""
        for t, seq, repo_id, kind, args in self.deferred:
            heapq.heappush(self.queue, (t + SPAN, seq, repo_id, kind, args))
        self.deferred = []
        self.end = new_end
