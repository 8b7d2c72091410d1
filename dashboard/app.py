"""Entry point of `dora dashboard`: navigation only; each page lives in views/."""

import streamlit as st

from dashboard.timing import timed_run, warm_imports

st.set_page_config(page_title="DORA metrics", page_icon=":material/rocket_launch:", layout="wide")
warm_imports()

page = st.navigation(
    [
        st.Page("views/overview.py", title="Overview", icon=":material/monitoring:", default=True),
        st.Page("views/teams.py", title="Teams", icon=":material/groups:"),
        st.Page("views/deployments.py", title="Deployments", icon=":material/rocket_launch:"),
        st.Page("views/lead_time.py", title="Lead time", icon=":material/timer:"),
        st.Page("views/stability.py", title="Stability", icon=":material/health_and_safety:"),
        st.Page("views/pipeline.py", title="Pipeline", icon=":material/account_tree:"),
        st.Page("views/before_after.py", title="Before / after", icon=":material/compare_arrows:"),
        st.Page("views/data_quality.py", title="Data quality", icon=":material/fact_check:"),
    ]
)
with timed_run(page.title):
    page.run()
