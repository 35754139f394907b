"""Sentence embeddings. The only module that imports sentence-transformers."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from common.pretrained import resolve_model_path


class Embedder:
    """Normalised float32 embeddings from a sentence-transformers model, loaded once.

    `model_name` is what manifests record, so an index refuses a model it was not built with.
    """

    def __init__(self, model_name: str, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name
        self._model = SentenceTransformer(resolve_model_path(model_name), device=device)
        self._lock = threading.Lock()
        self.dimension: int = int(getattr(self._model, "get_embedding_dimension", None)() if hasattr(self._model, "get_embedding_dimension") else self._model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Embed `texts` as an (n, dimension) array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                show_progress_bar=show_progress,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
        return np.asarray(vectors, dtype=np.float32)
