"""`[alerts]` of dora.toml: when to raise an alert and where it goes.

Webhook URLs and keys are secrets: the file names the environment variables that hold them,
never the values, so a config can be committed and shared.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class AlertSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # a production change failure still not restored this long after it started
    open_failure_hours: float = Field(24, gt=0)
    # a repository whose last successful sync is older than this when a build runs
    sync_stale_hours: float = Field(6, gt=0)
    # email alerts to email.recipients and the recipients of the teams concerned
    email: bool = False
    # Slack-compatible incoming webhook (Slack, Mattermost): JSON `text` plus `blocks`
    webhook_url_env: str = "DORA_ALERTS_WEBHOOK_URL"
    # other services through apprise URLs, space-separated (msteams://, mmost://, discord://, ...)
    apprise_urls_env: str = "DORA_ALERTS_APPRISE_URLS"
    # PagerDuty Events API v2, for critical alerts only
    pagerduty_routing_key_env: str = "DORA_PAGERDUTY_ROUTING_KEY"
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    # an undelivered alert is retried at every build for this long, then given up
    retry_hours: float = Field(48, gt=0)
    timeout_seconds: float = Field(10, gt=0)

    @field_validator("webhook_url_env", "apprise_urls_env", "pagerduty_routing_key_env")
    @classmethod
    def _names_a_variable(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "must name an environment variable (e.g. DORA_ALERTS_WEBHOOK_URL), never hold "
                "the secret itself"
            )
        return value

    @field_validator("pagerduty_events_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value
