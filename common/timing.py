"""Latency summaries, the same shape in every report and benchmark."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def latency_summary(times_ms: Sequence[float]) -> dict[str, float]:
    """p50, p99 and mean (ms) of per-call timings, plus how many calls were timed."""
    values = np.asarray(times_ms, dtype=float)
    if values.size == 0:
        return {"p50": 0.0, "p99": 0.0, "mean": 0.0, "n": 0}
    return {"p50": round(float(np.percentile(values, 50)), 3), "p99": round(float(np.percentile(values, 99)), 3),
            "mean": round(float(values.mean()), 3), "n": int(values.size)}
