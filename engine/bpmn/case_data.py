"""What case data may hold: plain JSON values of bounded size, depth and magnitude, nothing else.

Whatever a script, a decision table or an expression puts into a case is stored, shown on every screen and sent
through the API as strict JSON. A value JSON cannot hold (a ``range``, ``1j``, a set, NaN, a lone surrogate, a
list that contains itself, an integer of a thousand digits) would break saving or every later view, so it is
refused where it is made, naming the variable."""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 32  # levels of nested lists and objects
MAX_INT = 2**63 - 1  # integers beyond 64 bits lose their value in JSON readers (and in PostgreSQL's jsonb indexes)
MAX_TEXT = 1_000_000  # characters of one string
MAX_ITEMS = 100_000  # elements and keys in one value, counted through every level
MAX_CASE_DATA_BYTES = 2 * 2**20  # the case's data as stored (JSON text)
MAX_STATE_BYTES = 16 * 2**20  # a case's whole engine state as stored (JSON text)


class UnstorableValue(ValueError):
    """A value case data cannot hold; ``path`` names where it sits (``payments[3].amount``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"'{path}' {reason}")
        self.path = path
        self.reason = reason


def check_value(name: str, value: Any) -> None:
    """Raise UnstorableValue unless ``value`` is plain JSON within the bounds above."""
    budget = [MAX_ITEMS]
    active: set[int] = set()

    def walk(item: Any, path: str, depth: int) -> None:
        if item is None or isinstance(item, bool):
            return
        if isinstance(item, int):
            if not -MAX_INT - 1 <= item <= MAX_INT:
                raise UnstorableValue(path, "is an integer larger than 64 bits, which case data cannot hold")
            return
        if isinstance(item, float):
            if not math.isfinite(item):
                raise UnstorableValue(path, f"is {item!r}, which JSON cannot hold (use null or a number)")
            return
        if isinstance(item, str):
            _check_text(item, path)
            return
        if not isinstance(item, list | dict):
            raise UnstorableValue(path, f"holds a {type(item).__name__}, which case data cannot hold "
                                        "(text, numbers, true/false, null, lists and objects only)")
        if depth >= MAX_DEPTH:
            raise UnstorableValue(path, f"is nested deeper than {MAX_DEPTH} levels")
        if id(item) in active:
            raise UnstorableValue(path, "contains itself")
        budget[0] -= len(item)
        if budget[0] < 0:
            raise UnstorableValue(name, f"has more than {MAX_ITEMS:,} elements")
        active.add(id(item))
        if isinstance(item, list):
            for index, element in enumerate(item):
                walk(element, f"{path}[{index}]", depth + 1)
        else:
            for key, element in item.items():
                if not isinstance(key, str):
                    raise UnstorableValue(path, f"has a key {key!r} that is not text")
                _check_text(key, f"{path} key")
                walk(element, f"{path}.{key}", depth + 1)
        active.discard(id(item))

    walk(value, name, 0)


def _check_text(text: str, path: str) -> None:
    if len(text) > MAX_TEXT:
        raise UnstorableValue(path, f"is text longer than {MAX_TEXT:,} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnstorableValue(path, "holds a lone surrogate character, which is not text") from None


def check_data(data: dict[str, Any]) -> None:
    """Every variable of ``data``."""
    for name, value in data.items():
        check_value(str(name), value)
