"""A small local HTTP server that replays PyGithub's recorded GitHub traffic (ReplayData files).

Requests are matched by path, then by the query parameters they share with a recording;
`https://api.github.com` is rewritten to the local base in headers and bodies; a recorded ETag answers `If-None-Match` with 304, as GitHub does. Pages past the recording are empty and
unknown paths are 404, so the real ingest code can run over it unchanged.
"""

from __future__ import annotations

import ast
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

DROPPED_HEADERS = {
    "content-length",
    "transfer-encoding",
    "content-encoding",
    "status",
    "connection",
}


@dataclass
class Exchange:
    verb: str
    path: str
    query: frozenset
    status: int
    headers: list[tuple[str, str]]
    body: str


def read_replay_file(path: Path) -> list[Exchange]:
    """Parse the 11-line exchanges of one ReplayData file."""
    lines = path.read_text(encoding="utf-8").split("\n")
    exchanges = []
    for i in range(0, len(lines) - 10, 11):
        block = lines[i : i + 11]
        if not block[1].strip():
            break
        url = urlsplit(block[4])
        exchanges.append(
            Exchange(
                verb=block[1],
                path=url.path,
                query=frozenset(parse_qsl(url.query)),
                status=int(block[7]),
                headers=[(k, v) for k, v in ast.literal_eval(block[8])],
                body=block[9],
            )
        )
    return exchanges


class ReplayServer:
    """Serve recorded exchanges on 127.0.0.1; `extra` adds derived responses by path."""

    def __init__(self, files: list[Path]) -> None:
        self.exchanges = [e for f in files for e in read_replay_file(f)]
        self.extra: dict[str, tuple[int, list[tuple[str, str]], str]] = {}
        self.requests: list[str] = []
        self.not_modified = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, body: object, status: int = 200, headers=()) -> None:
        self.extra[path] = (status, list(headers), json.dumps(body))

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, path: str, query: frozenset, if_none_match: str | None):
        if path in self.extra:
            return self.extra[path]
        found = [
            e for e in self.exchanges if e.verb == "GET" and e.path == path and e.status == 200
        ]
        exact = [e for e in found if e.query == query]
        if exact or found:
            # Else the recording sharing most parameters with the request, least filtered otherwise.
            e = (
                exact[-1]
                if exact
                else min(
                    reversed(found), key=lambda x: (-len(x.query & query), len(x.query - query))
                )
            )
            return e.status, e.headers, e.body
        if int(dict(query).get("page", "1")) > 1:
            return 200, [("Content-Type", "application/json")], "[]"
        return 404, [("Content-Type", "application/json")], '{"message":"Not Found"}'

    def _handler(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                replay.requests.append(self.path)
                status, headers, body = replay.respond(
                    url.path, frozenset(parse_qsl(url.query)), self.headers.get("If-None-Match")
                )
                etag = next((v for k, v in headers if k.lower() == "etag"), None)
                if etag and self.headers.get("If-None-Match") == etag:
                    replay.not_modified += 1
                    status, body = 304, ""
                data = body.replace("https://api.github.com", replay.base_url).encode()
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in DROPPED_HEADERS:
                        self.send_header(
                            name, value.replace("https://api.github.com", replay.base_url)
                        )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
