"""What each person chose: the channels per kind of message (in-app is always on), the SMS quiet hours and the
language of their messages; and when a held SMS may go out."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.errors import InvalidInput
from engine.notify.config import parse_quiet_hours
from engine.notify.templates import CHANNELS, LANGUAGES, Template, TemplateBook

#: Kinds a person asked for themself at that moment (a registration code): never held by quiet hours.
NEVER_HELD = frozenset({"verification_code"})


def channels_for(settings: dict[str, Any] | None, template: Template) -> tuple[str, ...]:
    """The channels besides in-app this person gets for this kind: their choice, else the template's default."""
    chosen = ((settings or {}).get("channels") or {}).get(template.kind)
    if isinstance(chosen, list):
        return tuple(channel for channel in chosen if channel in CHANNELS)
    return template.channels


def language_of(settings: dict[str, Any] | None) -> str:
    language = (settings or {}).get("language")
    return language if language in LANGUAGES else "zh"


def quiet_hours_of(settings: dict[str, Any] | None, default: str) -> tuple[time, time] | None:
    chosen = (settings or {}).get("quiet_hours")
    try:
        return parse_quiet_hours(chosen if isinstance(chosen, str) else default)
    except InvalidInput:
        return parse_quiet_hours(default)


def in_quiet_hours(moment: time, window: tuple[time, time]) -> bool:
    start, end = window
    return start <= moment < end if start < end else (moment >= start or moment < end)


def release_time(now: datetime, window: tuple[time, time] | None, tz: ZoneInfo) -> datetime:
    """``now`` outside the quiet hours; else the moment they end (in the platform's time zone)."""
    if window is None:
        return now
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time(), window):
        return now
    end = datetime.combine(local.date(), window[1], tzinfo=tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), window[1], tzinfo=tz)
    return end


def settings_view(settings: dict[str, Any] | None, book: TemplateBook, default_quiet: str,
                  *, email: str | None, mobile: str | None) -> dict[str, Any]:
    """What the settings page and ``GET /api/v1/notifications/settings`` show."""
    return {
        "language": language_of(settings),
        "quiet_hours": (settings or {}).get("quiet_hours", default_quiet) or "off",
        "default_quiet_hours": default_quiet,
        "email": email, "mobile": mobile,
        "kinds": [{"kind": kind, "title": book.get(kind).title,
                   "channels": list(channels_for(settings, book.get(kind))),
                   "default_channels": list(book.get(kind).channels)} for kind in book.kinds()],
    }


def checked_settings(raw: Any, book: TemplateBook) -> dict[str, Any]:
    """A person's new settings, every field checked: ``{"channels": {kind: [channel, …]}, "quiet_hours":
    "22:00-07:00" | "off", "language": "zh" | "en"}`` (each optional)."""
    if not isinstance(raw, dict):
        raise InvalidInput("settings are a JSON object")
    problems = []
    result: dict[str, Any] = {}
    channels = raw.get("channels", {})
    if not isinstance(channels, dict):
        problems.append({"field": "channels", "message": "an object: kind -> list of channels"})
        channels = {}
    kinds = set(book.kinds())
    chosen: dict[str, list[str]] = {}
    for kind, values in channels.items():
        if kind not in kinds:
            problems.append({"field": f"channels.{kind}", "message": "not a kind of notification"})
        elif not isinstance(values, list) or any(value not in CHANNELS for value in values):
            problems.append({"field": f"channels.{kind}", "message": "a list of " + ", ".join(CHANNELS)})
        else:
            chosen[kind] = sorted(set(values), key=CHANNELS.index)
    if chosen:
        result["channels"] = chosen
    if "quiet_hours" in raw:
        value = raw["quiet_hours"]
        try:
            window = parse_quiet_hours(value) if isinstance(value, str) else None
            if not isinstance(value, str):
                raise InvalidInput("text")
            result["quiet_hours"] = "off" if window is None else f"{window[0]:%H:%M}-{window[1]:%H:%M}"
        except InvalidInput:
            problems.append({"field": "quiet_hours", "message": "HH:MM-HH:MM, or off"})
    if "language" in raw:
        if raw["language"] not in LANGUAGES:
            problems.append({"field": "language", "message": "zh or en"})
        else:
            result["language"] = raw["language"]
    if problems:
        raise InvalidInput("the notification settings have values that cannot be used", details=problems)
    return result
