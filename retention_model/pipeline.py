"""Recipes the CLI and `keepcart demo` share: train, score a shop's customers, retrain only on new data."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from tqdm.auto import tqdm

from common.artifacts import MANIFEST, hash_obj, read_manifest
from common.db import unit_of_work
from common.errors import InvalidInput
from retention_model.churn import BANDS, ChurnModel
from retention_model.features import DAY, build_features, cutoff_boundary
from retention_model.recommend import Recommender, TextEncoder
from retention_model.scores import write_scores
from retention_model.shop_source import load_transactions_from_shop
from retention_model.sql_features import SqlFeatures, sample_positions
from retention_model.sql_sources import close, open_shop_duckdb, open_shop_postgres
from retention_model.transactions import Transactions
from retention_model.windows import Windows
from shop.tables import Customer

log = logging.getLogger(__name__)
DEFAULT_TEXT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MAX_REFERENCE = 200_000  # customers whose features scoring percentiles are read against


def train_churn(tx: Transactions | Windows, last_cutoff: pd.Timestamp, horizon_days: int, progress: bool = False, **params: Any) -> ChurnModel:
    """A churn model on stacked windows ending at `last_cutoff` (a boundary from `cutoff_boundary`)."""
    model = ChurnModel(horizon_days=horizon_days, **params)
    return model.fit(tx, model.training_cutoffs(tx, last_cutoff), progress=progress)


def score_customers(model: ChurnModel, tx: Transactions, now: pd.Timestamp, progress: bool = False) -> pd.DataFrame:
    """Probability, band, expected purchases and value, and reasons for every customer who has bought."""
    steps = tqdm(total=3, desc="scoring", disable=not progress, leave=False)
    X = build_features(tx, now, model.horizon_days)
    steps.update()
    ref = model.reference_for(X)
    probability = model.predict_proba(X, reference=ref)
    steps.update()
    reasons = model.explain(X, reference=ref)
    steps.update()
    steps.close()
    return _score_frame(model, X, probability, reasons)


def score_chunks(model: ChurnModel, feats: SqlFeatures, now: pd.Timestamp, progress: bool = False,
                 max_reference: int = MAX_REFERENCE) -> Iterator[pd.DataFrame]:
    """`score_customers` a chunk of customers at a time, from features an engine computes.

    Percentiles are read against the whole scored population as in memory, or against a seeded sample
    of `max_reference` customers when there are more (a 200k sample pins every percentile to ~0.002).
    """
    n = feats.count(now, model.horizon_days)
    if n == 0:
        return
    positions = sample_positions(n, max_reference, model.random_state)
    ref = model.reference_for(pd.concat(list(feats.feature_chunks(now, model.horizon_days, positions))))
    with tqdm(total=n, desc="scoring", unit="customers", disable=not progress, leave=False) as bar:
        for X in feats.feature_chunks(now, model.horizon_days):
            yield _score_frame(model, X, model.predict_proba(X, reference=ref), model.explain(X, reference=ref))
            bar.update(len(X))


def _score_frame(model: ChurnModel, X: pd.DataFrame, probability: np.ndarray, reasons: list[list[dict[str, Any]]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": X.index.astype(str), "churn_probability": probability, "risk_band": model.risk_bands(X, probability),
            "expected_purchases": X["bg_expected_purchases"].to_numpy(), "expected_value": X["expected_value"].to_numpy(), "reasons": reasons,
        }
    )


def store_scores(factory: sessionmaker[Session], scores: pd.DataFrame, model_id: str, scored_at: datetime) -> int:
    rows = (
        {
            "customer_id": r.customer_id, "churn_probability": float(r.churn_probability), "risk_band": str(r.risk_band),
            "expected_purchases": float(np.nan_to_num(r.expected_purchases)), "expected_value": float(np.nan_to_num(r.expected_value)),
            "reasons": r.reasons, "model_id": model_id, "scored_at": scored_at,
        }
        for r in scores.itertuples(index=False)
    )
    with unit_of_work(factory) as session:
        return write_scores(session, rows)


def score_shop(factory: sessionmaker[Session], model: ChurnModel, now: datetime, progress: bool = False, tx: Transactions | None = None,
               engine: str = "pandas") -> dict[str, Any]:
    """Score every customer in the shop database who has bought, and upsert their rows.

    engine "duckdb" streams the shop into DuckDB, "postgres" computes the features inside the shop's
    PostgreSQL; both score and write a chunk of customers at a time, so memory stays bounded.
    """
    if engine != "pandas":
        return _score_shop_in_engine(factory, model, now, engine, progress)
    if tx is None:
        with unit_of_work(factory) as session:
            tx = load_transactions_from_shop(session)
    scores = score_customers(model, tx, cutoff_boundary(now), progress)
    written = store_scores(factory, scores, model.model_id, now)
    bands = scores["risk_band"].value_counts().to_dict()
    return {"scored": written, "customers": len(tx.customers or []), "bands": {b: int(bands.get(b, 0)) for b in BANDS}, "model_id": model.model_id}


def _score_shop_in_engine(factory: sessionmaker[Session], model: ChurnModel, now: datetime, engine: str, progress: bool) -> dict[str, Any]:
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        raise InvalidInput("scoring in an engine needs a session factory bound to a database engine")
    feats = open_shop(bind, engine)
    written, bands = 0, dict.fromkeys(BANDS, 0)
    try:
        for scores in score_chunks(model, feats, cutoff_boundary(now), progress):
            written += store_scores(factory, scores, model.model_id, now)
            for band, count in scores["risk_band"].value_counts().items():
                bands[str(band)] += int(count)
    finally:
        close(feats)
    with unit_of_work(factory) as session:
        customers = int(session.scalar(select(func.count()).select_from(Customer)) or 0)
    return {"scored": written, "customers": customers, "bands": bands, "model_id": model.model_id}


def open_shop(bind: Engine, engine: str, max_customers: int | None = None) -> SqlFeatures:
    """SqlFeatures over the shop database: copied into DuckDB, or inside its PostgreSQL."""
    if engine == "duckdb":
        return open_shop_duckdb(bind, max_customers=max_customers)
    if engine == "postgres":
        return open_shop_postgres(bind, max_customers=max_customers)
    raise InvalidInput(f"unknown engine {engine!r} (use pandas, duckdb or postgres)")


def _same_data(directory: Path, data_hash: str) -> bool:
    if not (directory / MANIFEST).exists():
        return False
    try:
        return read_manifest(directory).get("data_hash") == data_hash
    except (InvalidInput, ValueError, OSError):  # a damaged manifest just means "retrain"
        return False


def text_encoder(model_name: str | None) -> tuple[TextEncoder | None, str]:
    if not model_name:
        return None, ""
    from knowledge_base.embedder import Embedder

    embedder = Embedder(model_name)
    return (lambda texts: embedder.encode(texts)), model_name


def train_and_score_shop(
    session_factory: sessionmaker[Session], model_dir: Path, horizon_days: int, now: datetime, progress: bool = False,
    text_model: str | None = DEFAULT_TEXT_MODEL,
) -> dict[str, Any]:
    """Train churn (+value) and the recommender on the shop database, save them, score every customer.

    Training is skipped when the shop's data (and the settings that shape the models) hash the same
    as the saved artifacts; scores are always rewritten because they age with `now`.
    """
    model_dir = Path(model_dir)
    with unit_of_work(session_factory) as session:
        tx = load_transactions_from_shop(session)
    if tx.lines.empty:
        raise InvalidInput("the shop has no orders yet; nothing to train the retention models on")
    boundary = cutoff_boundary(now)
    data_hash = hash_obj({"data": tx.fingerprint(), "horizon_days": horizon_days, "text_model": text_model or ""})
    churn_dir, rec_dir = model_dir / "churn", model_dir / "recommender"
    retrained = False
    if _same_data(churn_dir, data_hash):
        churn = ChurnModel.load(churn_dir)
    else:
        churn = train_churn(tx, boundary - horizon_days * DAY, horizon_days, progress=progress)
        churn.save(churn_dir, data_hash=data_hash)
        churn = ChurnModel.load(churn_dir)
        retrained = True
    if not _same_data(rec_dir, data_hash):
        encoder, name = text_encoder(text_model)
        Recommender().fit(tx, boundary, encoder=encoder, encoder_name=name).save(rec_dir, data_hash=data_hash)
        retrained = True
    summary = score_shop(session_factory, churn, now, progress=progress, tx=tx)
    log.info("retention models %s; scored %d customers", "trained" if retrained else "unchanged", summary["scored"])
    return {
        "churn": read_manifest(churn_dir, "churn"), "recommender": read_manifest(rec_dir, "recommender"),
        "retrained": retrained, "scores": summary,
    }
