"""Build the multipart email and deliver it over SMTP, with one clear line for each failure."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from settings.config import EmailSettings

CHART_CID_DOMAIN = "dora.report"


class EmailDeliveryError(Exception):
    """The mail could not be delivered; the message is one line saying why."""


def build_message(
    subject: str,
    text: str,
    html_with_cid: str,
    sender: str,
    recipients: list[str],
    chart_png: bytes | None,
    chart_cid: str | None,
) -> EmailMessage:
    """multipart/alternative: text/plain, then text/html (multipart/related with its chart)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=CHART_CID_DOMAIN)
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html_with_cid, subtype="html", charset="utf-8")
    if chart_png and chart_cid:
        html_part = message.get_payload()[1]
        html_part.add_related(
            chart_png,
            maintype="image",
            subtype="png",
            cid=f"<{chart_cid}>",
            filename="weekly-trend.png",
            disposition="inline",
        )
    return message


def new_chart_cid() -> str:
    """A Content-ID for the inline chart, without the angle brackets."""
    return make_msgid(idstring="chart", domain=CHART_CID_DOMAIN)[1:-1]


def send_message(
    message: EmailMessage,
    settings: EmailSettings,
    recipients: list[str],
    timeout: float = 30,
) -> None:
    """Deliver over SMTP (`starttls`, `tls` or `none`); the password comes from SMTP_PASSWORD only."""
    if not recipients:
        raise EmailDeliveryError("no recipients: set email.recipients in the config or pass --to")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    password = os.environ.get("SMTP_PASSWORD")
    if settings.username and not password:
        raise EmailDeliveryError(
            f"email.username is {settings.username!r} but SMTP_PASSWORD is not set"
        )
    try:
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    except ConnectionRefusedError:
        raise EmailDeliveryError(
            f"cannot connect to SMTP server {where}: connection refused"
        ) from None
    except TimeoutError:
        raise EmailDeliveryError(f"cannot connect to SMTP server {where}: timed out") from None
    except ssl.SSLError as exc:
        raise EmailDeliveryError(f"TLS handshake with {where} failed: {exc.reason}") from None
    except OSError as exc:
        raise EmailDeliveryError(
            f"cannot connect to SMTP server {where}: {exc.strerror or exc}"
        ) from None
    try:
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, password or "")
            refused = client.send_message(message, from_addr=settings.sender, to_addrs=recipients)
    except smtplib.SMTPNotSupportedError as exc:
        raise EmailDeliveryError(f"SMTP server {where} does not support {_what(exc)}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailDeliveryError(
            f"SMTP login as {settings.username!r} at {where} failed: {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailDeliveryError(
            f"recipient refused by {where}: {_refusals(exc.recipients)}"
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise EmailDeliveryError(
            f"sender {exc.sender!r} refused by {where}: {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise EmailDeliveryError(
            f"SMTP server {where} said {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from None
    except ssl.SSLError as exc:
        raise EmailDeliveryError(f"TLS with {where} failed: {exc.reason}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailDeliveryError(f"SMTP with {where} failed: {exc}") from None
    if refused:  # some recipients got it, others were refused: still a failure to report
        raise EmailDeliveryError(
            f"recipient refused by {where}: {_refusals(refused)} (delivered to the others)"
        )


def _text(error: bytes | str) -> str:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return " ".join(text.split())


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address} ({code} {_text(reply)})" for address, (code, reply) in refused.items()
    )


def _what(exc: Exception) -> str:
    text = str(exc).upper()
    if "STARTTLS" in text:
        return 'STARTTLS (try security = "tls" or "none")'
    if "AUTH" in text:
        return "login (AUTH); leave email.username unset"
    return str(exc) or "a required extension"
