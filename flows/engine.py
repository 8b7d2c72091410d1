"""Where a flow runs: as a Prefect flow run when a server is named, else in this process.

`PREFECT_API_URL` set: `dora ingest` and `dora build` are flow runs on that server, visible in its
UI. Unset: the same functions run here, with no Prefect server started and Prefect not even
imported (it costs a second of start-up); `LocalTaskGraph` gives a task graph what Prefect's
`ThreadPoolTaskRunner` gives it there: at most `max_workers` at once, each task after the tasks
it waits for, retries on the exceptions the `RetryPolicy` names.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from settings.paths import prefect_home

Key = TypeVar("Key", bound=Hashable)


def prefect_api_url() -> str | None:
    """The Prefect server to report to, if one is configured (`PREFECT_API_URL`)."""
    return os.environ.get("PREFECT_API_URL", "").strip() or None


def in_prefect_flow_run() -> bool:
    """True inside a Prefect flow run (e.g. `dora serve`'s pipeline calling the ingest)."""
    if "prefect" not in sys.modules:  # nothing imported Prefect, so nothing runs under it
        return False
    from prefect.context import FlowRunContext

    return FlowRunContext.get() is not None


def use_prefect() -> bool:
    """Run as Prefect flow runs: inside one already, or with a server to report to."""
    if in_prefect_flow_run():
        return True
    if prefect_api_url() is None:
        return False
    ensure_prefect_home()
    return True


def ensure_prefect_home(data_dir: Path | None = None) -> Path:
    """Prefect's home, `PREFECT_HOME` or else ours (`settings.paths.prefect_home`), created with
    its parents before Prefect is imported: Prefect makes only the last folder itself, and warns
    and runs homeless when it cannot."""
    if not os.environ.get("PREFECT_HOME"):
        os.environ["PREFECT_HOME"] = str(prefect_home(data_dir))
    home = Path(os.environ["PREFECT_HOME"]).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed task runs again and after how long; only for the errors `retry_on` names."""

    delays: tuple[float, ...]
    retry_on: tuple[type[BaseException], ...]

    def should_retry(self, error: BaseException) -> bool:
        return isinstance(error, self.retry_on)

    def prefect_condition(self) -> Callable[..., bool]:
        """The same rule as a Prefect `retry_condition_fn(task, task_run, state)`."""

        def condition(task: Any, task_run: Any, state: Any) -> bool:
            try:
                state.result()
            except BaseException as error:  # noqa: BLE001 (the policy decides)
                return self.should_retry(error)
            return False

        return condition


class UpstreamFailed(Exception):
    """A task did not run because a task it waits for failed (as Prefect's NotReady)."""


@dataclass(frozen=True)
class Call(Generic[Key]):
    """One task of a graph: its arguments and the keys of the calls it waits for."""

    args: tuple
    needs: Sequence[Key] = ()


class LocalTaskGraph:
    """Prefect's ThreadPoolTaskRunner semantics without Prefect: bounded threads, waits, retries."""

    def __init__(self, max_workers: int, retry: RetryPolicy | None = None) -> None:
        self.max_workers = max_workers
        self.retry = retry or RetryPolicy((), ())

    def run(
        self, function: Callable[..., Any], calls: Mapping[Key, Call[Key]]
    ) -> dict[Key, Any | BaseException]:
        """Run every call once its needs succeeded; each key's return value or exception."""
        outcomes: dict[Key, Any | BaseException] = {}
        waiting = dict(calls)
        running: dict[Future, Key] = {}
        pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="dora-task")
        try:
            while waiting or running:
                for key, call in list(waiting.items()):
                    if any(need not in outcomes for need in call.needs):
                        continue
                    del waiting[key]
                    failed = [n for n in call.needs if isinstance(outcomes[n], BaseException)]
                    if failed:
                        outcomes[key] = UpstreamFailed(f"{key}: {failed[0]} failed")
                    else:
                        running[pool.submit(self._attempts, function, call.args)] = key
                if not running:
                    continue  # every remaining call's needs just settled: look again
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    key = running.pop(future)
                    error = future.exception()
                    outcomes[key] = error if error is not None else future.result()
        except BaseException:
            # Interrupted (SIGTERM, Ctrl+C): start nothing more and do not wait here for the
            # running tasks; the caller tells them to stop.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return outcomes

    def _attempts(self, function: Callable[..., Any], args: tuple) -> Any:
        for attempt in range(len(self.retry.delays) + 1):
            try:
                return function(*args)
            except Exception as error:
                if attempt == len(self.retry.delays) or not self.retry.should_retry(error):
                    raise
                time.sleep(self.retry.delays[attempt])
        raise AssertionError("unreachable")


def run_prefect_graph(task: Any, calls: Mapping[Key, Call[Key]]) -> dict[Key, Any | BaseException]:
    """The same graph as Prefect task runs of the current flow run (`task.submit` + `wait_for`)."""
    futures: dict[Key, Any] = {}
    for key, call in calls.items():  # a call's needs come before it
        futures[key] = task.submit(*call.args, wait_for=[futures[n] for n in call.needs])
    outcomes: dict[Key, Any | BaseException] = {}
    for key, future in futures.items():
        future.wait()
        try:
            outcomes[key] = future.result()
        except Exception as error:  # noqa: BLE001 (returned, as the local graph does)
            outcomes[key] = error
    return outcomes
