"""HTTP behaviour a GitHub client depends on: ETag/304, the rate limit, errors, faults, control.

Driven through PyGithub's requester (real HTTP) where the client's own behaviour matters
(retries, waits), and through urllib where raw bytes and headers are the point.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.request

import pytest
from fixture_org import PLATFORM_RUNS, build_fixture_org
from github import Auth, Github, GithubException
from github.GithubRetry import GithubRetry

from simulator.server import FaultSpec, FaultSpecError, SimulatorServer

RUNS = "/repos/acme/platform/actions/runs"


def client(server: SimulatorServer, **kw) -> Github:
    return Github(
        auth=Auth.Token("x"), base_url=server.base_url, per_page=2, seconds_between_requests=0, **kw
    )


def fetch(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


# --- ETag and 304 ---


def test_etag_and_free_304(server):
    gh = client(server)
    status, headers, body = gh.requester.requestJson("GET", RUNS)
    etag = headers["etag"]
    assert status == 200 and etag.startswith('W/"')
    assert gh.requester.requestJson("GET", RUNS)[1]["etag"] == etag  # stable for the same content
    charged = server.stats()["charged_requests"]
    remaining = headers["x-ratelimit-remaining"]
    status, headers, body = gh.requester.requestJson("GET", RUNS, headers={"If-None-Match": etag})
    assert status == 304 and body == ""
    assert headers["etag"] == etag
    assert server.stats()["charged_requests"] == charged  # not charged, as on GitHub
    assert server.stats()["not_modified"] == 1
    assert int(headers["x-ratelimit-remaining"]) == int(remaining) - 1  # only the 2nd 200 counted
    other = gh.requester.requestJson("GET", RUNS, {"page": 2})[1]["etag"]
    assert other != etag
    stale = gh.requester.requestJson("GET", RUNS, {"page": 2}, headers={"If-None-Match": etag})
    assert stale[0] == 200


# --- Errors, auth and prefixes ---


def test_unknown_route_and_missing_objects_are_github_404s(server):
    for path in ("/nope", "/repos/acme/nope", "/repos/acme/platform/actions/runs/1", "/users/x/y"):
        status, headers, body = fetch(server.base_url + path)
        assert status == 404, path
        payload = json.loads(body)
        assert payload["message"] == "Not Found" and payload["documentation_url"].startswith(
            "https://"
        )
        assert "X-RateLimit-Remaining" in headers


def test_bad_token_is_401_and_other_tokens_pass(server):
    status, _, body = fetch(server.base_url + RUNS, {"Authorization": "token bad-token"})
    assert status == 401 and json.loads(body)["message"] == "Bad credentials"
    assert fetch(server.base_url + RUNS, {"Authorization": "Bearer bad-token"})[0] == 401
    assert fetch(server.base_url + RUNS, {"Authorization": "Bearer anything"})[0] == 200
    with pytest.raises(GithubException) as err:
        Github(auth=Auth.Token("bad-token"), base_url=server.base_url).get_repo("acme/platform")
    assert err.value.status == 401


def test_enterprise_prefix_and_repositories_id_routes(server):
    gh = Github(
        auth=Auth.Token("x"),
        base_url=server.base_url + "/api/v3",
        per_page=2,
        seconds_between_requests=0,
    )
    repo = gh.get_repo("acme/platform")
    assert repo.url == f"{server.base_url}/api/v3/repos/acme/platform"
    runs = repo.get_workflow_runs()
    assert len(list(runs)) == PLATFORM_RUNS
    status, headers, body = gh.requester.requestJson("GET", "/repos/acme/platform/actions/runs")
    assert f"{server.base_url}/api/v3/repositories/1001/actions/runs?page=2" in headers["link"]
    same = fetch(f"{server.base_url}/repositories/1001/actions/runs")[2]
    assert same == fetch(f"{server.base_url}/repos/acme/platform/actions/runs")[2]


def test_link_header_like_github(server):
    _, headers, _ = fetch(f"{server.base_url}{RUNS}?per_page=2&status=completed&page=3")
    base = f"{server.base_url}/repositories/1001/actions/runs?per_page=2&status=completed"
    assert headers["Link"] == (
        f'<{base}&page=2>; rel="prev", <{base}&page=4>; rel="next", '
        f'<{base}&page=20>; rel="last", <{base}&page=1>; rel="first"'
    )
    _, headers, _ = fetch(f"{server.base_url}/repos/acme/platform/actions/workflows")
    assert "Link" not in headers  # a single page has none
    _, headers, body = fetch(f"{server.base_url}/orgs/acme/repos?per_page=1")
    next_url = headers["Link"].split(">")[0].lstrip("<")
    assert "/organizations/" in next_url and next_url.endswith("per_page=1&page=2")
    second = json.loads(fetch(next_url)[2])
    assert [r["full_name"] for r in json.loads(body) + second] == ["acme/web", "acme/platform"]
    _, headers, body = fetch(f"{server.base_url}{RUNS}?per_page=500")
    assert len(json.loads(body)["workflow_runs"]) == PLATFORM_RUNS  # capped at 100, 40 exist
    _, _, body = fetch(f"{server.base_url}{RUNS}")
    assert len(json.loads(body)["workflow_runs"]) == 30  # default per_page


# --- Primary rate limit ---


def test_rate_limit_exhaustion_then_reset():
    with SimulatorServer(build_fixture_org(), rate_limit=3, rate_reset_seconds=2) as server:
        raw = client(server, retry=None)
        for expected in (2, 1, 0):
            _, headers, _ = raw.requester.requestJson("GET", RUNS)
            assert headers["x-ratelimit-remaining"] == str(expected)
        status, headers, body = raw.requester.requestJson("GET", RUNS)
        assert status == 403 and headers["x-ratelimit-remaining"] == "0"
        assert json.loads(body)["message"] == "API rate limit exceeded for user ID 1."
        assert headers["x-ratelimit-resource"] == "core" and int(headers["x-ratelimit-reset"]) > 0
        assert raw.requester.requestJson("GET", "/rate_limit")[0] == 200  # free
        # PyGithub's GithubRetry waits until X-RateLimit-Reset and then succeeds.
        started = time.monotonic()
        assert client(server).get_repo("acme/platform").full_name == "acme/platform"
        assert time.monotonic() - started >= 0.5
        assert server.stats()["requests"]["/repos/{owner}/{repo}"] == {"200": 1, "403": 1}


# --- Faults ---


def test_fault_spec_parses_and_is_reproducible():
    spec = "5xx=0.2,403=0.1,429=0.1,reset=0.1,slow=0.1,seed=4"
    a, b = FaultSpec.parse(spec), FaultSpec.parse(spec)
    assert [a.draw() for _ in range(200)] == [b.draw() for _ in range(200)]
    kinds = {d[0] for d in (a.draw() for _ in range(500)) if d}
    assert kinds == {"5xx", "403", "429", "reset", "slow"}
    other = FaultSpec.parse(spec.replace("seed=4", "seed=5"))
    assert [other.draw() for _ in range(200)] != [FaultSpec.parse(spec).draw() for _ in range(200)]
    assert FaultSpec.parse("seed=1").draw() is None
    for bad in ("5xx", "boom=0.1", "5xx=2", "5xx=0.6,403=0.6", "slow=abc"):
        with pytest.raises(FaultSpecError):
            FaultSpec.parse(bad)


def _faulty(spec: str, **kw) -> SimulatorServer:
    return SimulatorServer(build_fixture_org(), faults=FaultSpec.parse(spec), **kw)


def test_server_errors_are_retried_by_pygithub():
    with _faulty("5xx=0.4,seed=2") as server:
        runs = list(client(server).get_repo("acme/platform").get_workflow_runs())
        assert len(runs) == PLATFORM_RUNS
        statuses = server.stats()["requests"]["/repos/{owner}/{repo}/actions/runs"]
        assert sum(statuses.get(s, 0) for s in ("500", "502", "503")) > 0
        assert statuses["200"] == PLATFORM_RUNS // 2


def test_secondary_limit_403_and_429_wait_retry_after():
    for spec, status in (("403=0.5,seed=1", "403"), ("429=0.5,seed=1", "429")):
        with _faulty(spec, retry_after_seconds=1) as server:
            started = time.monotonic()
            gh = client(server)
            workflows = list(gh.get_repo("acme/platform").get_workflows())
            elapsed = time.monotonic() - started
            assert len(workflows) == 2
            stats = server.stats()
            hits = sum(c.get(status, 0) for c in stats["requests"].values())
            assert hits == stats["faults"][status] > 0
            assert elapsed >= hits * 1.0  # PyGithub/urllib3 honoured Retry-After each time
    status, headers, body = _raw_fault("403=1,seed=1")
    assert status == 403 and headers["Retry-After"] == "1"
    assert json.loads(body)["message"].startswith("You have exceeded a secondary rate limit")
    status, headers, _ = _raw_fault("429=1,seed=1")
    assert status == 429 and headers["Retry-After"] == "1"


def _raw_fault(spec: str) -> tuple[int, dict, bytes]:
    with _faulty(spec) as server:
        return fetch(server.base_url + RUNS)


def test_connection_reset_mid_response():
    # PyGithub reads bodies outside urllib3's retry loop, so a reset mid-body surfaces as an error
    # the caller must retry; a later request on a fresh connection succeeds.
    import requests

    with _faulty("reset=0.5,seed=5") as server:
        gh = client(server)
        outcomes = []
        for _ in range(6):
            try:
                gh.requester.requestJson("GET", RUNS)
                outcomes.append("ok")
            except (requests.exceptions.RequestException, ConnectionError):
                outcomes.append("reset")
        assert "reset" in outcomes and "ok" in outcomes
        assert server.stats()["faults"]["reset"] == outcomes.count("reset")


def test_slow_responses():
    with _faulty("slow=1,seed=1,slow_seconds=0.3") as server:
        started = time.monotonic()
        status, _, _ = fetch(server.base_url + RUNS)
        assert status == 200 and time.monotonic() - started >= 0.3


def test_pygithub_survives_every_fault_kind_together():
    spec = "5xx=0.1,403=0.05,429=0.05,slow=0.05,seed=11,slow_seconds=0.05"
    with _faulty(spec, retry_after_seconds=0) as server:
        gh = client(server, retry=GithubRetry(total=10, secondary_rate_wait=0))
        runs = list(gh.get_repo("acme/platform").get_workflow_runs())
        assert len(runs) == PLATFORM_RUNS
        assert sum(server.stats()["faults"].values()) > 0


# --- Control endpoints, determinism, concurrency ---


def test_stats_and_reset(server):
    fetch(server.base_url + RUNS)
    fetch(server.base_url + "/nope")
    status, _, body = fetch(server.base_url + "/_simulator/stats")
    stats = json.loads(body)
    assert stats["requests"]["/repos/{owner}/{repo}/actions/runs"] == {"200": 1}
    assert stats["requests"]["unknown"] == {"404": 1}
    assert stats["items_served"] == 30 and stats["charged_requests"] == 2
    assert fetch(server.base_url + "/_simulator/reset", method="POST")[0] == 200
    assert server.stats()["total_requests"] == 0 and server.stats()["rate_limit"]["used"] == 0


def test_truth_is_served(server, fixture_org):
    status, _, body = fetch(server.base_url + "/_simulator/truth")
    assert status == 200 and json.loads(body) == fixture_org.truth


PATHS = [
    "/repos/acme/platform",
    RUNS + "?per_page=5&page=2",
    RUNS + "?created=2026-05-02",
    "/repos/acme/platform/deployments",
    "/repos/acme/platform/commits",
    "/repos/acme/platform/compare/stale...main",
    "/repos/acme/platform/issues?state=all",
    "/repos/acme/platform/contents/.github/workflows/ci.yml",
]


def _snapshot(server: SimulatorServer) -> list[tuple[int, str | None, str | None, bytes]]:
    out = []
    for path in PATHS:
        status, headers, body = fetch(server.base_url + path)
        out.append((status, headers.get("ETag"), headers.get("Link"), body))
    return out


def test_same_org_gives_byte_identical_responses_across_servers():
    first = SimulatorServer(build_fixture_org()).start()
    port = int(first.base_url.rsplit(":", 1)[1])
    try:
        one = _snapshot(first)
    finally:
        first.stop()
    with SimulatorServer(build_fixture_org(), port=port) as second:
        two = _snapshot(second)
    assert one == two


def test_concurrent_clients_get_consistent_pages(server):
    expected = {path: fetch(server.base_url + path)[2] for path in PATHS}
    failures: list[str] = []

    def worker() -> None:
        for path in PATHS * 3:
            status, _, body = fetch(server.base_url + path)
            if status != 200 or body != expected[path]:
                failures.append(path)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert server.stats()["total_requests"] == len(PATHS) * (1 + 8 * 3)


# --- Holds: a test knows a client is blocked inside a request ---

RUNS_ROUTE = "/repos/{owner}/{repo}/actions/runs"


def test_a_held_route_blocks_its_requests_until_released(server):
    statuses: list[int] = []

    def ask(path: str) -> None:
        statuses.append(fetch(server.base_url + path)[0])

    with server.hold("Acme/Platform", RUNS_ROUTE) as hold:
        askers = [
            threading.Thread(target=ask, args=(path,))
            for path in (RUNS, "/repositories/1001/actions/runs?page=2")  # both name the repo
        ]
        for asker in askers:
            asker.start()
        assert hold.wait_held(10, count=2)
        # other repositories and other routes of the same one are answered meanwhile
        assert fetch(server.base_url + "/repos/acme/web/actions/runs")[0] == 200
        assert fetch(server.base_url + "/repos/acme/platform/deployments")[0] == 200
        assert not hold.wait_held(0.3, count=3) and statuses == []
        assert all(asker.is_alive() for asker in askers)
    for asker in askers:
        asker.join(10)
    assert statuses == [200, 200]
    assert fetch(server.base_url + RUNS)[0] == 200  # released: no longer held
    assert hold.held == 2


def test_a_hold_names_a_repository_and_a_route_that_exist(server):
    with pytest.raises(ValueError, match="no such repository"):
        server.hold("acme/nope", RUNS_ROUTE).__enter__()
    with pytest.raises(ValueError, match="no such repository route"):
        server.hold("acme/platform", "/repos/{owner}/{repo}/actions/run").__enter__()


def test_a_client_that_hangs_up_while_held_is_no_traceback(server, capsys):
    """A dropped client is normal: the server prints no traceback when it finds it gone."""
    with server.hold("acme/platform", RUNS_ROUTE) as hold:
        client_socket = socket.create_connection(server.base_url.removeprefix("http://").split(":"))
        client_socket.sendall(f"GET {RUNS} HTTP/1.1\r\nHost: sim\r\n\r\n".encode())
        assert hold.wait_held(10)
        # as the kernel does for a killed process with unread data: reset, not a polite close
        client_socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client_socket.close()
    handlers = [t for t in threading.enumerate() if "process_request" in t.name]
    for handler in handlers:  # the held request's thread, answering into the reset socket
        handler.join(10)
    assert not any(handler.is_alive() for handler in handlers)
    assert "Traceback" not in capsys.readouterr().err
    assert fetch(server.base_url + RUNS)[0] == 200  # and it serves on
