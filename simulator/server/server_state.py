"""Shared state of the simulator server: the primary rate budget, request stats, a read-write lock."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict


class ReadWriteLock:
    """Many request threads read the organisation; `advance` writes it alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    def acquire_read(self) -> None:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            self._cond.notify_all()

    def acquire_write(self) -> None:
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True

    def release_write(self) -> None:
        with self._cond:
            self._writing = False
            self._cond.notify_all()


class RateBudget:
    """GitHub's primary limit: `limit` charged requests per window that resets `reset_seconds` later."""

    def __init__(self, limit: int, reset_seconds: int) -> None:
        self.limit = limit
        self.reset_seconds = reset_seconds
        self._lock = threading.Lock()
        self.restart()

    def restart(self) -> None:
        with self._lock:
            self.used = 0
            self.charged = 0  # every unit charged since the start, across windows
            self.reset_at = int(time.time()) + self.reset_seconds

    def _roll(self) -> None:
        if time.time() >= self.reset_at:
            self.used = 0
            self.reset_at = int(time.time()) + self.reset_seconds

    def snapshot(self) -> tuple[int, int, int]:
        """(limit, used, reset epoch)."""
        with self._lock:
            self._roll()
            return self.limit, self.used, self.reset_at

    def exhaust(self, seconds: int) -> None:
        """Spend the whole budget now; this window ends at least `seconds` (1 at least) from now
        (fault injection). Rounded up to the whole second the header carries: rounded down, the
        window could end within the very request that spent it, which then went through."""
        with self._lock:
            self.used = self.limit
            self.reset_at = math.ceil(time.time() + max(seconds, 1))

    def try_charge(self, units: int = 1) -> bool:
        with self._lock:
            self._roll()
            if self.used + units > self.limit:
                return False
            self.used += units
            self.charged += units
            return True

    def headers(self, resource: str = "core") -> dict[str, str]:
        limit, used, reset = self.snapshot()
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(limit - used, 0)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Resource": resource,
        }


class Stats:
    """Requests by route template and status, 304s, items served and charged requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.by_route: defaultdict[str, Counter] = defaultdict(Counter)
        self.not_modified = 0
        self.items_served = 0
        self.charged = 0
        self.faults: Counter = Counter()
        # primary faults drawn for an answer the budget does not pay for (a 304, /rate_limit):
        # the budget is spent all the same, but that request itself is not refused
        self.primary_on_free_answers = 0

    def record(self, route: str, status: int, items: int = 0, charged: bool = False) -> None:
        with self._lock:
            self.by_route[route][str(status)] += 1
            self.not_modified += status == 304
            self.items_served += items
            self.charged += charged

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def primary_on_free_answer(self) -> None:
        with self._lock:
            self.primary_on_free_answers += 1

    def as_dict(self) -> dict:
        with self._lock:
            routes = {route: dict(sorted(c.items())) for route, c in sorted(self.by_route.items())}
            return {
                "requests": routes,
                "total_requests": sum(sum(c.values()) for c in self.by_route.values()),
                "not_modified": self.not_modified,
                "items_served": self.items_served,
                "charged_requests": self.charged,
                "faults": dict(sorted(self.faults.items())),
                "primary_on_free_answers": self.primary_on_free_answers,
            }
