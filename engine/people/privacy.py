"""Personal data kept out of lists, exports and logs: ID card numbers (身份证号) and mobile numbers masked,
e.g. 3715**********3015 and 138****1234, wherever they appear in a text."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

__all__ = ["install_log_masking", "mask_personal_data", "mask_text"]

# 18-character resident ID numbers (17 digits and a digit or X) and mainland mobile numbers, not inside a
# longer run of digits (an order number stays as it is).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{3})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """``text`` with every ID number and mobile number in it masked."""
    return _MOBILE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1**********\2", text))


def mask_personal_data(value: Any) -> Any:
    """A copy of ``value`` (text, or lists and dicts of it) with the personal numbers in its texts masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_personal_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_personal_data(item) for item in value)
    return value


_installed: list[Any] = []


def install_log_masking() -> None:
    """Mask personal numbers in every log record of the process, its traceback included (once per process:
    the record factory is global, so records of every library logger are masked before any handler sees them)."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a bad format string is the logging module's to report
            return record
        record.msg, record.args = mask_text(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return record

    logging.setLogRecordFactory(masked_record)
    _installed.append(masked_record)
