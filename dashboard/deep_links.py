"""Carry a link's page and filters across the identity provider's round trip.

Streamlit's OIDC callback always redirects to the app's root with no query string (checked in
1.67: `_auth_callback` -> `_redirect_to_base`), and the signed-in browser starts a new session,
so neither the URL nor session state survives it. What does survive is the browser's XSRF
cookie, whose token Streamlit keeps across requests: the link is kept here for ten minutes,
keyed by a hash of that token, and taken back (once) by the first signed-in run.
"""

from __future__ import annotations

import binascii
import hashlib
import threading
import time
from dataclasses import dataclass

XSRF_COOKIE = "_streamlit_xsrf"
TTL_SECONDS = 600
MAX_LINKS = 10_000


@dataclass(frozen=True)
class Link:
    """Where someone was going: a page's url path ("" for the default) and its query string."""

    page: str
    params: tuple[tuple[str, str], ...]


_links: dict[str, tuple[float, Link]] = {}
_lock = threading.Lock()


def browser_key(xsrf_cookie: str | None) -> str | None:
    """A hash of the XSRF token in `_streamlit_xsrf` (`2|mask|masked token|time`), or None.

    The cookie's text changes on every response (a new mask) while the token stays the same.
    """
    try:
        version, mask_hex, masked_hex, _ = (xsrf_cookie or "").strip("\"'").split("|")
        mask, masked = binascii.a2b_hex(mask_hex), binascii.a2b_hex(masked_hex)
    except ValueError:
        return None
    if version != "2" or len(mask) != 4 or not masked:
        return None
    token = bytes(byte ^ mask[i % 4] for i, byte in enumerate(masked))
    return hashlib.sha256(token).hexdigest()


def remember(key: str | None, link: Link, now: float | None = None) -> None:
    """Keep `link` for the browser `key` (the latest one wins: one sign-in at a time)."""
    if key is None:
        return
    now = time.monotonic() if now is None else now
    with _lock:
        if len(_links) >= MAX_LINKS:
            for stale in [k for k, (at, _) in _links.items() if now - at > TTL_SECONDS]:
                del _links[stale]
            if len(_links) >= MAX_LINKS:  # still full: forget the oldest
                del _links[min(_links, key=lambda k: _links[k][0])]
        _links[key] = (now, link)


def take(key: str | None, now: float | None = None) -> Link | None:
    """The link kept for `key` within the last ten minutes, forgotten as it is returned."""
    if key is None:
        return None
    now = time.monotonic() if now is None else now
    with _lock:
        kept = _links.pop(key, None)
    if kept is None or now - kept[0] > TTL_SECONDS:
        return None
    return kept[1]
