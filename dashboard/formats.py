"""How numbers read on a tile or in a table: durations in minutes/hours/days, rates in percent."""

from __future__ import annotations

import math

NO_DATA = "no data"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def duration(seconds: float | None) -> str:
    """3 600 -> '1.0 h'; picks minutes, hours or days so the number stays readable."""
    if _missing(seconds):
        return NO_DATA
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(ratio: float | None) -> str:
    """0.125 -> '12.5%'."""
    return NO_DATA if _missing(ratio) else f"{ratio * 100:.1f}%"


def number(value: float | None) -> str:
    """5.43 -> '5.4'."""
    return NO_DATA if _missing(value) else f"{value:,.1f}"


def count(value: float | None) -> str:
    return NO_DATA if _missing(value) else f"{int(value):,}"
