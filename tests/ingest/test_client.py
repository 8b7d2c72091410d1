"""The rate-limit and retry policy, against a scripted local HTTP server (real HTTP, real PyGithub)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.client import (
    AccessDenied,
    BadCredentials,
    GitHubClient,
    MaxWaitExceeded,
    NotFound,
    RetryPolicy,
    TransientError,
)

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class Scripted:
    """Answers each GET with the next scripted (status, headers, body)."""

    def __init__(self, script: list[tuple[int, dict, dict | None]]) -> None:
        self.script = list(script)
        self.seen: list[dict] = []
        self.paths: list[str] = []  # as on the request line (absolute URL when used as a proxy)
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                scripted.seen.append(dict(self.headers))
                scripted.paths.append(self.path)
                status, headers, body = scripted.script.pop(0)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def client_for(server: Scripted, **policy) -> GitHubClient:
    policy = {"backoff_base": 0.01, "backoff_cap": 0.02, "secondary_wait": 0.05} | policy
    return GitHubClient(
        "s3cret", server.url, seconds_between_requests=0, policy=RetryPolicy(**policy)
    )


@pytest.fixture()
def scripted():
    servers: list[Scripted] = []
    yield lambda script: servers.append(Scripted(script)) or servers[-1]
    for s in servers:
        s.close()


def test_rate_limits_and_server_errors_are_waited_out_and_counted(scripted):
    reset = str(int(time.time()) + 1)
    server = scripted(
        [
            (500, {}, {"message": "boom"}),
            (429, {}, {"message": "slow down"}),  # no Retry-After: the secondary wait
            (403, {"Retry-After": "0"}, {"message": "You have exceeded a secondary rate limit"}),
            (
                403,
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
                {"message": "API rate limit exceeded"},
            ),
            (
                200,
                {"ETag": 'W/"1"', "X-RateLimit-Remaining": "4999", "X-RateLimit-Limit": "5000"},
                [1],
            ),
        ]
    )
    client = client_for(server)
    response = client.get(client.url("/x"))
    assert response.status == 200 and response.body == [1] and response.etag == 'W/"1"'
    assert client.stats.requests == 5 and client.stats.retries == 4
    assert client.stats.waited_seconds >= 1.0  # waited for the primary reset
    assert client.stats.rate_remaining == 4999
    assert server.seen[0]["Authorization"] in ("token s3cret", "Bearer s3cret")


def test_304_is_counted_and_sends_the_etag(scripted):
    server = scripted([(304, {"ETag": 'W/"1"'}, None)])
    client = client_for(server)
    assert client.get(client.url("/x"), etag='W/"1"').status == 304
    assert server.seen[0]["If-None-Match"] == 'W/"1"'
    assert (client.stats.not_modified, client.stats.charged) == (1, 0)


def test_errors_that_must_not_be_retried(scripted):
    server = scripted(
        [
            (401, {}, {"message": "Bad credentials"}),
            (404, {}, {"message": "Not Found"}),
            (403, {}, {"message": "Resource not accessible by integration"}),
        ]
    )
    with pytest.raises(BadCredentials) as bad:
        client_for(server).get(server.url + "/x")
    assert "s3cret" not in str(bad.value)
    with pytest.raises(NotFound):
        client_for(server).get(server.url + "/x")
    with pytest.raises(AccessDenied):
        client_for(server).get(server.url + "/x")
    assert len(server.seen) == 3


def test_a_wait_past_max_wait_stops_instead_of_sleeping(scripted):
    reset = str(int(time.time()) + 3600)
    server = scripted(
        [
            (
                403,
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
                {"message": "API rate limit exceeded"},
            )
        ]
    )
    started = time.monotonic()
    with pytest.raises(MaxWaitExceeded):
        client_for(server, max_wait=10).get(server.url + "/x")
    assert time.monotonic() - started < 5


@pytest.fixture()
def no_proxy_environment(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_a_proxy_set_in_the_environment_is_used(scripted, no_proxy_environment):
    proxy = scripted([(200, {}, {}), (200, {}, {})])
    no_proxy_environment.setenv("http_proxy", proxy.url)
    # a host that does not resolve: only the proxy can answer
    client = GitHubClient(
        None,
        "http://github.invalid:8080",
        seconds_between_requests=0,
        policy=RetryPolicy(backoff_base=0.01, backoff_cap=0.02, max_attempts=2),
    )
    assert client.get(client.url("/rate_limit")).status == 200
    # read when the connection opens, not on every request (that cost more CPU than the request)
    no_proxy_environment.delenv("http_proxy")
    assert client.get(client.url("/rate_limit")).status == 200
    assert proxy.paths == ["http://github.invalid:8080/rate_limit"] * 2


def test_no_proxy_in_the_environment_is_honoured(scripted, no_proxy_environment):
    server = scripted([(200, {}, {})])
    no_proxy_environment.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    no_proxy_environment.setenv("no_proxy", "127.0.0.1")
    client = client_for(server, max_attempts=2)
    assert client.get(server.url + "/x").status == 200
    assert server.paths == ["/x"]
    no_proxy_environment.delenv("no_proxy")  # the same proxy without the exception fails
    with pytest.raises(TransientError):
        client_for(server, max_attempts=2).get(server.url + "/x")


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:1", "https://api.github.com"])
def test_every_connection_reads_the_environment_once(base_url):
    # PyGithub offers no public hook for this; a renamed private attribute would bring back the
    # per-request environment scan silently, with every other test still passing
    client = GitHubClient(None, base_url)
    connection_class = client._requester._Requester__connectionClass
    assert connection_class.__name__.startswith("_Settled")
