"""Okapi BM25 over passages: a lexical score to fuse with the dense one.

Why our own: 80 lines of numpy/scipy, persisted as plain arrays (no pickle), and rows can be added
and removed with the FAISS index. Scores are also given normalised to [0, 1] by the best score the
query could reach, so a fused score keeps an absolute meaning a threshold can be calibrated on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from scipy import sparse

from common.text import STOPWORDS

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def stem(word: str) -> str:
    """A light suffix stripper: enough for refunds/refunded/refunding to meet, cheap and predictable."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, repl in (("ation", "ate"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            if word[-1] == word[-2] and word[-1] not in "aeiousz":
                word = word[:-1]  # cancelled -> cancel
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def tokenize(text: str) -> list[str]:
    """Lower-case word stems without stopwords."""
    return [stem(t.replace("'", "")) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


class BM25:
    """Term counts per passage (rows) in a sparse matrix; weights recomputed when rows change."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocabulary_: dict[str, int] = {}
        self.tf_ = sparse.csr_matrix((0, 0), dtype=np.float32)
        self._weights: sparse.csc_matrix | None = None

    @property
    def size(self) -> int:
        return int(self.tf_.shape[0])

    def add(self, texts: list[str]) -> BM25:
        """Append one row per text, growing the vocabulary."""
        rows: list[int] = []
        cols: list[int] = []
        vals: list[int] = []
        for r, text in enumerate(texts):
            counts: dict[int, int] = {}
            for token in tokenize(text):
                col = self.vocabulary_.setdefault(token, len(self.vocabulary_))
                counts[col] = counts.get(col, 0) + 1
            rows.extend([r] * len(counts))
            cols.extend(counts)
            vals.extend(counts.values())
        width = len(self.vocabulary_)
        new = sparse.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(texts), width))
        old = self.tf_
        old.resize((old.shape[0], width))
        self.tf_ = sparse.vstack([old, new], format="csr")
        self._weights = None
        return self

    def remove(self, rows: list[int]) -> BM25:
        """Drop the given rows (passage positions); the vocabulary is kept (harmless, stable)."""
        keep = np.setdiff1d(np.arange(self.size), np.asarray(rows, dtype=np.int64))
        self.tf_ = self.tf_[keep]
        self._weights = None
        return self

    def _compute(self) -> sparse.csc_matrix:
        tf = self.tf_.tocoo()
        n = max(self.size, 1)
        lengths = np.asarray(self.tf_.sum(axis=1)).ravel()
        avg = float(lengths.mean()) if self.size else 1.0
        df = np.bincount(tf.col, minlength=self.tf_.shape[1])
        self._idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = self.k1 * (1 - self.b + self.b * lengths[tf.row] / max(avg, 1e-9))
        values = self._idf[tf.col] * tf.data * (self.k1 + 1) / (tf.data + norm)
        self._weights = sparse.csc_matrix((values.astype(np.float32), (tf.row, tf.col)), shape=self.tf_.shape)
        return self._weights

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(raw BM25, normalised to [0, 1]) for every row; zeros when no query word is known."""
        weights = self._weights if self._weights is not None else self._compute()
        cols = sorted({self.vocabulary_[t] for t in tokenize(query) if t in self.vocabulary_})
        if not cols or not self.size:
            zeros = np.zeros(self.size, dtype=np.float32)
            return zeros, zeros
        raw = np.asarray(weights[:, cols].sum(axis=1)).ravel().astype(np.float32)
        best_possible = float(self._idf[cols].sum() * (self.k1 + 1))
        return raw, raw / best_possible

    def save(self, directory: Path) -> None:
        tf = self.tf_.tocsr()
        np.savez(directory / "bm25.npz", data=tf.data, indices=tf.indices, indptr=tf.indptr,
                 shape=np.asarray(tf.shape, dtype=np.int64))
        vocab = sorted(self.vocabulary_, key=self.vocabulary_.__getitem__)
        (directory / "bm25.json").write_text(json.dumps({"k1": self.k1, "b": self.b, "vocabulary": vocab}))

    @classmethod
    def load(cls, directory: Path) -> BM25:
        meta = json.loads((directory / "bm25.json").read_text())
        model = cls(k1=meta["k1"], b=meta["b"])
        model.vocabulary_ = {t: i for i, t in enumerate(meta["vocabulary"])}
        with np.load(directory / "bm25.npz", allow_pickle=False) as arrays:
            shape = tuple(int(x) for x in arrays["shape"])
            model.tf_ = sparse.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        return model
