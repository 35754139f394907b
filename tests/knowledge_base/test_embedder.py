"""Bulk precision: bfloat16 batches must give the float32 vectors to within rounding."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.embedder import SINGLE_THREAD_MAX_TEXTS, Embedder, resolve_bulk_precision

TEXTS = [f"Returns are free within {n} days of delivery; refunds reach your card in 5 to 10 days." for n in range(10, 22)]


def test_bfloat16_batches_match_float32(embedder: Embedder) -> None:
    assert len(TEXTS) > SINGLE_THREAD_MAX_TEXTS  # a batch, so the precision applies
    reference = Embedder("sentence-transformers/all-MiniLM-L6-v2", bulk_precision="float32").encode(TEXTS)
    bf16 = Embedder("sentence-transformers/all-MiniLM-L6-v2", bulk_precision="bfloat16")
    vectors = bf16.encode(TEXTS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.min() > 0.999 and not np.array_equal(vectors, reference)
    # A single query stays in float32: identical to the float32 model's vector.
    assert np.allclose(bf16.encode(TEXTS[:1]), reference[:1], atol=1e-5)


def test_precision_choices() -> None:
    assert resolve_bulk_precision("float32") == "float32"
    assert resolve_bulk_precision("auto") in ("float32", "bfloat16")
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        resolve_bulk_precision("fp8")
