"""The shop's own uplift model, learned from the offers it made and the hold-outs it kept.

Every exposure (treatment = an offer was assigned, control = the rule's hold-out) is one row of a
randomised experiment: features known at the decision (churn probability and band recorded with the
exposure, the trigger, tenure / orders / average order value from orders *before* the exposure,
country) and the outcome "bought again within `retention_days`" (matured exposures only). Until
both groups hold `min_per_group` matured exposures there is no model and uplift-targeted rules fall
back to risk targeting, saying so in every decision's reason and in the rule's report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from retention_model.offers.decision import ShopperContext
from retention_model.offers.store import EXPOSED, NOT_PURCHASES
from retention_model.offers.tables import ExposureRow
from retention_model.uplift.model import UpliftModel
from shop.tables import Customer, Order

FEATURES = ["churn_probability", "risk_band", "trigger", "tenure_days", "orders", "avg_order_value", "country"]
QUANTILES_FILE = "uplift_quantiles.json"


def _aware(t: datetime) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def exposure_frame(session: Session, retention_days: int, now: datetime) -> pd.DataFrame:
    """One row per matured offer/hold-out exposure: features at the decision, treatment, retained."""
    rows = session.execute(select(ExposureRow.customer_id, ExposureRow.decision, ExposureRow.trigger, ExposureRow.churn_probability,
                                  ExposureRow.risk_band, ExposureRow.created_at, Customer.country)
                           .join(Customer, Customer.id == ExposureRow.customer_id)
                           .where(ExposureRow.decision.in_(EXPOSED), ExposureRow.created_at <= now - timedelta(days=retention_days))).all()
    if not rows:
        return pd.DataFrame(columns=[*FEATURES, "treatment", "retained"])
    orders: dict[str, list[tuple[pd.Timestamp, float]]] = {}
    customers = sorted({r.customer_id for r in rows})
    for start in range(0, len(customers), 500):
        for cid, placed, total in session.execute(select(Order.customer_id, Order.placed_at, Order.total).where(
                Order.customer_id.in_(customers[start:start + 500]), Order.status.notin_(NOT_PURCHASES))):
            orders.setdefault(cid, []).append((_aware(placed), float(total or 0)))
    window = pd.Timedelta(days=retention_days)
    out = []
    for r in rows:
        at = _aware(r.created_at)
        past = [(t, v) for t, v in orders.get(r.customer_id, []) if t < at]
        out.append({
            "churn_probability": "" if r.churn_probability is None else f"{r.churn_probability:.6f}", "risk_band": r.risk_band or "",
            "trigger": r.trigger, "tenure_days": str((at - min(t for t, _ in past)).days) if past else "0", "orders": str(len(past)),
            "avg_order_value": f"{np.mean([v for _, v in past]):.2f}" if past else "", "country": r.country or "",
            "treatment": 1 if r.decision == "offer" else 0,
            "retained": int(any(at < t <= at + window for t, _ in orders.get(r.customer_id, []))),
        })
    return pd.DataFrame(out)


def train_shop_uplift(session: Session, out: Path, retention_days: int, now: datetime, min_per_group: int) -> dict[str, Any]:
    """Fit and save the shop's uplift model when there are enough matured exposures; says why not otherwise."""
    frame = exposure_frame(session, retention_days, now)
    treated, control = int((frame["treatment"] == 1).sum()), int((frame["treatment"] == 0).sum())
    status: dict[str, Any] = {"treated": treated, "holdout": control, "min_per_group": min_per_group, "retention_days": retention_days}
    if min(treated, control) < min_per_group:
        return {**status, "trained": False,
                "reason": f"{treated} offer and {control} hold-out exposures with a closed {retention_days}-day window; "
                          f"uplift targeting needs {min_per_group} of each, so rules target by risk until then"}
    t, y = frame["treatment"].to_numpy(), frame["retained"].to_numpy(dtype=float)
    model = UpliftModel().fit(frame[FEATURES], t, y, FEATURES, "offer exposures")
    manifest = model.save(out, extra={"treatment": "offer", "outcome": f"retained_{retention_days}d", "source": "offer exposures"})
    scores = model.predict_frame(frame[FEATURES])
    (out / QUANTILES_FILE).write_text(json.dumps({"quantiles": np.quantile(scores, np.linspace(0, 1, 101)).tolist()}))
    return {**status, "trained": True, "model_id": manifest["id"], "learner": manifest["learner"], "cross_validated": manifest["metrics"]["cross_validated"]}


@dataclass
class ShopUplift:
    """A loaded shop uplift model: a shopper's expected uplift, and where it ranks among exposed shoppers."""

    model: UpliftModel
    quantiles: np.ndarray

    @classmethod
    def load(cls, directory: Path) -> ShopUplift:
        return cls(UpliftModel.load(directory), np.asarray(json.loads((directory / QUANTILES_FILE).read_text())["quantiles"]))

    @property
    def model_id(self) -> str:
        return self.model.model_id

    def estimate(self, shopper: ShopperContext, trigger: str) -> tuple[float, float]:
        """(uplift in retention probability, share of exposed shoppers with a lower uplift)."""
        row = {"churn_probability": "" if shopper.churn_probability is None else f"{shopper.churn_probability:.6f}",
               "risk_band": shopper.risk_band or "", "trigger": trigger, "tenure_days": str(shopper.tenure_days),
               "orders": str(shopper.orders), "avg_order_value": f"{shopper.avg_order_value:.2f}" if shopper.orders else "",
               "country": shopper.country}
        u = float(self.model.predict_frame(pd.DataFrame([row]))[0])
        rank = float(np.searchsorted(self.quantiles, u, side="right") - 1) / (len(self.quantiles) - 1)
        return u, min(max(rank, 0.0), 1.0)
