"""The channels to the outside, over their real protocols: email through an SMTP server (smtplib; plain, STARTTLS
or TLS from the start), SMS through an HTTP gateway (POST JSON ``{"mobile", "text"}``) and a department's group
robot (POST JSON ``{"msgtype": "text", "text": {"content": …}}``, as WeCom and DingTalk take it).

A failure says whether the message can be tried again: only when it certainly did not go out (no connection, or
the server answered that it refused it). When the other side may have received it — the connection dropped after
the message was handed over, or no answer came in time — it is never sent again: each message goes out at most
once."""

from __future__ import annotations

import http.client
import json
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from engine.errors import OneStopError
from engine.notify.config import NotifyConfig, SmtpServer
from engine.notify.templates import Message

#: How long one message may take to go out (connecting, and waiting for each answer), in seconds.
SMTP_TIMEOUT = 20.0
HTTP_TIMEOUT = 10.0
#: The most of a gateway's or robot's answer that is read.
MAX_ANSWER_BYTES = 64 * 1024


class DeliveryFailed(OneStopError):
    """The message did not go out (``retry``: it certainly did not, and may be tried again)."""

    code = "delivery_failed"

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def email_message(config: NotifyConfig, to: str, message: Message, *, sender_name: str) -> EmailMessage:
    """A UTF-8 email (default policy: Chinese subjects and names are encoded as RFC 2047 words)."""
    email = EmailMessage()
    email["Subject"] = message.subject
    name, address = parseaddr(config.sender)
    username, _at, domain = address.partition("@")
    email["From"] = Address(display_name=name or sender_name, username=username, domain=domain)
    email["To"] = to
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = make_msgid(domain=domain or "localhost")
    email.set_content(message.body + "\n")
    return email


def send_email(config: NotifyConfig, to: str, message: Message, *, sender_name: str) -> None:
    if not config.smtp_url:
        raise DeliveryFailed("email is not configured: set ONESTOP_SMTP_URL", retry=False)
    server = SmtpServer.parse(config.smtp_url)
    email = email_message(config, to, message, sender_name=sender_name)
    context = ssl.create_default_context(cafile=config.smtp_cafile or None)
    handed_over = False
    try:
        client: smtplib.SMTP
        if server.scheme == "smtps":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
        try:
            client.ehlo()
            if server.scheme == "smtp+starttls":
                client.starttls(context=context)
                client.ehlo()
            if server.username:
                client.login(server.username, server.password)
            handed_over = True
            client.send_message(email)
        finally:
            _close(client)
    except smtplib.SMTPResponseException as error:  # the server answered: it did not take the message
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) \
            else str(error.smtp_error)
        raise DeliveryFailed(f"the mail server refused it: {error.smtp_code} {text}",
                             retry=400 <= error.smtp_code < 500) from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        raise DeliveryFailed(f"the mail server refused the address: {error.recipients}",
                             retry=all(400 <= code < 500 for code in codes)) from error
    except smtplib.SMTPNotSupportedError as error:
        raise DeliveryFailed(f"the mail server does not offer what ONESTOP_SMTP_URL asks for: {error}",
                             retry=False) from error
    except (smtplib.SMTPException, OSError) as error:
        if handed_over:
            raise DeliveryFailed(f"the connection to the mail server broke while the message was being handed "
                                 f"over ({type(error).__name__}: {error}): it may have been delivered, so it is "
                                 "not sent again", retry=False) from error
        raise DeliveryFailed(f"cannot reach the mail server {server.host}:{server.port}: "
                             f"{type(error).__name__}: {error}", retry=True) from error


def _close(client: smtplib.SMTP) -> None:
    """Say goodbye; the message's fate was settled before, whatever QUIT answers."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def post_json(url: str, body: dict[str, Any], *, what: str) -> Any:
    """POST ``body`` as JSON; the answer's JSON (or None). DeliveryFailed saying whether to try again."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryFailed(f"the {what} address is not an http(s) URL", retry=False)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=HTTP_TIMEOUT)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    try:
        try:
            connection.connect()
            connection.request("POST", path, body=payload, headers={
                "Content-Type": "application/json; charset=utf-8", "User-Agent": "onestop-notify"})
        except OSError as error:  # nothing (or not the whole request) reached the other side
            raise DeliveryFailed(f"cannot reach the {what} at {parts.hostname}: {type(error).__name__}: {error}",
                                 retry=True) from error
        try:
            response = connection.getresponse()
            answer = response.read(MAX_ANSWER_BYTES)
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryFailed(f"the {what} took the message but gave no answer ({type(error).__name__}: "
                                 f"{error}): it may have been delivered, so it is not sent again",
                                 retry=False) from error
    finally:
        connection.close()
    if response.status >= 300:
        raise DeliveryFailed(f"the {what} answered HTTP {response.status}: {answer[:200].decode('utf-8', 'replace')}",
                             retry=response.status >= 500 or response.status == 429)
    try:
        return json.loads(answer) if answer.strip() else None
    except ValueError:
        return None


def send_sms(config: NotifyConfig, mobile: str, text: str) -> None:
    if not config.sms_url:
        raise DeliveryFailed("SMS is not configured: set ONESTOP_SMS_URL", retry=False)
    post_json(config.sms_url, {"mobile": mobile, "text": text}, what="SMS gateway")


def send_webhook(url: str, text: str) -> None:
    """A group robot answers ``{"errcode": 0}`` when it took the message; another code means it did not."""
    answer = post_json(url, {"msgtype": "text", "text": {"content": text}}, what="group robot")
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        raise DeliveryFailed(f"the group robot refused it: errcode {answer.get('errcode')} "
                             f"{str(answer.get('errmsg', ''))[:200]}", retry=True)
