"""The Streamlit dashboard: `app.py` sets up navigation, `views/` holds one script per page."""

# `dora dashboard` passes the snapshot path to the Streamlit process in this variable.
SNAPSHOT_ENV = "DORA_SNAPSHOT"
# `dora dashboard` tells the app whether people sign in: "oidc", or "off" (loopback, --no-auth).
AUTH_ENV = "DORA_DASHBOARD_AUTH"
