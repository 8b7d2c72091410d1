"""Who sees what, under AppTest (st.user as the provider would fill it) and on the snapshot itself."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from auth_config import (
    ADMIN,
    CORE_REPOS,
    CORE_VIEWER,
    NO_TEAM,
    STRANGER,
    WEB_ONLY_REPO,
    WEB_TEAM,
    WEB_VIEWER,
    write_auth_config,
)
from snapshot_factory import build_small
from streamlit.testing.v1 import AppTest
from test_dashboard_pages import _open

import dashboard
from dashboard import AUTH_ENV, access, team_slice
from settings.config import load_settings

EVERY_REPO = {*CORE_REPOS, WEB_ONLY_REPO}
APP = Path(dashboard.__file__).with_name("app.py")


@pytest.fixture
def auth_config(tmp_path, monkeypatch):
    path = write_auth_config(
        tmp_path / "dora.toml",
        "http://localhost:8501",
        "http://localhost:9/.well-known/openid-configuration",
    )
    monkeypatch.setenv("DORA_CONFIG", str(path))
    monkeypatch.setenv(AUTH_ENV, "oidc")
    access.policy.cache_clear()
    yield path
    access.policy.cache_clear()


@pytest.fixture
def signed_in(app: AppTest, auth_config):
    """The app, with st.user as the identity provider's sign-in would set it (None: signed out)."""

    def sign_in(email: str | None, **claims) -> AppTest:
        app.user = {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email, "iat": 1, **claims}  # fmt: skip
        return app

    return sign_in


def _options(app: AppTest, label: str) -> list[str]:
    return next(box.options for box in app.selectbox if box.label == label)


def _nothing_shown(app: AppTest) -> None:
    assert len(app.dataframe) == 0
    assert len(app.metric) == 0
    assert app.get("download_button") == []
    assert app.get("vega_lite_chart") == []


# --- The gate ---


def test_signed_out_sees_the_sign_in_page_and_no_data(signed_in):
    app = _open(signed_in(None), repo="acme/tiny")
    assert [t.value for t in app.title] == ["Sign in"]
    assert [b.label for b in app.button] == ["Sign in"]
    assert len(app.selectbox) == 0
    _nothing_shown(app)


def test_a_stranger_is_refused(signed_in):
    app = _open(signed_in(STRANGER))
    assert [t.value for t in app.title] == ["Not allowed"]
    assert "not on the dashboard's allow-list" in app.error[0].value
    _nothing_shown(app)


def test_an_unverified_email_is_refused(signed_in):
    app = _open(signed_in(CORE_VIEWER, email_verified=False))
    assert [t.value for t in app.title] == ["Not allowed"]
    assert "not verified" in app.error[0].value


def test_allowed_by_domain_but_in_no_team_sees_nothing_yet(signed_in):
    app = _open(signed_in(NO_TEAM))
    assert [t.value for t in app.title] == ["No team yet"]
    _nothing_shown(app)


def test_with_sign_in_on_and_nobody_let_in_every_query_reads_nothing(auth_config):
    # Outside a signed-in run (no viewer in the session) the restriction is "no team": fail closed.
    assert access.restriction() == ()


# --- What each person sees ---


def test_a_core_viewer_picks_only_core_teams_repositories(signed_in):
    app = _open(signed_in(CORE_VIEWER), page="views/data_quality.py")
    assert _options(app, "Team") == ["All", "Core"]
    assert set(_options(app, "Repository")) == {"All", *CORE_REPOS}
    assert set(app.dataframe[-1].value["repo"]) == CORE_REPOS
    assert "core-dev@example.com" in " ".join(c.value for c in app.sidebar.caption)


def test_a_web_viewer_by_domain_sees_web_and_the_shared_repository(signed_in):
    app = _open(signed_in(WEB_VIEWER), page="views/data_quality.py")
    assert _options(app, "Team") == ["All", WEB_TEAM]
    assert set(_options(app, "Repository")) == {"All", WEB_ONLY_REPO, "acme/tiny"}


def test_an_admin_sees_every_repository_and_team(signed_in):
    app = _open(signed_in(ADMIN), page="views/data_quality.py")
    assert _options(app, "Team") == ["All", "Core", WEB_TEAM]
    assert set(_options(app, "Repository")) == {"All", *EVERY_REPO}


def test_teams_page_calls_a_viewers_whole_their_teams_not_the_organisation(signed_in):
    app = _open(signed_in(CORE_VIEWER), page="views/teams.py")
    side_by_side = app.dataframe[0].value
    assert side_by_side["team"].tolist() == ["Core", "All your teams"]
    # Core owns every service of its repositories, so its whole is Core itself, not the organisation.
    core, whole = (row.drop("team").tolist() for _, row in side_by_side.iterrows())
    assert core == whole
    for frame in app.dataframe:
        assert (
            not frame.value.astype(str).apply(lambda c: c.str.contains("Web|acme/web")).any().any()
        )


def _admin(app: AppTest, **params: str) -> dict[str, str]:
    """The Overview's five figures as an admin sees them (a fresh app: its own session)."""
    app.user = {"is_logged_in": True, "email": ADMIN, "iat": 1}
    return {m.label: m.value for m in _open(app, **params).metric}


def test_a_viewers_overview_figures_are_their_teams_figures(signed_in, auth_config):
    # The build's own dora_period macro runs on the viewer's slice: a Core viewer's unfiltered
    # Overview is the admin's Overview filtered to Core (which owns its repositories whole).
    core = {m.label: m.value for m in _open(signed_in(CORE_VIEWER)).metric}
    assert len(core) == 5
    assert core == _admin(AppTest.from_file(str(APP), default_timeout=60), team="Core")
    assert core != _admin(AppTest.from_file(str(APP), default_timeout=60))


@pytest.mark.parametrize(
    ("param", "value", "label"),
    [
        ("repo", WEB_ONLY_REPO, "Repository"),
        ("team", WEB_TEAM, "Team"),
        ("repo", "acme/nope", "Repository"),
    ],  # fmt: skip
)
@pytest.mark.parametrize("page", ["views/overview.py", "views/deployments.py", "views/data_quality.py"])  # fmt: skip
def test_a_link_to_what_a_viewer_cannot_read_is_not_available_and_shows_nothing(signed_in, page, param, value, label):  # fmt: skip
    app = signed_in(CORE_VIEWER)
    app.query_params[param] = value
    app.run()
    if page != "views/overview.py":
        app.switch_page(page).run()
    assert not app.exception
    assert f"{label} `{value}` is not available to you." in [e.value for e in app.error]
    _nothing_shown(app)


def test_not_available_offers_the_viewers_own_repositories(signed_in):
    app = _open(signed_in(CORE_VIEWER), repo=WEB_ONLY_REPO)
    next(b for b in app.button if b.label == "Show my repositories").click().run()
    assert not app.error
    assert set(_options(app, "Repository")) == {"All", *CORE_REPOS}


# --- Rules and the snapshot's slice ---


def test_who_is_let_in_and_which_teams_they_read(auth_config):
    settings = load_settings()
    auth, teams = settings.dashboard.auth, tuple(settings.teams)

    def viewer(**claims):
        return access.viewer_for(claims, auth, teams)

    assert viewer(email="Core-Dev@Example.com") == access.Viewer(CORE_VIEWER, False, ("Core",))
    assert viewer(email=WEB_VIEWER).restriction == (WEB_TEAM.lower(),)
    assert viewer(email=ADMIN).restriction is None
    assert viewer(email=NO_TEAM).restriction == ()
    for refused in ({"email": STRANGER}, {"email": "eve@sub.example.com"}, {"name": "no email"}):
        with pytest.raises(access.Refused):
            viewer(**refused)


@pytest.fixture
def snapshot_reader(tmp_path):
    """The small snapshot attached read-only to an in-memory DuckDB, as the dashboard reads it,
    plus a table nobody has yet decided who may read."""
    path = build_small(tmp_path / "dora.published.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("create table mystery as select 'acme/web' as owner, 42 as secret")
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{path}' as snapshot (read_only)")
    yield con
    con.close()


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[str]]:
    database, name = schema.split(".")
    rows = con.execute(
        "select table_name, list(column_name) from duckdb_columns() "
        "where database_name = ? and schema_name = ? group by all",
        [database, name],
    ).fetchall()
    return dict(rows)


def test_a_core_slice_holds_no_row_of_another_team_in_any_table(snapshot_reader):
    con = snapshot_reader
    schema = team_slice.create(con, ("core",))
    assert team_slice.create(con, ("core",)) == schema  # made once
    sliced = _tables(con, schema)
    assert set(_tables(con, "snapshot.main")) <= set(sliced)
    for table, columns in sliced.items():
        if table.startswith("_"):
            continue
        rows = con.execute(f'select * from {schema}."{table}"').df()
        whole = con.execute(f'select * from snapshot.main."{table}"').df()
        if "repo" in columns and "unit_kind" not in columns:
            assert set(rows["repo"]) <= CORE_REPOS, table
            if "team" not in columns:  # (a team table keeps Core's rows only, tested below)
                assert len(rows) == whole["repo"].isin(CORE_REPOS).sum(), f"{table}: Core's own rows all kept"  # fmt: skip
        if "team" in columns:
            assert set(rows["team"]) <= {"Core"}, table
        if "unit_kind" in columns:
            assert set(rows["unit_kind"]) <= {"team", "service"}, f"{table}: organisation rows"
        if table == "mystery":
            assert rows.empty, "a table nobody classified is hidden"
        if table in team_slice.GLOBAL:
            assert len(rows) == len(whole)
    assert con.execute(f"select count(*) from {schema}.deployments").fetchone()[0] > 0


def test_a_slice_of_no_team_is_empty(snapshot_reader):
    schema = team_slice.create(snapshot_reader, ())
    for table in ("deployments", "changes", "incidents", "repositories", "teams", "rolling_levels"):
        assert snapshot_reader.execute(f"select count(*) from {schema}.{table}").fetchone()[0] == 0
