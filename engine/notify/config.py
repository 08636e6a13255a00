"""Where notifications go out: the SMTP server, the SMS gateway, the links' base address and the SMS quiet hours,
read from the environment (ONESTOP_SMTP_URL, ONESTOP_MAIL_FROM, ONESTOP_SMS_URL, ONESTOP_BASE_URL, …)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time
from urllib.parse import unquote, urlsplit

from engine.errors import InvalidInput

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
#: SMS are held between these hours (in ONESTOP_TIMEZONE) unless a person chose otherwise.
DEFAULT_QUIET_HOURS = "22:00-07:00"
SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class SmtpServer:
    """``smtp://host:port`` (plain), ``smtp+starttls://user:password@host:587`` or ``smtps://…`` (TLS from the
    start); user and password are optional and may be percent-encoded."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url.strip())
        if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
            raise InvalidInput(f"ONESTOP_SMTP_URL must look like smtp://host:port, smtp+starttls://user:password@"
                               f"host:587 or smtps://host:465, not {parts.scheme or '?'}://…")
        try:
            port = parts.port or SMTP_SCHEMES[parts.scheme]
        except ValueError as error:
            raise InvalidInput(f"ONESTOP_SMTP_URL: {error}") from error
        return cls(parts.scheme, parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or ""))


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """``22:00-07:00`` → (22:00, 07:00); empty or ``off`` → None (no quiet hours)."""
    value = (text or "").strip().replace("–", "-")
    if value in ("", "off", "none"):
        return None
    start, dash, end = value.partition("-")
    first, last = _CLOCK.match(start.strip()), _CLOCK.match(end.strip())
    if not dash or first is None or last is None:
        raise InvalidInput(f"quiet hours are written 22:00-07:00, not {text!r}",
                           details=[{"field": "quiet_hours", "message": "HH:MM-HH:MM"}])
    begin, finish = time(int(first[1]), int(first[2])), time(int(last[1]), int(last[2]))
    if begin == finish:
        raise InvalidInput("quiet hours must not start and end at the same time",
                           details=[{"field": "quiet_hours", "message": "HH:MM-HH:MM"}])
    return begin, finish


@dataclass(frozen=True)
class NotifyConfig:
    smtp_url: str = ""
    mail_from: str = ""
    smtp_cafile: str = ""  # a private CA that signed the mail server's certificate (PEM)
    sms_url: str = ""
    base_url: str = DEFAULT_BASE_URL
    quiet_hours: str = DEFAULT_QUIET_HOURS

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> NotifyConfig:
        env = os.environ if environ is None else environ
        config = cls(smtp_url=env.get("ONESTOP_SMTP_URL", ""), mail_from=env.get("ONESTOP_MAIL_FROM", ""),
                     smtp_cafile=env.get("ONESTOP_SMTP_CAFILE", ""), sms_url=env.get("ONESTOP_SMS_URL", ""),
                     base_url=(env.get("ONESTOP_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
                     quiet_hours=env.get("ONESTOP_SMS_QUIET_HOURS", DEFAULT_QUIET_HOURS))
        if config.smtp_url:
            SmtpServer.parse(config.smtp_url)  # fail at start-up on a misspelt URL, not at the first message
        if config.sms_url and urlsplit(config.sms_url).scheme not in ("http", "https"):
            raise InvalidInput("ONESTOP_SMS_URL must be an http:// or https:// address")
        parse_quiet_hours(config.quiet_hours)
        return config

    @property
    def email_on(self) -> bool:
        return bool(self.smtp_url)

    @property
    def sms_on(self) -> bool:
        return bool(self.sms_url)

    @property
    def sender(self) -> str:
        return self.mail_from or "onestop@localhost"

    def link(self, path: str) -> str:
        """An absolute address of a page of the platform, for messages read outside it."""
        return f"{self.base_url}{path}" if path.startswith("/") else path
