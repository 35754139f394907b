"""The dense index: FAISS inner product over unit vectors. The only module that imports faiss.

Exact `IndexFlatIP` by default (a help centre has thousands of passages: exact search takes well
under a millisecond); `IndexHNSWFlat` for large collections (~100k+ passages). Both sit in an
`IndexIDMap2`, so passages keep stable int64 ids and documents can be added without a rebuild.
HNSW cannot delete in place, so removals there are tombstoned and filtered out of results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import faiss
import numpy as np

FLAT, HNSW = "flat", "hnsw"


class VectorIndex:
    """Stable-id vector search with add/remove; `kind` is "flat" or "hnsw"."""

    def __init__(self, dimension: int, kind: str = FLAT, hnsw_m: int = 32, ef_search: int = 64) -> None:
        if kind not in (FLAT, HNSW):
            raise ValueError(f"unknown index kind {kind!r}")
        self.dimension, self.kind, self.hnsw_m, self.ef_search = dimension, kind, hnsw_m, ef_search
        if kind == FLAT:
            base: faiss.Index = faiss.IndexFlatIP(dimension)
        else:
            hnsw = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 80
            base = hnsw
        self._index = faiss.IndexIDMap2(base)
        self._configure()
        self.removed_: set[int] = set()

    def _configure(self) -> None:
        if self.kind == HNSW:
            cast(faiss.IndexHNSWFlat, faiss.downcast_index(self._index.index)).hnsw.efSearch = self.ef_search

    @property
    def size(self) -> int:
        """Live vectors (tombstoned ones excluded)."""
        return int(self._index.ntotal) - len(self.removed_)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape[1:] != (self.dimension,):
            raise ValueError(f"vectors of dimension {vectors.shape[1:]} for an index of dimension {self.dimension}")
        self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> None:
        if not ids:
            return
        if self.kind == FLAT:
            # faiss's stubs accept only an IDSelector here; its Python wrapper also takes an array of ids.
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]
        else:
            self.removed_.update(int(i) for i in ids)

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n, k'), best first; id -1 pads missing results. With `allowed`
        (ids), only those are searched: FAISS filters while it searches, so the k best allowed
        vectors come back even when other vectors score higher."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self._index.ntotal == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        fetch = min(k + len(self.removed_), int(self._index.ntotal))
        threads = faiss.omp_get_max_threads()
        if len(queries) <= 4:
            faiss.omp_set_num_threads(1)  # OpenMP start-up costs more than a single query; 3x faster measured
        params: faiss.SearchParameters | None = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            # faiss's stubs lack SearchParametersHNSW and the keyword arguments its Python wrapper accepts.
            if self.kind == HNSW:
                params = faiss.SearchParametersHNSW(sel=selector)  # type: ignore[attr-defined]
            else:
                params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        try:
            scores, ids = self._index.search(queries, fetch, params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        if self.removed_:
            keep = ~np.isin(ids, np.fromiter(self.removed_, dtype=np.int64))
            scores = np.stack([row[mask][:k] for row, mask in zip(scores, keep)]) if len(ids) else scores
            ids = np.stack([row[mask][:k] for row, mask in zip(ids, keep)]) if len(ids) else ids
        return scores[:, :k], ids[:, :k]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors for `ids` (to score passages found only lexically)."""
        if len(ids) == 0:
            return np.zeros((0, self.dimension), np.float32)
        return np.vstack([self._index.reconstruct(int(i)) for i in ids])

    def save(self, directory: Path) -> None:
        faiss.write_index(self._index, str(directory / "vectors.faiss"))
        (directory / "vectors.json").write_text(json.dumps({
            "dimension": self.dimension, "kind": self.kind, "hnsw_m": self.hnsw_m,
            "ef_search": self.ef_search, "removed": sorted(self.removed_)}))

    @classmethod
    def load(cls, directory: Path) -> VectorIndex:
        meta = json.loads((directory / "vectors.json").read_text())
        index = cls(meta["dimension"], meta["kind"], meta["hnsw_m"], meta["ef_search"])
        index._index = cast(faiss.IndexIDMap2, faiss.read_index(str(directory / "vectors.faiss")))  # read_index downcasts
        index._configure()
        index.removed_ = set(meta["removed"])
        if index._index.d != index.dimension:
            raise ValueError("vectors.faiss does not match vectors.json")
        return index
