"""A GitHub-compatible REST server on loopback that serves a simulated organisation.

HTTP mechanics live here, as GitHub shows them to a client: token check (401 for `bad-token`),
the primary rate limit (`X-RateLimit-*` on every response, 403 when spent, `/rate_limit` free),
weak ETags and free 304s, seeded faults (5xx, secondary-limit 403, 429, reset, slow, primary
limit exhaustion), per-route stats, a test's holds on a route (`simulator.server.holds`), and the
`/_simulator/*` control endpoints. Routes and payloads are in `simulator.server.routes` and
`simulator.server.payloads`. Also served under `/api/v3`, as GitHub Enterprise Server does.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from simulator.records import Organisation
from simulator.server.credentials import Credentials
from simulator.server.faults import FaultSpec
from simulator.server.graphql_endpoint import GraphQLEndpoint
from simulator.server.holds import Hold, Holds
from simulator.server.payloads import rate_limit
from simulator.server.responses import DOCS, Request, Response, dump
from simulator.server.routes import GitHubApi
from simulator.server.server_state import RateBudget, ReadWriteLock, Stats

__all__ = ["FaultSpec", "SimulatorServer"]

ENTERPRISE_PREFIX = "/api/v3"
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)
PRIMARY_LIMIT_MESSAGE = "API rate limit exceeded for user ID 1."
GRAPHQL_PATHS = ("/graphql", "/api/graphql")  # github.com; GitHub Enterprise Server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sim: SimulatorServer  # set on the subclass made per server

    # Headers and body go out in separate writes; with Nagle's algorithm on, the client's delayed
    # ACK then holds every keep-alive response back by ~40 ms (measured: 3,150 requests took 112 s).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: tests and benchmarks make many thousands of requests."""

    def do_GET(self) -> None:  # noqa: N802
        self.sim._serve(self, "GET")

    def do_POST(self) -> None:  # noqa: N802
        self.sim._serve(self, "POST")

    def finish(self) -> None:
        # The socket may have been reset on purpose (fault injection) or by the client.
        with contextlib.suppress(OSError):
            super().finish()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hung up (killed mid-request, say) is normal, not a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class SimulatorServer:
    """Serve `org` over HTTP on `host:port` (port 0 picks a free one); start() runs it in a thread."""

    def __init__(
        self,
        org: Organisation,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultSpec | None = None,
        rate_limit: int = 5000,
        rate_reset_seconds: int = 3600,
        retry_after_seconds: int = 1,
        credentials: Credentials | None = None,
    ) -> None:
        self.org = org
        self.api = GitHubApi(org)
        self.graphql = GraphQLEndpoint(org, retry_after_seconds)
        self.faults = faults
        self.retry_after_seconds = retry_after_seconds
        # Who pays for a request (simulator.server.credentials): by default one budget for
        # every token.
        self.credentials = credentials or Credentials(rate_limit, rate_reset_seconds)
        self.budget = self.credentials.shared_core
        self._stats = Stats()
        self._rw = ReadWriteLock()
        handler = type("SimulatorHandler", (_Handler,), {"sim": self})
        self._httpd = _HTTPServer((host, port), handler)
        self.holds = Holds(self.api, self._rw)
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"

    # --- lifecycle ---

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="simulator-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI); close() afterwards."""
        self._httpd.serve_forever()

    def close(self) -> None:
        self._httpd.server_close()

    def stop(self) -> None:
        self.holds.release_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control ---

    def stats(self) -> dict:
        body = self._stats.as_dict()
        limit, used, reset = self.budget.snapshot()
        body["rate_limit"] = {
            "limit": limit,
            "used": used,
            "remaining": limit - used,
            "reset": reset,
        }
        body.update(self.graphql.stats.as_dict())  # GraphQL queries and points, apart from REST
        body["rest_requests"] = body["total_requests"] - body["graphql"]["queries"]
        if self.credentials.per_credential:
            body["credentials"] = self.credentials.usage()
        return body

    def reset(self) -> None:
        """Zero the counters and refill the rate budget."""
        self._stats.reset()
        self.graphql.stats.reset()
        self.credentials.restart()

    def advance(self, days: int, failures: tuple[str, ...] = ()) -> None:
        """Generate `days` more days of activity (simulator.generator.advance) and re-index."""
        from simulator.generator import advance

        self._rw.acquire_write()
        try:
            advance(self.org, days=days, failures=failures)
            self.api.rebuild()
            self.graphql.rebuild()
        finally:
            self._rw.release_write()

    def hold(self, repo: str, route: str) -> contextlib.AbstractContextManager[Hold]:
        """Block every REST request for `repo`'s `route` (a template, as `stats()` names it) until
        the `with` block ends; yields the hold, to wait until a request is held."""
        return self.holds.hold(repo, route)

    # --- request handling ---

    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        # read it all, or the kept-alive connection's next request breaks
        raw = h.rfile.read(length) if length else b""
        url = urlsplit(h.path)
        path = url.path
        query = parse_qsl(url.query, keep_blank_values=True)
        if path.startswith("/_simulator/"):
            self._control(h, method, path, dict(query))
            return
        api = self.base_url
        if path == ENTERPRISE_PREFIX or path.startswith(ENTERPRISE_PREFIX + "/"):
            path = path[len(ENTERPRISE_PREFIX) :] or "/"
            api = self.base_url + ENTERPRISE_PREFIX
        caller = self.credentials.identify(h.headers.get("Authorization", ""))
        if caller is None or (caller.kind == "app" and not path.startswith(("/app/", "/orgs/"))):
            body = {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
            self._stats.record("unauthorized", 401)
            self._send(h, 401, dump(body), self.budget.headers())
            return
        app = self.credentials.app_route(method, path, caller, self.org.login)
        if app is not None:
            self._stats.record("/app (GitHub App)", app[0])
            self._send(h, app[0], dump(app[1]))
            return
        budget, graphql_budget = self.credentials.budgets(caller)
        if method == "POST" and h.path.split("?", 1)[0] in GRAPHQL_PATHS:
            fault = self.faults.draw() if self.faults else None
            if fault is not None:
                self._stats.fault(fault[0])
            status, data, headers = self.graphql.respond(raw, graphql_budget, fault, self._rw)
            self._stats.record("/graphql", status)
            self._send(h, status, data, headers)
            return
        if method != "GET":
            self._stats.record("unknown", 404)
            self._send(h, 404, dump({"message": "Not Found", "documentation_url": DOCS}))
            return

        fault = self.faults.draw() if self.faults else None
        if fault is not None and fault[0] == "graphql":
            fault = None  # a GraphQL-only fault: REST requests go through
        if fault is not None:
            kind, status = fault
            self._stats.fault(kind)
            if kind == "slow":
                time.sleep(self.faults.slow_seconds)
            elif kind == "primary":
                # The request goes on and finds the budget spent: the real primary-limit 403.
                budget.exhaust(self.retry_after_seconds)
            elif kind in ("5xx", "403", "429"):
                self._send_fault(h, path, kind, status, budget)
                return

        if path.rstrip("/") == "/rate_limit":
            # Free for the primary limit, as on GitHub.
            limit, used, reset = budget.snapshot()
            data = dump(rate_limit(limit, used, reset))
            self._finish_get(h, "/rate_limit", Response(200, None), data, False, fault, budget)
            return

        self.holds.wait_if_held(path)  # a test's hold (`hold`)
        self._rw.acquire_read()
        try:
            route, response = self.api.handle(Request(path, query, api, self.base_url))
            data = dump(response.body)
        finally:
            self._rw.release_read()
        self._finish_get(h, route, response, data, True, fault, budget)

    def _finish_get(
        self,
        h: BaseHTTPRequestHandler,
        route: str,
        response: Response,
        data: bytes,
        charge: bool,
        fault: tuple[str, int] | None,
        budget: RateBudget,
    ) -> None:
        etag = 'W/"' + hashlib.sha256(data).hexdigest() + '"'
        headers = dict(response.headers)
        if response.status == 200:
            headers["ETag"] = etag
        if response.link:
            headers["Link"] = response.link
        not_modified = response.status == 200 and _etag_matches(
            h.headers.get("If-None-Match"), etag
        )
        if (not charge or not_modified) and fault is not None and fault[0] == "primary":
            self._stats.primary_on_free_answer()  # free: served although the budget is spent
        if not_modified:
            self._stats.record(route, 304)
            self._send(h, 304, b"", {**budget.headers(), **headers})
            return
        if charge and not budget.try_charge():
            body = {
                "message": PRIMARY_LIMIT_MESSAGE,
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            }
            self._stats.record(route, 403)
            self._send(h, 403, dump(body), budget.headers())
            return
        self._stats.record(route, response.status, response.items, charged=charge)
        if fault is not None and fault[0] == "reset":
            self._send_reset(h, response.status, data, {**budget.headers(), **headers})
            return
        self._send(h, response.status, data, {**budget.headers(), **headers})

    def _send_fault(
        self, h: BaseHTTPRequestHandler, path: str, kind: str, status: int, budget: RateBudget
    ) -> None:
        headers = budget.headers()
        if kind == "5xx":
            body = {"message": "Server Error"} if status == 500 else None
            data = dump(body) if body else b"<html><body>Bad gateway</body></html>"
        else:
            headers["Retry-After"] = str(self.retry_after_seconds)
            message = SECONDARY_LIMIT_MESSAGE if kind == "403" else "Too many requests."
            data = dump(
                {
                    "message": message,
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                }
            )
        self._stats.record(self.api.template_for(path), status)
        self._send(h, status, data, headers)

    def _control(
        self, h: BaseHTTPRequestHandler, method: str, path: str, params: dict[str, str]
    ) -> None:
        if method == "GET" and path == "/_simulator/stats":
            self._send(h, 200, dump(self.stats()))
        elif method == "GET" and path == "/_simulator/truth":
            self._rw.acquire_read()
            try:
                data = dump(self.org.truth)
            finally:
                self._rw.release_read()
            self._send(h, 200, data)
        elif method == "POST" and path == "/_simulator/reset":
            self.reset()
            self._send(h, 200, dump({"reset": True}))
        elif method == "POST" and path == "/_simulator/advance":
            try:
                days = int(params.get("days", "1"))
            except ValueError:
                self._send(h, 422, dump({"message": "days must be an integer"}))
                return
            failures = tuple(r for r in params.get("failures", "").split(",") if r)
            unknown = [r for r in failures if r.lower() not in {n.lower() for n in self.org.repos}]
            if unknown:
                self._send(h, 422, dump({"message": f"no such repository: {unknown[0]}"}))
                return
            self.advance(days, failures)
            self._send(h, 200, dump({"advanced_days": days, "end": self.org.end.isoformat(), "failures": list(failures)}))  # fmt: skip
        elif method == "POST" and path == "/_simulator/unlabel":
            self._unlabel(h, params)
        elif method == "POST" and path == "/_simulator/revoke" and params.get("token"):
            self.credentials.revoke(params["token"])  # a test's way to revoke a credential
            self._send(h, 200, dump({"revoked": True}))
        else:
            self._send(h, 404, dump({"message": "Not Found", "documentation_url": DOCS}))

    def _unlabel(self, h: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        """`POST /_simulator/unlabel?repo=OWNER/NAME&number=N&label=L`: take a label off an issue."""
        from simulator.generator import remove_label

        number = params.get("number", "")
        self._rw.acquire_write()
        try:
            done = number.isdigit() and remove_label(
                self.org, params.get("repo", ""), int(number), params.get("label", "")
            )
        finally:
            self._rw.release_write()
        if not done:
            self._send(h, 404, dump({"message": "no such issue with that label"}))
            return
        self._send(h, 200, dump({"unlabelled": True}))

    # --- wire ---

    @staticmethod
    def _base_headers(status: int, length: int, headers: dict[str, str] | None) -> list:
        out = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(length)),
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            ("X-GitHub-Api-Version-Selected", "2022-11-28"),
        ]
        if status == 304:
            out = out[2:]
        return out + list((headers or {}).items())

    def _send(
        self, h: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict | None = None
    ) -> None:
        h.send_response(status)
        for name, value in self._base_headers(status, len(data), headers):
            h.send_header(name, value)
        h.end_headers()
        if data and h.command != "HEAD":
            h.wfile.write(data)

    def _send_reset(
        self, h: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict
    ) -> None:
        """Promise the whole body, send half, then reset the connection (RST, not FIN)."""
        h.send_response(status)
        for name, value in self._base_headers(status, len(data), headers):
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data[: len(data) // 2])
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True
        h.connection.close()


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    strip = lambda tag: tag.strip().removeprefix("W/")  # noqa: E731
    return any(strip(tag) == strip(etag) for tag in header.split(","))
