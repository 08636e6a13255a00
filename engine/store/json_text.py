"""A text field of a JSON column, read in SQL, that never fails the query: a document stored before requests
were checked strictly (a NaN, a lone surrogate, a NUL) reads as NULL instead of failing the whole list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, Text, case, cast, func, null, type_coerce
from sqlalchemy.types import TypeDecorator

__all__ = ["json_text"]

# In a PostgreSQL json document's text: \u0000 and UTF-16 surrogates that are not a pair, which ->> refuses.
_UNREADABLE_PG = (r"\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
                  r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]")


class _LenientText(TypeDecorator[str]):
    """Text from bytes that may not be UTF-8 (SQLite hands a lone surrogate back as such): U+FFFD for what is not."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value).decode("utf-8", "replace")
        return value  # type: ignore[no-any-return]


def json_text(column: Any, path: str | tuple[str, ...], dialect: str, *, selected: bool = False) -> ColumnElement[str]:
    """``column[path]`` as text on ``dialect`` ("sqlite" or "postgresql"); NULL where the document is unreadable.
    ``selected``: the value is read back by Python (not only compared in SQL).

    SQLite's json_extract fails the statement on a malformed document (NaN is not JSON) and returns a lone
    surrogate as bytes Python cannot decode (read back as a blob, which SQLite's LIKE cannot compare: hence
    ``selected``); PostgreSQL's ->> fails on \\u0000 and unpaired surrogates."""
    extracted = column[path].as_string()
    if dialect == "sqlite":
        value = cast(extracted, LargeBinary) if selected else extracted
        return type_coerce(case((func.json_valid(column) == 1, value), else_=null()), _LenientText())
    if dialect == "postgresql":
        unreadable = cast(column, Text).op("~")(_UNREADABLE_PG)
        return type_coerce(case((unreadable, null()), else_=extracted), _LenientText())
    return type_coerce(extracted, _LenientText())
