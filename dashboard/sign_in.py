"""The sign-in gate every run passes before a page: Streamlit's own OIDC (`st.login`, `st.user`,
`st.logout`), the allow-lists of `access`, the audit trail, and links kept across sign-in."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard import access, audit, deep_links


def _browser() -> str | None:
    return deep_links.browser_key(st.context.cookies.get(deep_links.XSRF_COOKIE))


def _claims() -> dict[str, object]:
    return st.user.to_dict() if st.user.is_logged_in else {}


def shows_navigation() -> bool:
    """Whether the page list belongs in the sidebar: for anyone let in (cheap: no query)."""
    policy = access.policy()
    if policy is None:
        return True
    if policy.auth is None or not st.user.is_logged_in:
        return False
    try:
        access.viewer_for(_claims(), policy.auth, policy.teams)
    except access.Refused:
        return False
    return True


def gate(page: StreamlitPage, pages: Sequence[StreamlitPage]) -> None:
    """Return only for someone let in (or when nobody signs in); else show why and stop the run."""
    policy = access.policy()
    if policy is None:
        return
    if policy.auth is None:
        st.error(f"{policy.error} Nobody can be let in until `dora dashboard` is restarted with it fixed.")  # fmt: skip
        st.stop()
    if not st.user.is_logged_in:
        st.session_state.pop(access.SESSION_KEY, None)
        link = deep_links.Link(page.url_path, tuple(st.query_params.items()))
        deep_links.remember(_browser(), link)
        _sign_in_page()
        st.stop()
    claims = _claims()
    try:
        viewer = access.viewer_for(claims, policy.auth, policy.teams)
    except access.Refused as refusal:
        st.session_state.pop(access.SESSION_KEY, None)
        audit.record_once("refused", str(claims.get("email")), claims.get("iat"), reason=str(refusal))  # fmt: skip
        _refused_page(str(claims.get("email") or "?"), str(refusal))
        st.stop()
    audit.record_once("sign-in", viewer.email, claims.get("iat"), sees=viewer.describe())
    st.session_state[access.SESSION_KEY] = viewer
    _back_to_the_link(page, pages)
    _identity(viewer)
    if not viewer.admin and not viewer.teams:
        st.title("No team yet")
        st.info(
            "You are signed in, but no team lists you among its viewers, so there is nothing to "
            "show you yet. Ask whoever runs this dashboard to add you to a team's `viewers` in "
            "dora.toml.",
            icon=":material/group_off:",
        )
        st.stop()


def _back_to_the_link(page: StreamlitPage, pages: Sequence[StreamlitPage]) -> None:
    """After the provider's redirect (root, no query string), open the page the link named."""
    link = deep_links.take(_browser())
    if link is None or page.url_path != pages[0].url_path or len(st.query_params):
        return  # nothing kept, or this run is not the bare landing after a sign-in
    target = next((p for p in pages if p.url_path == link.page), None)
    if target is None or (target.url_path == page.url_path and not link.params):
        return
    st.switch_page(target, query_params=dict(link.params))


def _sign_in_page() -> None:
    st.title("Sign in")
    st.write(
        "This dashboard shows delivery data of your organisation's repositories. Sign in with "
        "your organisation's account to see your teams' repositories."
    )
    if st.button("Sign in", type="primary", icon=":material/login:"):
        st.login()


def _refused_page(email: str, reason: str) -> None:
    st.title("Not allowed")
    st.error(f"`{access.shown(email)}` may not use this dashboard ({reason}).", icon=":material/block:")  # fmt: skip
    st.caption("Sign out to try another account, or ask whoever runs this dashboard to add you.")
    if st.button("Sign out", icon=":material/logout:"):
        audit.record("sign-out", email)
        st.logout()


def _identity(viewer: access.Viewer) -> None:
    with st.sidebar:
        st.caption(f"Signed in as `{access.shown(viewer.email)}` · `{access.shown(viewer.describe())}`")  # fmt: skip
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            audit.record("sign-out", viewer.email)
            st.logout()
