"""Alerts: after each build, what slipped since the previous published snapshot, told once.

`rules` raises them from the new marts and the previous snapshot (SQL), `outbox` records each
by its key in the working database so none is sent twice, `render` writes each channel's
message with everything from GitHub or the config escaped, `channels` delivers (email, a
Slack-compatible webhook, apprise URLs, PagerDuty Events API v2), and `cycle` runs it all
without ever stopping the publish.
"""
