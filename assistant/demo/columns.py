"""Column formatting shared by the demo writers: ids, timestamps, money."""

from __future__ import annotations

import numpy as np

from assistant.demo.sales import START_DAY


def ids(prefix: str, n: int, width: int) -> np.ndarray:
    width = max(width, len(str(n)))  # widen at big scales instead of overflowing
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """Integer seconds since the calendar start -> 'YYYY-MM-DD HH:MM:SS' strings."""
    stamps = np.datetime64(START_DAY, "s") + seconds.astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " ").astype(object)


def money(values: np.ndarray) -> list[str]:
    """Amounts as fixed two-decimal strings (faster than a float_format, same bytes everywhere)."""
    cents = np.round(values * 100).astype(np.int64).tolist()
    return [f"{c // 100}.{c % 100:02d}" for c in cents]
