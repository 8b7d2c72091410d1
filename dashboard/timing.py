"""How the server spends time: heavy imports warmed in the background, and each script run's
duration appended as JSON lines to $DORA_DASHBOARD_TIMINGS when set (the browser bench reads it).
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

TIMINGS_ENV = "DORA_DASHBOARD_TIMINGS"
_warmed = threading.Event()


def warm_imports() -> None:
    """Import the chart modules (Altair: about half a second) in the background, once per process.

    Whatever page a first visitor opens renders without waiting for them, and the first page with
    charts finds them imported (or waits only for the rest of the import).
    """
    if _warmed.is_set():
        return
    _warmed.set()
    threading.Thread(
        target=importlib.import_module, args=("dashboard.charts",), name="warm-imports", daemon=True
    ).start()


@contextmanager
def timed_run(page: str) -> Iterator[None]:
    """Time one run of `page`'s script; a run cut short by a rerun is marked `complete: false`."""
    target = os.environ.get(TIMINGS_ENV)
    if not target:
        yield
        return
    started = time.time()
    complete = False
    try:
        yield
        complete = True
    finally:
        ended = time.time()
        record = {
            "page": page,
            "started": started,
            "seconds": ended - started,
            "complete": complete,
        }
        with open(target, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(record) + "\n")
