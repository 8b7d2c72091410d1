"""Requests, responses and GitHub's pagination for the simulator's routes (no HTTP here).

`link_header` builds `Link` exactly as GitHub does (prev, next, last, first; none on a single
page; compare's own variant); `Fragments` splices pre-serialised sub-objects into the JSON.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

DOCS = "https://docs.github.com/rest"


@dataclass
class Request:
    path: str  # without the /api/v3 prefix, still percent-encoded
    query: list[tuple[str, str]]
    api: str  # API root the client used, for URLs in bodies and Link
    web: str  # host root, for html_url

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)


@dataclass
class Response:
    status: int
    body: object
    link: str | None = None
    items: int = 0
    headers: dict[str, str] = field(default_factory=dict)


def not_found() -> Response:
    return Response(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


def invalid(message: str) -> Response:
    return Response(
        422,
        {"message": f"Validation Failed: {message}", "documentation_url": DOCS, "status": "422"},
    )


# --- Pagination, exactly like GitHub ---


@dataclass
class Page:
    page: int
    per_page: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def end(self) -> int:
        return self.page * self.per_page


def page_of(req: Request, default: int = 30, maximum: int = 100) -> Page:
    params = req.params
    try:
        per_page = int(params.get("per_page", default))
    except ValueError:
        per_page = default
    try:
        page = int(params.get("page", 1))
    except ValueError:
        page = 1
    per_page = default if per_page <= 0 else min(per_page, maximum)
    return Page(max(page, 1), per_page)


def link_header(
    req: Request, link_base: str, page: Page, total: int, compare: bool = False
) -> str | None:
    """`Link` with prev/next/last/first; absent on a single page (compare always has `first`)."""
    last = max(1, math.ceil(total / page.per_page))
    query = [(k, v) for k, v in req.query if k != "page"]

    def url(n: int) -> str:
        return f"<{link_base}?{urlencode([*query, ('page', str(n))])}>"

    rels: list[tuple[str, int]] = []
    if compare:
        if last > 1:
            rels.append(("last", last))
        if page.page < last:
            rels.append(("next", page.page + 1))
        rels.append(("first", 1))
        if page.page > 1:
            rels.append(("prev", page.page - 1))
    else:
        if page.page > 1:
            rels.append(("prev", page.page - 1))
        if page.page < last:
            rels += [("next", page.page + 1), ("last", last)]
        if page.page > 1:
            rels.append(("first", 1))
    return ", ".join(f'{url(n)}; rel="{rel}"' for rel, n in rels) or None


def bare_list(req: Request, link_base: str, items: list, draw: Callable, **page_kw) -> Response:
    page = page_of(req, **page_kw)
    chunk = items[page.start : page.end]
    body = [draw(item) for item in chunk]
    return Response(200, body, link_header(req, link_base, page, len(items)), len(body))


def wrapped_list(req: Request, link_base: str, key: str, items: list, draw: Callable) -> Response:
    page = page_of(req)
    body = [draw(item) for item in items[page.start : page.end]]
    link = link_header(req, link_base, page, len(items))
    return Response(200, {"total_count": len(items), key: body}, link, len(body))


class Fragments:
    """Sub-objects repeated on every item (users, a run's repository) serialised once.

    A payload holds a token string where the object goes; `dump` replaces the token's JSON with the
    cached JSON text, which is byte-identical to serialising the object in place, and 4x faster.
    """

    TOKEN = re.compile(r'"\\u0000fragment:(\d+)\\u0000"')

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._tokens: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def token(self, key: tuple, build: Callable[[], object]) -> str:
        token = self._tokens.get(key)
        if token is None:
            text = self.dump(build()).decode()  # fragments may nest (a repo holds its owner)
            with self._lock:
                token = self._tokens.get(key)
                if token is None:
                    token = f"\x00fragment:{len(self._texts)}\x00"
                    self._texts.append(text)
                    self._tokens[key] = token
        return token

    def dump(self, body: object) -> bytes:
        """Compact JSON as GitHub sends it, with fragments spliced in."""
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if "\\u0000fragment:" in text:
            text = self.TOKEN.sub(lambda m: self._texts[int(m.group(1))], text)
        return text.encode()


# One registry for the process: keys name everything a fragment depends on (base URL, record,
# and for mutable records the API's generation), so servers and rebuilds never collide.
FRAGMENTS = Fragments()


def dump(body: object) -> bytes:
    """Compact JSON as GitHub sends it, with fragments spliced in."""
    return FRAGMENTS.dump(body)
