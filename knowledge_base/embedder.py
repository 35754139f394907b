"""Sentence embeddings. The only module that imports sentence-transformers."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

import numpy as np

from common.pretrained import resolve_model_path

SINGLE_THREAD_MAX_TEXTS = 8
BULK_PRECISIONS = ("auto", "float32", "bfloat16")
_THREADS_LOCK = threading.Lock()


def resolve_bulk_precision(precision: str) -> str:
    """"auto" is bfloat16 only on CPUs with AMX tiles, where it embeds help-centre passages 2x faster
    (cosine to the float32 vectors >= 0.99997); elsewhere bfloat16 is emulated and slower than float32.
    """
    if precision not in BULK_PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {BULK_PRECISIONS}")
    if precision != "auto":
        return precision
    import torch

    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    return "bfloat16" if amx() else "float32"


@contextmanager
def _few_threads(enabled: bool) -> Iterator[None]:
    """Run torch on one intra-op thread for the duration (torch's setting is process-wide)."""
    if not enabled:
        yield
        return
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


class Embedder:
    """Normalised float32 embeddings from a sentence-transformers model, loaded once.

    `model_name` is what manifests record, so an index refuses a model it was not built with.
    `bulk_precision` applies to batches only (indexing): a single query is faster in float32.
    """

    def __init__(self, model_name: str, device: str = "cpu", bulk_precision: str = "auto") -> None:
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name
        self.bulk_precision = resolve_bulk_precision(bulk_precision) if device == "cpu" else "float32"
        self._model = SentenceTransformer(resolve_model_path(model_name), device=device)
        self._lock = threading.Lock()
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        size = dimension()  # the name changed in sentence-transformers 6
        if size is None:
            raise ValueError(f"{model_name}: the model does not tell its embedding dimension")
        self.dimension: int = int(size)

    def encode(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False,
               max_seq_length: int | None = None) -> np.ndarray:
        """Embed `texts` as an (n, dimension) array of unit vectors.

        A handful of texts (a shopper's question) runs on one intra-op thread: thread hand-off costs
        more than it saves on a 10-token input, and on a busy 2-core host two threads measured
        30x slower (p50 644 ms against 20 ms). Batches (indexing) keep every thread.
        `max_seq_length` truncates longer inputs (in word pieces) for this call; None keeps the
        model's own limit. Attention cost grows with the square of the length, so a cap speeds
        up indexing long passages.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        few = len(texts) <= SINGLE_THREAD_MAX_TEXTS
        with self._lock, _few_threads(few), self._bulk_autocast(not few):
            before = self._model.max_seq_length
            if max_seq_length is not None:
                self._model.max_seq_length = int(max_seq_length) if before is None else min(int(max_seq_length), before)
            try:
                vectors = self._model.encode(
                    list(texts),
                    batch_size=batch_size,
                    show_progress_bar=show_progress,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                )
            finally:
                self._model.max_seq_length = before
        return np.asarray(vectors, dtype=np.float32)

    def _bulk_autocast(self, bulk: bool):  # type: ignore[no-untyped-def]
        if not bulk or self.bulk_precision == "float32":
            return nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)
