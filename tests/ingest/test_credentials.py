"""Several tokens and a GitHub App against per-credential budgets in the simulator, over HTTP."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from ingest.client import BadCredentials
from ingest.credentials import AppKey, Credential, CredentialPool, tokens_from_environment
from simulator.generator import generate_organisation
from simulator.server import Credentials, SimulatorServer
from tests.ingest.sim_helpers import FAST, app_key, snapshot, sync

TOKENS = ["ghp_alphaSECRET111", "ghp_bravoSECRET222", "ghp_charlieSECRET333"]


@pytest.fixture(scope="module")
def org():
    return generate_organisation(seed=11, days=30, scale="tiny", end=date(2026, 11, 20))


@pytest.fixture(scope="module")
def clean(org, tmp_path_factory):
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    with SimulatorServer(org) as server:
        assert not sync(server.base_url, db).failed
        port = int(server.base_url.rsplit(":", 1)[1])
    return db, port


def pool() -> CredentialPool:
    return CredentialPool([Credential(f"GITHUB_TOKENS #{i}", t) for i, t in enumerate(TOKENS, 1)])


def test_tokens_come_from_the_environment_once_each():
    found = tokens_from_environment(
        {"GITHUB_TOKENS": f"{TOKENS[0]}, {TOKENS[1]},,", "GITHUB_TOKEN": TOKENS[0]}
    )
    assert [c.label for c in found] == ["GITHUB_TOKENS #1", "GITHUB_TOKENS #2"]
    assert all(t not in repr(found) for t in TOKENS)


def test_requests_are_spread_and_a_revoked_token_is_set_aside(org, clean, tmp_path, caplog):
    clean_db, port = clean
    budgets = Credentials(rate_limit=20, reset_seconds=5, per_credential=True)
    db = tmp_path / "several.duckdb"
    with SimulatorServer(org, port=port, credentials=budgets) as server:
        revoked = []

        def revoke_after_a_while(repo: str, stream: str, seen: int) -> None:
            if not revoked and stream == "runs":
                server.credentials.revoke(TOKENS[1])  # mid-run
                revoked.append(True)

        with caplog.at_level(logging.WARNING, logger="dora.ingest"):
            run = sync(server.base_url, db, token=pool(), progress=revoke_after_a_while)
        usage = server.stats()["credentials"]
    assert not run.failed, [r.error for r in run.results if r.error]
    assert snapshot(db) == snapshot(clean_db)
    assert "GITHUB_TOKENS #2 was rejected" in caplog.text
    assert "spent its core budget" in caplog.text  # 20 requests each: every token ran out
    # every token served requests (the revoked one until it was revoked); the tokens left
    # served the rest, each more than one budget's worth as the windows rolled over
    assert len(usage) == 3 and all(u["rest_charged"] > 0 for u in usage.values()), usage
    assert sum(u["rest_charged"] > budgets.rate_limit for u in usage.values()) >= 2, usage
    for token in TOKENS:
        assert token not in caplog.text


def test_a_github_app_installation_syncs_and_its_token_is_renewed(org, clean, tmp_path, caplog):
    clean_db, port = clean
    private, public = app_key()
    # PyGithub renews an installation token 20 s before it expires: 21 s renews after 1 s.
    budgets = Credentials(apps={"123": public}, installation_seconds=21, per_credential=True)
    db = tmp_path / "app.duckdb"
    with SimulatorServer(org, port=port, credentials=budgets) as server:
        with caplog.at_level(logging.DEBUG):
            run = sync(
                server.base_url, db, token=CredentialPool([]), app=AppKey("123", private),
                settings=FAST,
            )  # fmt: skip
        stats = server.stats()
    assert not run.failed, [r.error for r in run.results if r.error]
    assert snapshot(db) == snapshot(clean_db)
    issued = stats["requests"]["/app (GitHub App)"]["201"]
    assert issued >= 2, stats["requests"]["/app (GitHub App)"]  # renewed during the run
    assert all(label.startswith("installation ") for label in stats["credentials"])
    body = "".join(private.splitlines()[1:-1])
    for needle in (body[:40], body[-40:]):
        assert needle not in caplog.text
        assert needle.encode() not in db.read_bytes()


def test_a_wrong_app_key_is_one_clear_error(org, tmp_path):
    private, _ = app_key()
    _, other_public = app_key()
    budgets = Credentials(apps={"123": other_public}, per_credential=True)
    with (
        SimulatorServer(org, credentials=budgets) as server,
        pytest.raises(BadCredentials, match="GitHub App .* private key"),
    ):
        sync(
            server.base_url, tmp_path / "x.duckdb", token=CredentialPool([]),
            app=AppKey("123", private),
        )  # fmt: skip


def test_one_installation_token_serves_every_stream_until_it_is_renewed(org, clean, tmp_path):
    # Each stream task has a client of its own; an installation token is the App's, not theirs.
    private, public = app_key()
    budgets = Credentials(apps={"123": public}, per_credential=True)  # tokens live an hour
    with SimulatorServer(org, port=clean[1], credentials=budgets) as server:
        run = sync(
            server.base_url, tmp_path / "one.duckdb", token=CredentialPool([]),
            app=AppKey("123", private), settings=FAST,
        )  # fmt: skip
        stats = server.stats()
    assert not run.failed and len(run.results) > 20
    assert stats["requests"]["/app (GitHub App)"] == {"200": 1, "201": 1}  # installation, token
    assert len(stats["credentials"]) == 1, stats["credentials"]
