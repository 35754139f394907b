"""Recommendations: BM25-weighted item-kNN on co-purchases, blended with product-text similarity.

Co-purchase neighbours carry most of the signal for products with a history; product-text
embeddings reach new products (no purchases yet) and give "similar to this" a fallback; a small
recency-weighted popularity prior ranks items for shoppers with no history at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from common.artifacts import hash_obj, read_manifest, staged, write_manifest
from common.errors import InvalidInput, NotFound
from retention_model.transactions import CANCEL_STATUSES, Transactions

KIND = "recommender"
TextEncoder = Callable[[Sequence[str]], np.ndarray]
DAY_NS = 86_400 * 10**9


def purchase_lines(tx: Transactions, cutoff: pd.Timestamp | None = None) -> pd.DataFrame:
    """Lines that are real purchases of a product (no returns, no cancellations), before `cutoff`."""
    lines = tx.lines
    keep = lines["product_id"].notna() & (lines["amount"] >= 0) & ~lines["status"].isin(CANCEL_STATUSES)
    if cutoff is not None:
        keep &= lines["ordered_at"] < cutoff
    return lines.loc[keep, ["customer_id", "product_id", "ordered_at"]]


def top_k_sparse(S: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the `k` largest entries of each row (the neighbour list of each item)."""
    S = S.tocsr()
    rows, cols, vals = [], [], []
    for i in range(S.shape[0]):
        start, end = S.indptr[i], S.indptr[i + 1]
        if end == start:
            continue
        data, idx = S.data[start:end], S.indices[start:end]
        if len(data) > k:
            part = np.argpartition(-data, k)[:k]
            data, idx = data[part], idx[part]
        rows.append(np.full(len(idx), i))
        cols.append(idx)
        vals.append(data)
    if not rows:
        return sp.csr_matrix(S.shape, dtype=np.float32)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=S.shape, dtype=np.float32)


def item_similarity(M: sp.csr_matrix, k: int, bm25: tuple[float, float] | None) -> sp.csr_matrix:
    """Cosine similarity between item columns of a customer×item matrix, optionally BM25-weighted."""
    M = M.tocsr().astype(np.float64)
    if bm25 is not None:
        k1, b = bm25
        n_customers = M.shape[0]
        df = np.bincount(M.indices, minlength=M.shape[1])
        idf = np.log(n_customers / (1.0 + df)) + 1.0
        row_len = np.diff(M.indptr)
        norm = (1.0 - b) + b * row_len / max(row_len.mean(), 1e-9)
        M = M.tocoo()
        M.data = M.data * (k1 + 1.0) / (k1 * norm[M.row] + M.data) * idf[M.col]
        M = M.tocsr()
    col_norm = np.sqrt(np.asarray(M.multiply(M).sum(axis=0)).ravel()) + 1e-9
    Mn = M @ sp.diags(1.0 / col_norm)
    S = (Mn.T @ Mn).tocsr()
    S.setdiag(0.0)
    S.eliminate_zeros()
    return top_k_sparse(S, k)


class Recommender:
    """Next products for a shopper, and products similar to a product."""

    manifest_: dict[str, Any]  # set by load()

    def __init__(
        self,
        n_neighbors: int = 100,
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
        recency_half_life_days: float = 90.0,
        text_weight: float = 0.3,
        popularity_weight: float = 0.05,
        popularity_half_life_days: float = 60.0,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.recency_half_life_days = recency_half_life_days
        self.text_weight = text_weight
        self.popularity_weight = popularity_weight
        self.popularity_half_life_days = popularity_half_life_days

    def get_params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def fit(self, tx: Transactions, cutoff: pd.Timestamp | None = None, encoder: TextEncoder | None = None, encoder_name: str = "") -> Recommender:
        """Learn neighbours from purchases before `cutoff` (all when None) and embed product texts."""
        lines = purchase_lines(tx, cutoff)
        products = tx.products if tx.products is not None else pd.DataFrame(columns=["product_id"])
        items = pd.Index(pd.unique(np.concatenate([lines["product_id"].to_numpy(dtype=object), products["product_id"].to_numpy(dtype=object)])).astype(str))
        if len(items) == 0:
            raise InvalidInput("no product purchases to learn recommendations from (transactions need product_id)")
        self.items_ = items
        meta = products.set_index("product_id") if len(products) else pd.DataFrame(index=pd.Index([], name="product_id"))
        self.repeat_ = meta["repeat_purchase"].reindex(items).fillna(False).to_numpy(bool) if "repeat_purchase" in meta else np.zeros(len(items), bool)
        self.active_ = meta["active"].reindex(items).fillna(True).to_numpy(bool) if "active" in meta else np.ones(len(items), bool)
        now = cutoff if cutoff is not None else (lines["ordered_at"].max() if len(lines) else pd.Timestamp.now(tz="UTC"))
        self.reference_time_ = str(now)
        cust_codes, customers = pd.factorize(lines["customer_id"])
        item_codes = items.get_indexer(lines["product_id"].to_numpy(dtype=object))
        age_days = ((now - lines["ordered_at"]).to_numpy().astype("timedelta64[ns]").astype(np.int64) / DAY_NS).clip(min=0)
        counts = sp.csr_matrix((np.ones(len(lines)), (cust_codes, item_codes)), shape=(len(customers), len(items)))
        self.similarity_ = item_similarity(counts, self.n_neighbors, (self.bm25_k1, self.bm25_b))
        decay = np.power(0.5, age_days / self.recency_half_life_days)
        history = sp.csr_matrix((decay, (cust_codes, item_codes)), shape=(len(customers), len(items)))
        history.sum_duplicates()
        self.customers_ = pd.Index(customers.astype(str))
        self.history_ = history.astype(np.float32)
        pop_decay = np.power(0.5, age_days / self.popularity_half_life_days)
        buyers = pd.DataFrame({"i": item_codes, "c": cust_codes, "w": pop_decay}).groupby(["i", "c"])["w"].max().groupby(level=0).sum()
        popularity = np.zeros(len(items))
        popularity[buyers.index.to_numpy()] = buyers.to_numpy()
        self.popularity_ = (popularity / max(popularity.max(), 1e-9)).astype(np.float32)
        self.embeddings_ = None
        self.encoder_name_ = ""
        if encoder is not None and len(products):
            texts = (meta.reindex(items).get("name", pd.Series("", index=items)).fillna("").astype(str) + ". " + meta.reindex(items).get("category", pd.Series("", index=items)).fillna("").astype(str) + ". " + meta.reindex(items).get("description", pd.Series("", index=items)).fillna("").astype(str))
            self.embeddings_ = np.asarray(encoder(texts.tolist()), dtype=np.float32)
            self.encoder_name_ = encoder_name
        return self

    # -- scoring --------------------------------------------------------------------------------
    def profile(self, customer_ids: Sequence[str]) -> sp.csr_matrix:
        """Recency-weighted purchase rows for these customers (empty rows for unknown ones)."""
        idx = self.customers_.get_indexer(pd.Index([str(c) for c in customer_ids]))
        if len(idx) == 0 or len(self.customers_) == 0:
            return sp.csr_matrix((len(idx), len(self.items_)), dtype=np.float32)
        known = sp.diags((idx >= 0).astype(np.float32))
        return (known @ self.history_[np.maximum(idx, 0)]).tocsr()

    def scores(self, P: sp.csr_matrix) -> np.ndarray:
        """Blend of co-purchase, text and popularity scores for each row of a profile matrix."""
        cf = np.asarray((P @ self.similarity_).todense(), dtype=np.float32)
        cf /= np.maximum(cf.max(axis=1, keepdims=True), 1e-9)
        out: np.ndarray = cf + self.popularity_weight * self.popularity_[None, :]
        if self.embeddings_ is not None and self.text_weight > 0:
            user = np.asarray(P @ self.embeddings_, dtype=np.float32)
            user /= np.maximum(np.linalg.norm(user, axis=1, keepdims=True), 1e-9)
            out += self.text_weight * (user @ self.embeddings_.T)
        return out

    def _mask(self, P: sp.csr_matrix, scores: np.ndarray, exclude: Sequence[Sequence[str]] | None) -> None:
        scores[:, ~self.active_] = -np.inf
        coo = P.tocoo()
        bought = ~self.repeat_[coo.col]
        scores[coo.row[bought], coo.col[bought]] = -np.inf
        for r, items in enumerate(exclude or []):
            cols = self.items_.get_indexer(pd.Index([str(i) for i in items]))
            scores[r, cols[cols >= 0]] = -np.inf

    def recommend_many(self, customer_ids: Sequence[str], k: int = 10, exclude: Sequence[Sequence[str]] | None = None, batch: int = 1000) -> list[list[str]]:
        """Top-k product ids for each customer; already-bought non-repeat products are left out."""
        out: list[list[str]] = []
        for start in range(0, len(customer_ids), batch):
            chunk = list(customer_ids[start : start + batch])
            P = self.profile(chunk)
            s = self.scores(P)
            self._mask(P, s, exclude[start : start + batch] if exclude is not None else None)
            kk = min(k, s.shape[1])
            top = np.argpartition(-s, kk - 1, axis=1)[:, :kk] if kk else np.zeros((len(chunk), 0), int)
            for r in range(len(chunk)):
                order = top[r][np.argsort(-s[r, top[r]], kind="stable")]
                out.append([self.items_[j] for j in order if np.isfinite(s[r, j])])
        return out

    def recommend(self, customer_id: str, k: int = 10, exclude: Sequence[str] = ()) -> list[str]:
        return self.recommend_many([customer_id], k, [list(exclude)])[0]

    def similar(self, product_id: str, k: int = 10) -> list[str]:
        """Products most like `product_id`: co-purchase neighbours, text neighbours as a fallback."""
        i = self.items_.get_loc(str(product_id)) if str(product_id) in self.items_ else -1
        if i < 0:
            raise NotFound(f"unknown product {product_id!r}")
        row = np.asarray(self.similarity_[i].todense(), dtype=np.float32).ravel()
        row /= max(row.max(), 1e-9)
        if self.embeddings_ is not None:
            row = row + self.text_weight * (self.embeddings_ @ self.embeddings_[i])
        row[i] = -np.inf
        row[~self.active_] = -np.inf
        order = np.argsort(-row, kind="stable")[:k]
        return [self.items_[j] for j in order if np.isfinite(row[j])]

    def similar_products(self, product_id: str, k: int = 10) -> list[str]:
        """Alias of `similar`, the name the bot's port uses."""
        return self.similar(product_id, k)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path | str, data_hash: str = "", metrics: dict[str, Any] | None = None) -> dict[str, Any]:
        with staged(Path(directory)) as directory:  # the old model serves until the new one is whole
            sp.save_npz(directory / "similarity.npz", self.similarity_)
            sp.save_npz(directory / "history.npz", self.history_)
            state = {
                "params": self.get_params(), "items": self.items_.tolist(), "customers": self.customers_.tolist(),
                "repeat": self.repeat_.tolist(), "active": self.active_.tolist(), "popularity": self.popularity_.tolist(),
                "reference_time": self.reference_time_, "encoder": self.encoder_name_,
            }
            (directory / "recommender.json").write_text(json.dumps(state))
            if self.embeddings_ is not None:
                np.save(directory / "embeddings.npy", self.embeddings_, allow_pickle=False)
            return write_manifest(directory, KIND, id=f"recommender-{hash_obj(state)[:12]}", data_hash=data_hash, params=self.get_params(), metrics=metrics or {}, encoder=self.encoder_name_, n_items=len(self.items_))

    @classmethod
    def load(cls, directory: Path | str) -> Recommender:
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        state = json.loads((directory / "recommender.json").read_text())
        model = cls(**state["params"])
        model.items_, model.customers_ = pd.Index(state["items"], dtype=object), pd.Index(state["customers"], dtype=object)
        model.repeat_, model.active_ = np.asarray(state["repeat"], bool), np.asarray(state["active"], bool)
        model.popularity_ = np.asarray(state["popularity"], np.float32)
        model.reference_time_, model.encoder_name_ = state["reference_time"], state["encoder"]
        model.similarity_ = sp.load_npz(directory / "similarity.npz").tocsr()
        model.history_ = sp.load_npz(directory / "history.npz").tocsr()
        emb = directory / "embeddings.npy"
        model.embeddings_ = np.load(emb, allow_pickle=False) if emb.exists() else None
        model.manifest_ = manifest
        return model
