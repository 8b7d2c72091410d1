"""The dashboard's audit trail: sign-ins, sign-outs and refusals, one line each on stderr.

A line holds the time (UTC), the event, the email and what was decided; never a token, a
cookie or a secret (nothing here ever receives one). Values that came from a person (an
email, a link's filter) are written with `repr`, so a crafted value cannot forge a line.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

_logger = logging.getLogger("dora.dashboard.audit")
_seen: set[tuple[str, str, object]] = set()
_seen_lock = threading.Lock()


class _UtcFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", self.converter(record.created))


def _ready() -> logging.Logger:
    # Our own handler: Streamlit configures its loggers, not ours, and its level must not hide these.
    if not _logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_UtcFormatter("%(asctime)s dora-audit %(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
        _logger.propagate = False
    return _logger


def record(event: str, email: str | None, **details: object) -> None:
    """One audit line: `<time> dora-audit <event> email='...' key=value ...`."""
    fields = " ".join(f"{key}={value!r}" for key, value in details.items())
    _ready().info("%s email=%r%s", event, email, f" {fields}" if fields else "")


def record_once(event: str, email: str | None, sign_in: object, **details: object) -> None:
    """`record`, once per event, person and sign-in (a sign-in's `iat`), however many tabs."""
    key = (event, email or "", sign_in)
    with _seen_lock:
        if key in _seen:
            return
        _seen.add(key)
    record(event, email, **details)
