"""The dates the platform computes with. A date outside them, in a filter or a timer, is refused with a message:
year 1 or year 9999 moved by a time zone or a day overflows Python's dates, and no case lives that long."""

from __future__ import annotations

import datetime

__all__ = ["EARLIEST_YEAR", "LATEST_YEAR", "out_of_range"]

#: The first and last years a date filter, a period or a timer literal may name. Deadlines of up to
#: MAX_WORKING_DAYS (ten years) counted from LATEST_YEAR still fit in Python's dates with room to spare.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2199


def out_of_range(value: datetime.date | datetime.datetime) -> str | None:
    """Why ``value`` is outside the dates the platform computes with, or None."""
    if EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return None
    return f"{value.isoformat()} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR} the platform works with"
