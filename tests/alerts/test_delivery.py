"""Alerts to real receivers on loopback: payloads, once only, retried after a 500, escaped names."""

from __future__ import annotations

import email
import email.policy
import json
import logging
from datetime import datetime

import duckdb
import pytest

from alerts import outbox
from alerts.cycle import deliver, dry_run, send_test
from alerts.model import Alert
from settings.config import Settings

NOW = datetime(2026, 12, 1, 9, 0)
SECRET = "T000/B000/XXXXSECRETXXXX"
HOSTILE = '<!channel> & <https://evil.example|click> "q" </script><script>alert(1)</script>'


def _settings(mailbox=None, receiver=None, **alerts) -> Settings:
    return Settings.model_validate(
        {
            "teams": [{"name": HOSTILE, "repos": ["acme/*"], "recipients": ["team@example.com"]}],
            "email": {
                "smtp_host": "127.0.0.1",
                "smtp_port": mailbox.port if mailbox else 1,
                "security": "none",
                "sender": "dora@example.com",
                "recipients": ["lead@example.com"],
                "dashboard_url": "http://dashboard.example:8501",
            },
            "alerts": {
                "email": mailbox is not None,
                "pagerduty_events_url": f"{receiver.url}/v2/enqueue"
                if receiver
                else "http://127.0.0.1:1/",
                **alerts,
            },
        }
    )


def _alert(key: str, severity: str = "warning", team: str = HOSTILE) -> Alert:
    return Alert(
        key=key,
        kind="level_drop" if severity == "warning" else "open_failure",
        severity=severity,
        title=f"{team}: Change fail rate dropped from high to low",
        lines=("DORA level of change fail rate over the last 30 days: high, now low.",),
        teams=(team,),
        link="http://dashboard.example:8501/teams?team=x&env=production",
        facts={"unit": team},
        raised_at=NOW,
    )


def _recorded(db, alerts: list[Alert]) -> None:
    with duckdb.connect(str(db)) as con:
        outbox.record(con, alerts)


@pytest.fixture
def channels_env(monkeypatch, receiver):
    monkeypatch.setenv("DORA_ALERTS_WEBHOOK_URL", f"{receiver.url}/hooks/{SECRET}")
    monkeypatch.setenv("DORA_PAGERDUTY_ROUTING_KEY", "R0UTINGKEY0000000000000000000000")


def test_each_alert_reaches_each_channel_once_with_its_payload(tmp_path, receiver, mailbox, channels_env, caplog):  # fmt: skip
    db = tmp_path / "dora.duckdb"
    settings = _settings(mailbox, receiver)
    _recorded(db, [_alert("level/1"), _alert("open/1", "critical")])
    _recorded(db, [_alert("level/1")])  # raised again by a later build: the same key, ignored
    with caplog.at_level(logging.DEBUG):
        report = deliver(db, settings, NOW)
    assert sorted(report.sent) == [
        ("level/1", "email"), ("level/1", "webhook"),
        ("open/1", "email"), ("open/1", "pagerduty"), ("open/1", "webhook"),
    ]  # fmt: skip
    hooks = receiver.on(f"/hooks/{SECRET}")
    assert len(hooks) == 2
    slack = hooks[0].json()
    assert set(slack) == {"text", "blocks"} and [b["type"] for b in slack["blocks"]] == ["section", "section", "context"]  # fmt: skip
    assert "dropped from high to low" in slack["text"]
    (page,) = receiver.on("/v2/enqueue")  # critical ones only
    event = page.json()
    assert event["event_action"] == "trigger" and event["dedup_key"] == "open/1"
    assert event["routing_key"] == "R0UTINGKEY0000000000000000000000"
    assert (
        event["payload"]["severity"] == "critical" and event["payload"]["source"] == "dora-pipeline"
    )
    recipients = sorted(tuple(rcpt) for rcpt, _ in mailbox.messages)
    assert recipients == [("lead@example.com", "team@example.com")] * 2
    # a second cycle sends nothing: every (alert, channel) is recorded as delivered
    assert deliver(db, settings, NOW).sent == []
    assert len(receiver.posts) == 3 and len(mailbox.messages) == 2
    assert SECRET not in caplog.text and "R0UTINGKEY" not in caplog.text


def test_a_receiver_answering_500_then_200_gets_it_at_the_next_cycle(tmp_path, receiver, channels_env):  # fmt: skip
    db = tmp_path / "dora.duckdb"
    settings = _settings(receiver=receiver)
    receiver.statuses = [500, 200]
    _recorded(db, [_alert("level/1")])
    first = deliver(db, settings, NOW)
    assert first.sent == [] and first.failed == [("level/1", "webhook", "HTTP 500 Internal Server Error")]  # fmt: skip
    listed = "\n".join(dry_run(db, settings, NOW))
    assert "webhook (failed 1x: HTTP 500 Internal Server Error)" in listed
    second = deliver(db, settings, NOW)
    assert second.sent == [("level/1", "webhook")] and second.failed == []
    assert deliver(db, settings, NOW).sent == []
    assert len(receiver.posts) == 2  # the failed try and the good one, nothing after
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("select attempts, last_error from alerts.deliveries").fetchall()
        assert stored == [(2, None)]
    assert SECRET.encode() not in db.read_bytes()


def test_an_unreachable_channel_never_blocks_and_never_shows_its_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_ALERTS_WEBHOOK_URL", f"http://127.0.0.1:1/hooks/{SECRET}")
    db = tmp_path / "dora.duckdb"
    _recorded(db, [_alert("level/1")])
    report = deliver(db, _settings(), NOW)
    (failure,) = report.failed
    assert failure[1] == "webhook" and SECRET not in failure[2]
    assert "Connection refused" in failure[2] or "cannot reach" in failure[2]


def test_alerts_older_than_the_retry_window_are_given_up(tmp_path, receiver, channels_env):
    db = tmp_path / "dora.duckdb"
    _recorded(db, [_alert("level/1")])
    later = datetime(2026, 12, 4, 9, 0)  # 72 h later, retry_hours 48
    assert deliver(db, _settings(receiver=receiver), later).sent == []
    assert receiver.posts == []


def test_hostile_names_are_escaped_for_slack_html_and_json(tmp_path, receiver, mailbox, channels_env):  # fmt: skip
    db = tmp_path / "dora.duckdb"
    _recorded(db, [_alert("open/1", "critical")])
    deliver(db, _settings(mailbox, receiver), NOW)
    slack = receiver.on(f"/hooks/{SECRET}")[0].json()
    texts = [slack["text"], *(b["text"]["text"] for b in slack["blocks"] if "text" in b)]
    for text in texts:  # no mention, no foreign link, no raw angle bracket from the name
        assert "<!channel>" not in text and "<https://evil.example" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in slack["text"]
    # the only link is ours
    assert slack["text"].count("<") == 1 and "<http://dashboard.example:8501/teams?team=x&amp;env=production|Open the dashboard>" in slack["text"]  # fmt: skip
    event = receiver.on("/v2/enqueue")[0].json()  # JSON: the name round-trips as text
    assert event["payload"]["summary"].startswith(HOSTILE)
    assert event["payload"]["custom_details"]["unit"] == HOSTILE
    ((_, raw),) = mailbox.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == f"[dora critical] {HOSTILE}: Change fail rate dropped from high to low"  # fmt: skip
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &quot;q&quot;" in html
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert HOSTILE in plain  # plain text needs no escaping


def test_dora_alerts_test_sends_one_message_to_each_channel(receiver, mailbox, channels_env, monkeypatch):  # fmt: skip
    monkeypatch.setenv("DORA_ALERTS_APPRISE_URLS", f"mmost://{receiver.url.removeprefix('http://')}/apprisetoken")  # fmt: skip
    results = dict(send_test(_settings(mailbox, receiver)))
    assert results == {"email": None, "webhook": None, "apprise": None, "pagerduty": None}
    assert len(receiver.on(f"/hooks/{SECRET}")) == 1 and len(receiver.on("/v2/enqueue")) == 1
    (mattermost,) = receiver.on("/hooks/apprisetoken")  # apprise's Mattermost plugin, over HTTP
    assert "this channel works" in json.dumps(mattermost.json())
    assert len(mailbox.messages) == 1


def test_dry_run_lists_what_is_due_and_what_is_not_configured(tmp_path, monkeypatch):
    for name in ("DORA_ALERTS_WEBHOOK_URL", "DORA_ALERTS_APPRISE_URLS", "DORA_PAGERDUTY_ROUTING_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "dora.duckdb"
    _recorded(db, [_alert("open/1", "critical")])
    lines = dry_run(db, _settings(), NOW)
    assert lines[0] == f"[critical] {HOSTILE}: Change fail rate dropped from high to low"
    assert "-> apprise (not configured), email (not configured), pagerduty (not configured), webhook (not configured)" in "\n".join(lines)  # fmt: skip
    assert "    webhook: DORA_ALERTS_WEBHOOK_URL is not set" in lines
