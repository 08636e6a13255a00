"""JSON in and out of the app, strict both ways: a request's JSON is refused when it holds what JSON cannot (NaN,
Infinity, lone surrogates), nests deeper or counts bigger than the platform works with; every JSON the app
emits is strict JSON, even for a value stored before the door was this strict."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

__all__ = ["MAX_JSON_DEPTH", "MAX_JSON_NUMBER", "JSONRefused", "StrictJSONProvider", "StrictRequestJSON", "parse_json",
           "plain_json"]

#: Containers inside containers a request's JSON may hold (the body object counts as the first): forms are
#: a few levels deep, and the engine walks data recursively (copies, serialization, validation).
MAX_JSON_DEPTH = 32
#: The largest magnitude of a number, integer or not: 2**53 - 1, the integers every JSON reader (a browser
#: too) holds exactly (RFC 7493, I-JSON). Bigger numbers are refused rather than silently rounded.
MAX_JSON_NUMBER = 2**53 - 1
_NUMBER_CHARS = 40  # a number written longer than this is refused before Python converts it
# Characters no JSON text the platform keeps may hold: C0 controls but tab and line breaks, and lone UTF-16
# surrogates (they cannot be written as UTF-8: every page showing such a value would fail).
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# In a key: no control character at all.
_BAD_KEY = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONRefused(ValueError):
    """A request's JSON holds something the platform does not accept; the message says what and where."""


def _refuse_constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number: send a finite number or null")


def _integer(text: str) -> int:
    if len(text) > _NUMBER_CHARS:
        raise JSONRefused(f"the number {text[:20]}… is too large (at most {MAX_JSON_NUMBER})")
    value = int(text)
    if abs(value) > MAX_JSON_NUMBER:
        raise JSONRefused(f"the number {text} is too large (at most {MAX_JSON_NUMBER})")
    return value


def _float(text: str) -> float:
    if len(text) > _NUMBER_CHARS:
        raise JSONRefused(f"the number {text[:20]}… is written too long")
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_JSON_NUMBER:
        raise JSONRefused(f"the number {text} is too large (at most {MAX_JSON_NUMBER})")
    return value


def _where(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "the body"


def check_json_value(value: Any) -> None:
    """JSONRefused unless ``value`` nests at most MAX_JSON_DEPTH deep and its texts and keys are clean."""
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, str):
            if (bad := _BAD_TEXT.search(node)) is not None:
                raise JSONRefused(f"{_where(path)} holds the character U+{ord(bad.group()):04X}, which text here "
                                  "cannot contain")
        elif isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise JSONRefused(f"{_where(path)} is nested more than {MAX_JSON_DEPTH} levels deep")
            if isinstance(node, list):
                stack.extend((item, depth + 1, (*path, index)) for index, item in enumerate(node))
                continue
            for key, item in node.items():
                if _BAD_KEY.search(key):
                    raise JSONRefused(f"a key in {_where(path)} holds a control character or a lone surrogate")
                stack.append((item, depth + 1, (*path, key)))


def parse_json(raw: bytes | str) -> Any:
    """The value of a request's JSON text, or JSONRefused saying what is wrong with it."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise JSONRefused("the body is not UTF-8 text") from error
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_integer, parse_float=_float)
    except RecursionError as error:  # far deeper than MAX_JSON_DEPTH: the parser gave up first
        raise JSONRefused(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from error
    except JSONRefused:
        raise
    except ValueError as error:
        raise JSONRefused(f"not valid JSON: {error}") from error
    check_json_value(value)
    return value


def plain_json(value: Any) -> Any:
    """``value`` with what strict JSON cannot hold replaced: NaN and infinities by null, lone surrogates by U+FFFD
    (only ever needed for data stored before the door refused them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {plain_json(k) if isinstance(k, str) else k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, written strictly: never NaN, Infinity or a lone surrogate, so every answer is valid JSON in
    UTF-8. (Requests are read by :class:`StrictRequestJSON`.)"""

    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        kwargs["allow_nan"] = False
        try:
            text = json.dumps(obj, **kwargs)
        except ValueError:  # a NaN or an infinity, stored before the door refused them
            return json.dumps(plain_json(obj), **kwargs)
        if _SURROGATE.search(text):
            return json.dumps(plain_json(obj), **kwargs)
        return text


class StrictRequestJSON:
    """What ``request.get_json`` reads with (``Request.json_module``): :func:`parse_json`, so every view that reads
    JSON, not only the API's, refuses what the platform does not keep."""

    @staticmethod
    def loads(s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, **kwargs)
