"""Child processes `dora demo` runs alongside itself: the GitHub simulator and a Prefect API server.

Both start at once, before the demo imports Prefect, so that their start-up (the simulator
generating its organisation, Prefect importing its server and migrating its SQLite database) runs
on the other core while this process imports the ingest. Each is its own process group, always
stopped by `stop()`.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

PREFECT_READY_TIMEOUT = 240  # seconds; a first start migrates the database (slow on a busy machine)
SIMULATOR_READY_TIMEOUT = 120
# Loopback only: never through a proxy from the environment.
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None]:
    """A `preexec_fn` that has the child SIGTERMed when we die, even by SIGKILL (Linux)."""
    parent = os.getpid()

    def preexec() -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):  # not Linux: the parent's own stop() still applies
            return
        if os.getppid() != parent:  # we died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class BackgroundError(Exception):
    """A child process exited or did not become ready; the message ends with its last output."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Background:
    """One child process in its own process group, its output kept in a file.

    stderr goes to `log` (a temporary file unless given); stdout is a pipe for the caller to
    read, or, with `read_stdout=False`, goes to the log too (a pipe nobody reads fills and
    blocks the child).
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
        read_stdout: bool = True,
    ) -> None:
        self.name = name
        self.log: IO[bytes] = log.open("w+b") if log else tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if read_stdout else self.log,
            stderr=self.log,
            start_new_session=True,  # Ctrl+C in the terminal reaches the demo, which stops us
            preexec_fn=die_with_parent(),  # a SIGKILLed demo leaves no child behind
        )

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise BackgroundError(
                f"{self.name} exited with code {self.process.returncode}{self._tail()}"
            )

    def _tail(self, lines: int = 3) -> str:
        self.log.seek(0)
        last = self.log.read().decode(errors="replace").strip().splitlines()[-lines:]
        return (": " + " | ".join(line.strip() for line in last)) if last else ""

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        if self.process.stdout:
            self.process.stdout.close()
        self.log.close()


class SimulatorProcess(Background):
    """`dora simulator` on a free port: its own process, so it never competes for our GIL."""

    def __init__(self, seed: int, days: int) -> None:
        super().__init__(
            "the GitHub simulator",
            [sys.executable, "-m", "flows.cli", "simulator", "--seed", str(seed)]
            + ["--days", str(days), "--port", "0"],
        )
        self.base_url = ""

    def wait_ready(self, timeout: float = SIMULATOR_READY_TIMEOUT) -> str:
        """The simulator's base URL, once it listens (it prints the URL when it does)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http"):  # EOF: it exited; nothing: it hangs
            self.process.poll()
            raise BackgroundError(f"{self.name} did not start{self._tail()}")
        self.base_url = line
        return line


class PrefectServerProcess(Background):
    """Prefect's temporary API server, started the way Prefect starts it, but right away.

    With no `PREFECT_API_URL`, Prefect starts this same server on first use of a flow, from the
    demo's process (importing the whole server there) and only when the ingest begins. The
    environment below is what `prefect.server.api.server.SubprocessASGIServer` sets: no UI, and
    only the services an ephemeral server runs (the task-run recorder and event services).
    """

    def __init__(self, env: Mapping[str, str] | None = None, log: Path | None = None) -> None:
        """`env`: the server's environment (default: ours), e.g. its own PREFECT_HOME, where
        its database lives; `log`: where its output goes (default: a temporary file)."""
        self.port = free_port()
        env = {
            **(os.environ if env is None else env),
            "PREFECT_API_URL": "",
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        super().__init__(
            "Prefect's API server",
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
            + ["--host", "127.0.0.1", "--port", str(self.port)]
            + ["--log-level", "error", "--lifespan", "on"],
            env=env,
            log=log,
            read_stdout=False,
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_ready(self, timeout: float = PREFECT_READY_TIMEOUT) -> str:
        """The API URL, once `/api/health` answers (after the database migrations)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            try:
                with _LOOPBACK.open(self.api_url + "/health", timeout=5) as response:
                    if response.status == 200:
                        return self.api_url
            except OSError:
                time.sleep(0.2)
        raise BackgroundError(f"{self.name} did not answer within {timeout:.0f} s{self._tail()}")
