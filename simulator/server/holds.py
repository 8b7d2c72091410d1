"""Held requests: a test's way to know a client is mid-sync, blocked inside one request.

`SimulatorServer.hold(repo, route)` blocks every REST request for one repository's route (a
template as the stats name it, `/repos/{owner}/{repo}/actions/runs`, whether asked as
`/repos/OWNER/NAME/...` or `/repositories/ID/...`) until the hold is released; the test waits
until a request is held, does what it must while the client waits (kill it, say), then releases.
GraphQL requests are never held.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from simulator.server.routes import GitHubApi
from simulator.server.server_state import ReadWriteLock


class Hold:
    """Requests for one repository's route wait here until `release()`."""

    def __init__(self, repo: str, route: str) -> None:
        self.repo = repo
        self.route = route
        self._released = threading.Event()
        self._arrived = threading.Condition()
        self.held = 0  # requests that have waited here so far

    def matches(self, repo: str, route: str) -> bool:
        return repo.lower() == self.repo.lower() and route == self.route

    def block(self) -> None:
        """Called by a request's thread: wait until the hold is released."""
        with self._arrived:
            self.held += 1
            self._arrived.notify_all()
        self._released.wait()

    def wait_held(self, timeout: float, count: int = 1) -> bool:
        """True once `count` requests have been held here, False after `timeout` seconds."""
        with self._arrived:
            return self._arrived.wait_for(lambda: self.held >= count, timeout)

    def release(self) -> None:
        """Let every held request go on, and every later one through."""
        self._released.set()


class Holds:
    """A server's holds; each REST request asks `wait_if_held` before it is answered."""

    def __init__(self, api: GitHubApi, rw: ReadWriteLock) -> None:
        self.api = api
        self._rw = rw  # the organisation may be advanced while a request is matched
        self._lock = threading.Lock()
        self._holds: list[Hold] = []

    @contextmanager
    def hold(self, repo: str, route: str) -> Iterator[Hold]:
        """Hold `repo`'s `route` until the `with` block ends; yields the hold."""
        if repo.lower() not in {name.lower() for name in self.api.org.repos}:
            raise ValueError(f"no such repository: {repo}")
        if route not in {r.template for r in self.api.routes if r.repo_suffix}:
            raise ValueError(f"no such repository route: {route}")
        hold = Hold(repo, route)
        with self._lock:
            self._holds.append(hold)
        try:
            yield hold
        finally:
            with self._lock:
                self._holds.remove(hold)
            hold.release()

    def release_all(self) -> None:
        with self._lock:
            holds = list(self._holds)
        for hold in holds:
            hold.release()

    def wait_if_held(self, path: str) -> None:
        """Block the calling request's thread while a hold matches its repository and route."""
        if not self._holds:
            return
        self._rw.acquire_read()
        try:
            matched = self.api.match(path)
        finally:
            self._rw.release_read()
        if matched is None or matched[2] is None:
            return
        route, _, repo = matched
        with self._lock:
            hold = next((h for h in self._holds if h.matches(repo.full_name, route.template)), None)
        if hold is not None:
            hold.block()
