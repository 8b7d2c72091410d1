"""Sign-in end to end: `dora dashboard` with `[dashboard.auth]`, a real OIDC provider on loopback
(oidc-provider-mock: discovery, authorization form, tokens, end session), Debian's chromium."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import oidc_provider_mock
import pandas as pd
import pytest
from auth_config import (
    ADMIN,
    CLIENT_SECRET,
    COOKIE_SECRET,
    CORE_REPOS,
    CORE_VIEWER,
    STRANGER,
    WEB_ONLY_REPO,
    WEB_TEAM,
    write_auth_config,
)
from dashboard_browser import CHROMIUM, chromium_page, dashboard_server, free_port, wait_rendered
from snapshot_factory import build_small

from alerts.rules import _link as alert_link
from settings.config import load_settings

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"
)
AUDIT_LINE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ dora-audit "
WEB_INCIDENT = "checkout down"  # the title of acme/web's incident #77 in the small snapshot


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A signed-in dashboard on the small snapshot, and the OIDC provider it trusts."""
    tmp = tmp_path_factory.mktemp("sign-in")
    build_small(tmp / "dora.published.duckdb")
    with oidc_provider_mock.run_server_in_thread() as provider:
        issuer = f"http://localhost:{provider.server_port}"
        port = free_port()
        base = f"http://localhost:{port}"  # the redirect URI's host: the auth cookie's host
        config = write_auth_config(tmp / "dora.toml", base, f"{issuer}/.well-known/openid-configuration")  # fmt: skip
        env = {
            "DORA_DASHBOARD_CLIENT_SECRET": CLIENT_SECRET,
            "DORA_DASHBOARD_COOKIE_SECRET": COOKIE_SECRET,
            "DORA_HOME": str(tmp / "home"),
        }
        log = tmp / "dashboard.log"
        args = ("--config", str(config))
        with dashboard_server(tmp / "dora.duckdb", port=port, args=args, env=env, log=log):
            yield SimpleNamespace(url=base, log=log, config=config)


def _sign_in(page, email: str) -> None:
    """On the sign-in page: go to the provider, authorize as `email`, come back."""
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()


def _sign_in_page_shown(page) -> None:
    page.locator("h1", has_text="Sign in").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.locator("[data-testid='stDataFrame'], [data-testid='stMetric']").count() == 0


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _audit(served) -> list[str]:
    return [line for line in served.log.read_text().splitlines() if re.match(AUDIT_LINE, line)]


def _downloads(page) -> dict[str, pd.DataFrame]:
    files = {}
    for label, read in (("Download CSV", pd.read_csv), ("Download Parquet", pd.read_parquet)):
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name=label).first.click()
        files[label] = read(io.BytesIO(download.value.path().read_bytes()))
    return files


def test_an_alert_link_opens_its_filtered_page_after_sign_in(served):
    # The link an alert (by email or chat) carries, made by the alert's own link builder.
    link = alert_link(load_settings(served.config), "stability", repo="acme/tiny", env="production", **{"from": "2026-11-02", "to": "2026-11-08"})  # fmt: skip
    assert link.startswith(served.url)
    with chromium_page() as page:
        page.goto(link, wait_until="domcontentloaded")
        _sign_in_page_shown(page)
        _sign_in(page, CORE_VIEWER)
        wait_rendered(page, "Stability")
        query = parse_qs(urlparse(page.url).query)
        assert urlparse(page.url).path == "/stability"
        assert {k: query[k] for k in ("repo", "env", "from", "to")} == {
            "repo": ["acme/tiny"], "env": ["production"], "from": ["2026-11-02"], "to": ["2026-11-08"]
        }  # fmt: skip
        assert "acme/tiny · all services · production · 02 Nov 2026 – 08 Nov 2026" in _main_text(page)  # fmt: skip


def test_a_team_viewer_sees_their_teams_repositories_only(served):
    with chromium_page() as page:
        page.goto(f"{served.url}/data_quality", wait_until="domcontentloaded")
        _sign_in_page_shown(page)
        _sign_in(page, CORE_VIEWER)
        wait_rendered(page, "Data quality")
        assert f"Signed in as {CORE_VIEWER}" in page.locator("[data-testid='stSidebar']").inner_text()  # fmt: skip
        for frame in _downloads(page).values():
            assert set(frame["repo"]) == CORE_REPOS
        page.get_by_role("combobox", name=re.compile("Repository")).click()
        options = page.locator("[role='option']").all_inner_texts()
        assert set(options) == {"All", *CORE_REPOS}
        page.keyboard.press("Escape")
        page.goto(f"{served.url}/stability", wait_until="domcontentloaded")
        wait_rendered(page, "Stability")
        assert WEB_INCIDENT not in _main_text(page)
        assert WEB_ONLY_REPO not in _main_text(page)


@pytest.mark.parametrize(
    ("path", "label", "value"),
    [("data_quality", "Repository", WEB_ONLY_REPO), ("stability", "Repository", WEB_ONLY_REPO),
     ("deployments", "Team", WEB_TEAM)],
)  # fmt: skip
def test_a_hand_edited_url_shows_nothing_of_another_teams_repository(served, path, label, value):
    with chromium_page() as page:
        page.goto(served.url, wait_until="domcontentloaded")
        _sign_in(page, CORE_VIEWER)
        wait_rendered(page, "Overview")
        param = "repo" if label == "Repository" else "team"
        page.goto(f"{served.url}/{path}?{param}={value}", wait_until="domcontentloaded")
        page.get_by_text("is not available to you").wait_for(timeout=30_000)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
        text = _main_text(page)
        assert f"{label} {value} is not available to you." in text
        assert text.count(value) == 1  # only in the refusal
        assert WEB_INCIDENT not in text
        for element in ("stDataFrame", "stMetric", "stDownloadButton", "stVegaLiteChart"):
            assert page.locator(f"[data-testid='{element}']").count() == 0, element
    assert any(f"refused-link email='{CORE_VIEWER}'" in line for line in _audit(served))


def test_someone_outside_the_allow_list_is_refused(served):
    with chromium_page() as page:
        page.goto(f"{served.url}/deployments?repo=acme/tiny", wait_until="domcontentloaded")
        _sign_in(page, STRANGER)
        page.locator("h1", has_text="Not allowed").wait_for(timeout=30_000)
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        assert page.locator("[data-testid='stDataFrame'], [data-testid='stMetric']").count() == 0
        assert "acme/tiny" not in _main_text(page)
    refusals = [line for line in _audit(served) if " refused " in line]
    assert refusals and f"email='{STRANGER}'" in refusals[-1]
    assert "not on the dashboard's allow-list" in refusals[-1]


def test_sign_out_ends_the_session_and_the_audit_holds_no_token(served):
    with chromium_page() as page:
        page.goto(served.url, wait_until="domcontentloaded")
        _sign_in(page, ADMIN)
        wait_rendered(page, "Overview")
        tokens = _tokens(page.context.cookies())
        page.get_by_role("button", name="Sign out").click()
        # The provider ends its session too (its end_session_endpoint), then sends us back.
        page.get_by_role("button", name="End session").click()
        _sign_in_page_shown(page)
        page.reload(wait_until="domcontentloaded")
        _sign_in_page_shown(page)
        assert not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]
    lines = _audit(served)
    assert any(f"sign-in email='{ADMIN}' sees='admin: every repository'" in line for line in lines)
    assert any(f"sign-out email='{ADMIN}'" in line for line in lines)
    log = served.log.read_text()
    for secret in (*tokens, CLIENT_SECRET, COOKIE_SECRET):
        assert secret not in log


def _tokens(cookies: list[dict]) -> list[str]:
    """The ID and access tokens Streamlit keeps in its signed (not encrypted) tokens cookie."""
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    value = next(c["value"] for c in cookies if c["name"] == "_streamlit_user_tokens")
    tokens = json.loads(decode_signed_value(COOKIE_SECRET, "_streamlit_user_tokens", value.encode()))  # fmt: skip
    assert tokens["id_token"] and tokens["access_token"]
    return [tokens["id_token"], tokens["access_token"]]


def test_no_auth_serves_any_host_without_sign_in_and_warns(tmp_path):
    build_small(tmp_path / "dora.published.duckdb")
    log = tmp_path / "dashboard.log"
    args = ("--host", "0.0.0.0", "--no-auth")
    with dashboard_server(tmp_path / "dora.duckdb", args=args, log=log) as url, chromium_page() as page:  # fmt: skip
        page.goto(url, wait_until="domcontentloaded")
        wait_rendered(page, "Overview")
        assert page.locator("h1", has_text="Sign in").count() == 0
    assert "warning: --no-auth: nobody signs in and anyone who can reach 0.0.0.0:" in log.read_text()  # fmt: skip


def test_a_public_host_without_auth_is_refused_in_one_line(tmp_path):
    import subprocess
    import sys

    dora = Path(sys.executable).with_name("dora")
    result = subprocess.run(
        [str(dora), "dashboard", "--db", str(tmp_path / "dora.duckdb"), "--host", "0.0.0.0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: --host 0.0.0.0 would show every repository")
    assert "[dashboard.auth]" in result.stderr and "--no-auth" in result.stderr
