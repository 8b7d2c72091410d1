"""Where alerts go: email, a Slack-compatible webhook, apprise URLs, PagerDuty (critical only).

Secrets (webhook URLs, apprise URLs, the PagerDuty routing key) are read from the environment
variables `[alerts]` names, when the alerts are sent; they are never stored, logged or put in
an error message (an error text that holds one has it replaced by `***`).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

from alerts import render
from alerts.model import Alert
from settings.config import Settings

log = logging.getLogger("dora.alerts")


class DeliveryFailed(Exception):
    """One channel did not take one alert; the message is one line without any secret."""


@dataclass
class Channel:
    """A configured destination. `secret` stays inside this object."""

    name: str  # email | webhook | apprise | pagerduty
    secret: str | None
    settings: Settings
    team_recipients: dict[str, list[str]]

    def wants(self, alert: Alert) -> bool:
        """PagerDuty pages for critical alerts only; email goes where there are recipients."""
        if self.name == "pagerduty":
            return alert.severity == "critical"
        if self.name == "email":
            return bool(self.recipients(alert))
        return True

    def send(self, alert: Alert) -> None:
        try:
            {"email": self._email, "webhook": self._webhook, "apprise": self._apprise, "pagerduty": self._pagerduty}[self.name](alert)  # fmt: skip
        except DeliveryFailed as exc:
            raise DeliveryFailed(self.redact(str(exc))) from None
        except Exception as exc:  # noqa: BLE001 (any failure is this channel's, one line)
            raise DeliveryFailed(self.redact(f"{type(exc).__name__}: {exc}".splitlines()[0])) from None  # fmt: skip

    def redact(self, text: str) -> str:
        for secret in (self.secret or "").split():
            if secret:
                text = text.replace(secret, "***")
        return text[:300]

    # --- the four kinds ---

    def recipients(self, alert: Alert) -> list[str]:
        """email.recipients and the recipients of the teams concerned, each once."""
        found = list(self.settings.email.recipients)
        for team in alert.teams:
            found += self.team_recipients.get(team, [])
        return list(dict.fromkeys(found))

    def _email(self, alert: Alert) -> None:
        from reports.mail import EmailDeliveryError, send_message

        to = self.recipients(alert)
        message = render.email_message(alert, self.settings.email.sender, to)
        try:
            send_message(message, self.settings.email, to, timeout=self.settings.alerts.timeout_seconds)  # fmt: skip
        except EmailDeliveryError as exc:
            raise DeliveryFailed(str(exc)) from None

    def _post(self, url: str, payload: dict) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json", "User-Agent": render.SOURCE},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.alerts.timeout_seconds) as response:  # fmt: skip
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(f"cannot reach the {self.name}: {reason}") from None

    def _webhook(self, alert: Alert) -> None:
        self._post(self.secret or "", render.slack_payload(alert))

    def _pagerduty(self, alert: Alert) -> None:
        self._post(self.settings.alerts.pagerduty_events_url, render.pagerduty_event(alert, self.secret or ""))  # fmt: skip

    def _apprise(self, alert: Alert) -> None:
        import apprise

        # apprise logs the services it talks to; its own lines can carry URL parts: keep quiet
        logging.getLogger("apprise").setLevel(logging.CRITICAL)
        notifier = apprise.Apprise()
        for url in (self.secret or "").split():
            if not notifier.add(url):
                raise DeliveryFailed("an apprise URL is not one apprise knows")
        if not notifier.notify(title=render.one_line(alert.title), body=render.plain_text(alert)):
            raise DeliveryFailed("apprise could not deliver to every URL")


def configured(settings: Settings) -> tuple[list[Channel], list[str]]:
    """The channels that can send now, and one line for each that cannot (and why)."""
    alerts = settings.alerts
    teams = {team.name: team.recipients for team in settings.teams}
    channels, missing = [], []
    if alerts.email:
        if settings.email.recipients or any(teams.values()):
            channels.append(Channel("email", None, settings, teams))
        else:
            missing.append("email: no recipients (email.recipients or a team's recipients)")
    else:
        missing.append("email: off ([alerts] email = false)")
    for name, variable in (
        ("webhook", alerts.webhook_url_env),
        ("apprise", alerts.apprise_urls_env),
        ("pagerduty", alerts.pagerduty_routing_key_env),
    ):
        value = os.environ.get(variable, "").strip()
        if value:
            channels.append(Channel(name, value, settings, teams))
        else:
            missing.append(f"{name}: {variable} is not set")
    return channels, missing
