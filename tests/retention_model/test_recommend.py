from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.errors import NotFound
from retention_model.evaluation import evaluate_recommender
from retention_model.features import cutoff_boundary
from retention_model.recommend import Recommender
from retention_model.transactions import from_frames
from tests.retention_model.factories import synthetic_transactions


def word_encoder(texts: Sequence[str]) -> np.ndarray:
    """A fake text encoder: hashed bag of words, unit length — similar names, similar vectors."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().replace(".", " ").split():
            out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


PRODUCTS = pd.DataFrame(
    {
        "product_id": ["kettle", "teapot", "tea", "mug", "grinder", "green teapot", "old"],
        "name": ["Electric kettle", "Ceramic teapot", "Black tea leaves", "Coffee mug", "Coffee grinder", "Green ceramic teapot", "Old kettle"],
        "category": ["kitchen", "kitchen", "tea", "kitchen", "coffee", "kitchen", "kitchen"],
        "description": [""] * 7,
        "repeat_purchase": [False, False, True, False, False, False, False],
        "active": [True, True, True, True, True, True, False],
    }
)


def basket_rows() -> pd.DataFrame:
    rows = []
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    for c in range(40):  # kettle, teapot and tea go together; mug with grinder
        basket = ["kettle", "teapot", "tea", "old"] if c % 2 == 0 else ["mug", "grinder"]
        for p in basket:
            rows.append((f"c{c:03d}", f"o{c}", t0 + pd.Timedelta(days=c), 10.0, p, 1.0, ""))
    rows.append(("solo", "s1", t0, 10.0, "kettle", 1.0, ""))
    rows.append(("tea-lover", "t1", t0, 5.0, "tea", 1.0, ""))
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at", "amount", "product_id", "quantity", "status"])


@pytest.fixture(scope="module")
def model() -> Recommender:
    tx = from_frames(basket_rows(), products=PRODUCTS)
    return Recommender(text_weight=0.3).fit(tx, encoder=word_encoder, encoder_name="fake-words")


def test_co_purchase_neighbours_first_and_bought_items_excluded(model: Recommender) -> None:
    recs = model.recommend("solo", k=3)
    assert recs[0] in {"teapot", "tea"} and set(recs[:2]) == {"teapot", "tea"}
    assert "kettle" not in recs  # bought, not a repeat-purchase product
    assert "old" not in recs  # inactive


def test_repeat_purchase_products_stay_and_explicit_exclusions_apply(model: Recommender) -> None:
    assert "tea" in model.recommend("tea-lover", k=6)
    assert "tea" not in model.recommend("tea-lover", k=6, exclude=["tea"])


def test_new_products_reach_shoppers_through_text(model: Recommender) -> None:
    recs = model.recommend("solo", k=6)
    assert "green teapot" in recs  # never bought by anyone; found by its name
    assert model.similar("teapot", k=3)[0] in {"kettle", "tea", "green teapot"}
    assert model.similar("green teapot", k=1) == ["teapot"] == model.similar_products("green teapot", 1)


def test_new_shopper_gets_popular_items_and_unknown_product_errors(model: Recommender) -> None:
    assert len(model.recommend("never-seen", k=3)) == 3
    with pytest.raises(NotFound):
        model.similar("nope")


def test_save_load_identity(model: Recommender, tmp_path: Path) -> None:
    manifest = model.save(tmp_path / "rec")
    assert manifest["kind"] == "recommender" and manifest["encoder"] == "fake-words"
    loaded = Recommender.load(tmp_path / "rec")
    customers = ["solo", "tea-lover", "c001", "never-seen"]
    assert loaded.recommend_many(customers, 5) == model.recommend_many(customers, 5)
    assert loaded.similar("mug", 3) == model.similar("mug", 3)


def test_time_split_evaluation_reports_baselines() -> None:
    tx = synthetic_transactions(n_customers=200, days=300, seed=4)
    report, rows = evaluate_recommender(tx, cutoff_boundary("2023-08-31"), k=5)
    assert report["customers"] == len(rows) > 10
    assert set(report["baselines"]) == {"popularity", "item_knn"}
    for row in rows:
        assert len(row["recommended"]) <= 5 and row["bought"]
    assert report["hit_rate"] >= report["baselines"]["popularity"]["hit_rate"]


def test_keepcart_recommend_show(model: Recommender, tmp_path, cli_data_dir) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    model.save(tmp_path / "rec")
    runner = CliRunner()
    shown = runner.invoke(app, ["recommend", "show", "--customer", "solo", "--k", "2", "--model", str(tmp_path / "rec")])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "for customer 'solo':" and {lines[1].split()[1], lines[2].split()[1]} == {"teapot", "tea"}
    assert "(not in the shop database)" in lines[1]  # names come from the shop, which is empty here
    similar = runner.invoke(app, ["recommend", "show", "--similar-to", "mug", "--k", "1", "--model", str(tmp_path / "rec")])
    assert similar.exit_code == 0 and similar.output.splitlines()[1].split()[1] == "grinder"
    unknown = runner.invoke(app, ["recommend", "show", "--similar-to", "nope", "--model", str(tmp_path / "rec")])
    assert unknown.exit_code == 1 and "unknown product 'nope'" in unknown.output
    both = runner.invoke(app, ["recommend", "show", "--customer", "solo", "--similar-to", "mug"])
    assert both.exit_code == 1 and "exactly one of" in both.output
