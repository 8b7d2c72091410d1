"""Each channel's message for an alert; every name from GitHub or the config is escaped for it.

Slack mrkdwn: `&`, `<` and `>` become entities (Slack's own rule), so a team called
`<!channel>` mentions no one and `<https://x|y>` links nowhere. HTML: `html.escape`, links only
for http(s). JSON: built with `json.dumps`, so a quote or a backslash stays text.
"""

from __future__ import annotations

import html
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from alerts.model import Alert

SOURCE = "dora-pipeline"
_ICON = {"critical": ":rotating_light:", "warning": ":warning:"}


def mrkdwn(text: str) -> str:
    """Text safe inside Slack (and Mattermost) mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str) -> str:
    """No line breaks (an email subject, a header): a name cannot add headers or lines."""
    return " ".join(text.split())


def plain_text(alert: Alert) -> str:
    """The message as plain text: title, details, where to look."""
    lines = [alert.title, "", *alert.lines]
    if alert.link:
        lines += ["", f"Dashboard: {alert.link}"]
    return "\n".join(lines) + "\n"


def slack_payload(alert: Alert) -> dict[str, Any]:
    """An incoming-webhook message: `text` (what notifications and Mattermost show) and blocks."""
    title = mrkdwn(one_line(alert.title))
    details = "\n".join(mrkdwn(line) for line in alert.lines)
    link = f"\n<{mrkdwn(alert.link)}|Open the dashboard>" if _http(alert.link) else ""
    context = f"{alert.severity} · {mrkdwn(alert.kind)} · {SOURCE}"
    return {
        "text": f"{_ICON.get(alert.severity, '')} *{title}*\n{details}{link}".strip(),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{_ICON.get(alert.severity, '')} *{title}*"},
            },  # fmt: skip
            {"type": "section", "text": {"type": "mrkdwn", "text": details + link or " "}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def pagerduty_event(alert: Alert, routing_key: str) -> dict[str, Any]:
    """A PagerDuty Events API v2 `trigger`; the alert's key is the dedup key."""
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.key,
        "payload": {
            "summary": one_line(alert.title)[:1024],
            "source": SOURCE,
            "severity": alert.severity,
            "timestamp": (alert.raised_at or datetime.now()).isoformat() + "Z",
            "class": alert.kind,
            "group": ", ".join(alert.teams) or None,
            "custom_details": {"details": list(alert.lines), **alert.facts},
        },
        **(
            {"links": [{"href": alert.link, "text": "DORA dashboard"}]} if _http(alert.link) else {}
        ),
    }


def _http(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("https://", "http://"))


def html_body(alert: Alert) -> str:
    colour = "#cf222e" if alert.severity == "critical" else "#9a6700"
    details = "".join(
        f'<p style="margin:0 0 6px 0">{html.escape(line)}</p>' for line in alert.lines
    )
    link = (
        f'<p style="margin:12px 0 0 0"><a href="{html.escape(alert.link, quote=True)}">Open the dashboard</a></p>'  # fmt: skip
        if _http(alert.link)
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(one_line(alert.title))}</title></head>"
        '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328">'
        f'<h1 style="font-size:18px;margin:0 0 8px 0;color:{colour}">{html.escape(one_line(alert.title))}</h1>'  # fmt: skip
        f"{details}{link}"
        f'<p style="color:#656d76;font-size:12px;margin:16px 0 0 0">{html.escape(alert.severity)} · {html.escape(alert.kind)} · {SOURCE}</p>'  # fmt: skip
        "</body></html>\n"
    )


def email_message(alert: Alert, sender: str, recipients: list[str]) -> EmailMessage:
    """multipart/alternative: the plain text, then the same as HTML."""
    message = EmailMessage()
    message["Subject"] = f"[dora {alert.severity}] {one_line(alert.title)}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="dora.alert")
    message.set_content(plain_text(alert), subtype="plain", charset="utf-8")
    message.add_alternative(html_body(alert), subtype="html", charset="utf-8")
    return message
