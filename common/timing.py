"""Per-call timings and their summaries, the same shape in every report and benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np


def latency_summary(times_ms: Sequence[float] | np.ndarray) -> dict[str, float]:
    """p50, p99 and mean (ms) of per-call timings, plus how many calls were timed."""
    values = np.asarray(times_ms, dtype=float)
    if values.size == 0:
        return {"p50": 0.0, "p99": 0.0, "mean": 0.0, "n": 0}
    return {"p50": round(float(np.percentile(values, 50)), 3), "p99": round(float(np.percentile(values, 99)), 3),
            "mean": round(float(values.mean()), 3), "n": int(values.size)}


def call_times_ms(fn: Callable[[Any], object], items: Iterable[Any]) -> list[float]:
    """How long `fn(item)` took for each item, in milliseconds, one call at a time."""
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out
