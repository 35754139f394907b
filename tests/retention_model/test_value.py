from __future__ import annotations

import numpy as np
import pytest

from retention_model.value import CustomerValueModel, RFMSummary


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, T: float, seed: int = 0) -> RFMSummary:
    """Draw purchase histories from the BG/NBD story itself, so the fit can be checked against truth."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < p[i]:
                break
    monetary = rng.gamma(4.0, 10.0, n)
    return RFMSummary(x=x, t_x=t_x, T=np.full(n, T), monetary=monetary)


def test_bgnbd_recovers_parameters_and_predicts_sensibly() -> None:
    s = simulate_bgnbd(3000, r=0.8, alpha=4.0, a=0.8, b=2.5, T=40.0)
    model = CustomerValueModel(horizon_days=90).fit(s)
    params = model.bgnbd_.params_
    assert params["r"] == pytest.approx(0.8, rel=0.3)
    assert params["alpha"] == pytest.approx(4.0, rel=0.35)
    out = model.predict(s)
    assert (out["expected_purchases"] >= 0).all() and np.isfinite(out["expected_purchases"]).all()
    assert ((out["p_alive"] > 0) & (out["p_alive"] <= 1)).all()
    # a frequent, recent buyer is expected to buy more than a frequent buyer gone silent
    recent = RFMSummary(x=np.array([10.0, 10.0]), t_x=np.array([39.0, 5.0]), T=np.array([40.0, 40.0]), monetary=np.array([20.0, 20.0]))
    pred = model.predict(recent)
    assert pred["expected_purchases"][0] > 3 * pred["expected_purchases"][1]
    assert pred["p_alive"][0] > pred["p_alive"][1]
    assert (pred["expected_value"] > 0).all()


def test_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = simulate_bgnbd(500, r=0.8, alpha=4.0, a=0.8, b=2.5, T=30.0, seed=3)
    model = CustomerValueModel(60).fit(s)
    model.save(tmp_path / "value.json")
    again = CustomerValueModel.load(tmp_path / "value.json")
    np.testing.assert_allclose(again.predict(s)["expected_value"], model.predict(s)["expected_value"])
