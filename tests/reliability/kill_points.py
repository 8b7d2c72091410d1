"""SIGKILL a build at seeded random points inside its build phase or its publish phase.

No hook in the product: the phases are seen from outside, on the file system. The build phase
starts when the build first writes the database (its `.wal` is written); the publish phase
starts when the snapshot's staging file of *this* process (`<snapshot>.<pid>.next`) appears
and ends when `os.replace` swaps it in. A kill lands a seeded random delay after the phase's
marker, drawn within the phase's length measured on an uninterrupted build of the same data.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.publish import snapshot_path

# A fork server that has imported the build once: each build child starts in milliseconds, so
# kills land in the build's work, not in Python's start-up. `dora build` itself is killed by
# the slow variant (its start-up imports Prefect).
_FORKSERVER = multiprocessing.get_context("forkserver")
_FORKSERVER.set_forkserver_preload(["flows.build", "settings.config"])


def _build_and_publish(db: str) -> None:
    from flows.build import build_and_publish
    from settings.config import Settings

    build_and_publish(db, Settings())


class Build:
    """A running build of `db`, in a fork-server child or a `dora build` process."""

    def __init__(self, db: Path, command: list[str] | None = None, **popen: object) -> None:
        self.db = db
        self.wal = db.with_name(db.name + ".wal")
        self.wal_before = _mtime(self.wal)
        self.snapshot_before = _inode(snapshot_path(db))
        self.started = time.monotonic()
        if command:
            self._popen: subprocess.Popen | None = subprocess.Popen(command, **popen)
            self.pid = self._popen.pid
        else:
            self._popen = None
            self._child = _FORKSERVER.Process(target=_build_and_publish, args=(str(db),))
            # The child re-runs `__main__` from its path; after Streamlit's AppTest in the same
            # session that is dashboard/app.py, which fails outside Streamlit. Give it none.
            main = sys.modules["__main__"]
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                self._child.start()
            finally:
                sys.modules["__main__"] = main
            self.pid = self._child.pid
        self.staging = snapshot_path(db).with_name(f"{snapshot_path(db).name}.{self.pid}.next")

    def returncode(self) -> int | None:
        if self._popen is not None:
            return self._popen.poll()
        return None if self._child.is_alive() else self._child.exitcode

    def wait(self, timeout: float = 600) -> int:
        if self._popen is not None:
            return self._popen.wait(timeout)
        self._child.join(timeout)
        assert self._child.exitcode is not None, "build did not finish"
        return self._child.exitcode

    def building(self) -> bool:
        """This process has written the database (its WAL is new or newer)."""
        mtime = _mtime(self.wal)
        return mtime is not None and mtime != self.wal_before

    def publishing(self) -> bool:
        return self.staging.exists()

    def kill(self) -> None:
        # A fork-server child is reaped by the fork server as soon as it ends: a build that
        # finished during the delay is gone, and the kill counts as missed.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _wait_for(condition: Callable[[], bool], build: Build, timeout: float) -> bool:
    """Poll every millisecond; False when the build ended (or timed out) first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if build.returncode() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


@dataclass
class PhaseTimes:
    """Seconds from start to the build marker, the build phase, and the publish phase."""

    to_build: float
    build: float
    publish: float


def measure(build: Build, timeout: float = 600) -> PhaseTimes:
    """Watch an uninterrupted build: when each phase started and how long it lasted."""
    assert _wait_for(build.building, build, timeout), "the build never wrote the database"
    building = time.monotonic()
    assert _wait_for(build.publishing, build, timeout), "the build never started publishing"
    publishing = time.monotonic()
    assert build.wait(timeout) == 0, "the uninterrupted build failed"
    ended = time.monotonic()
    return PhaseTimes(building - build.started, publishing - building, ended - publishing)


def kill_in(build: Build, phase: str, delay: float, timeout: float = 600) -> str:
    """SIGKILL `delay` s after `phase` ("build"/"publish") began; the phase the kill hit.

    Returns "build", "publish", "swapped" (after `os.replace`, before exit) or "missed" (the
    process ended on its own first).
    """
    marker = build.building if phase == "build" else build.publishing
    if not _wait_for(marker, build, timeout):
        build.wait(timeout)
        return "missed"
    time.sleep(delay)
    if build.publishing():
        hit = "publish"
    elif build.building() and _inode(snapshot_path(build.db)) == build.snapshot_before:
        hit = "build"
    else:
        hit = "swapped"
    build.kill()
    code = build.wait(timeout)
    return hit if code == -signal.SIGKILL else "missed"


def kill_plan(seed: int, rounds: int, times: PhaseTimes) -> list[tuple[str, float]]:
    """(phase, delay) pairs, seeded: one build-phase and one publish-phase kill per round."""
    rng = random.Random(seed)
    plan = []
    for _ in range(rounds):
        plan.append(("build", rng.uniform(0, times.build)))
        plan.append(("publish", rng.uniform(0, times.publish * 0.9)))
    return plan


def dora_build_command(db: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("dora")), "build", "--db", str(db)]


def leftovers(db: Path) -> list[str]:
    """Staging files of killed publishes that are still on disk."""
    snapshot = snapshot_path(db)
    return sorted(p.name for p in db.parent.glob(f"{snapshot.name}.*"))
