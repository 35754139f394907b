"""Uplift targeting on the Hillstrom e-mail experiment (64,000 customers, randomised), 5 random splits.

For each split (70 % train / 30 % held out, stratified by arm), the uplift model (learner chosen by
cross-validated Qini on the training part only) ranks the held-out customers; so do three baselines
fitted on the same training part:
  - response: P(outcome | features) of a gradient-boosted model on the *treated* training customers
    ("send to who is most likely to respond");
  - recency: months since the last purchase, longest first ("send to who is most at risk");
  - random: the expected result of no ranking (Qini 0, uplift in any top share = the average effect).
Reported: held-out Qini coefficient and uplift in the top 30 % minus the average effect (i.e. above
random), mean ± standard deviation over the splits. Experiments: any e-mail vs none, men's e-mail vs
none, women's e-mail vs none; outcomes visit and conversion.

    python benchmarks/uplift_hillstrom.py [--splits 5] [--data .../hillstrom.csv.gz] [--experiments any,mens,womens] [--outcomes visit,conversion]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retention_model.uplift.data import Encoder  # noqa: E402
from retention_model.uplift.metrics import qini_coefficient, uplift_at  # noqa: E402
from retention_model.uplift.model import UpliftModel  # noqa: E402

CANDIDATES = [ROOT.parent / "shared", ROOT.parents[1] / "shared", Path("/work/shared")]
FEATURES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]
ARMS = {"any": ("Mens E-Mail", "Womens E-Mail"), "mens": ("Mens E-Mail",), "womens": ("Womens E-Mail",)}


def default_data() -> Path:
    for base in CANDIDATES:
        if (base / "data" / "hillstrom" / "hillstrom.csv.gz").exists():
            return base / "data" / "hillstrom" / "hillstrom.csv.gz"
    return CANDIDATES[0] / "data" / "hillstrom" / "hillstrom.csv.gz"


def experiment(raw: pd.DataFrame, arm: str) -> pd.DataFrame:
    keep = raw["segment"].isin((*ARMS[arm], "No E-Mail"))
    d = raw[keep].copy()
    d["treatment"] = (d["segment"] != "No E-Mail").astype(int)
    return d.reset_index(drop=True)


def scores(train: pd.DataFrame, test: pd.DataFrame, outcome: str, seed: int) -> tuple[dict[str, np.ndarray], str]:
    t, y = train["treatment"].to_numpy(), train[outcome].to_numpy(dtype=float)
    text = lambda f: f[FEATURES].astype(str)  # noqa: E731  (the CLI reads every cell as text)
    model = UpliftModel(random_state=seed).fit(text(train), t, y, FEATURES)
    enc = Encoder.fit(text(train), FEATURES)
    treated = t == 1
    with threadpool_limits(limits=1, user_api="openmp"):
        response = HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, max_iter=150, min_samples_leaf=100, random_state=seed)
        response.fit(enc.transform(text(train), "train")[treated], y[treated].astype(int))
        p_response = response.predict_proba(enc.transform(text(test), "test"))[:, 1]
    return {"uplift model": model.predict_frame(text(test)), "response": p_response,
            "recency (risk)": test["recency"].to_numpy(dtype=float)}, model.learner_name_


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--experiments", default="any,mens,womens")
    ap.add_argument("--outcomes", default="visit,conversion")
    args = ap.parse_args()
    raw = pd.read_csv(args.data)
    print(f"{args.data}: {len(raw)} customers; {args.splits} random 70/30 splits; figures on the held-out 30 %, mean ± sd")
    for arm in args.experiments.split(","):
        d = experiment(raw, arm)
        for outcome in args.outcomes.split(","):
            start = time.perf_counter()
            results: dict[str, dict[str, list[float]]] = {}
            chosen = []
            for split in range(args.splits):
                train, test = train_test_split(d, test_size=0.3, random_state=split, stratify=d["treatment"] * 2 + d[outcome])
                ranked, learner = scores(train, test, outcome, split)
                chosen.append(learner)
                yt, tt = test[outcome].to_numpy(dtype=float), test["treatment"].to_numpy()
                ate = yt[tt == 1].mean() - yt[tt == 0].mean()
                for name, s in ranked.items():
                    r = results.setdefault(name, {"qini": [], "u30": [], "ate": []})
                    r["qini"].append(qini_coefficient(yt, tt, s))
                    r["u30"].append(uplift_at(yt, tt, s, 0.3) - ate)
                    r["ate"].append(ate)
            ate = np.mean(results["response"]["ate"])
            print(f"\n## {arm} e-mail vs none, outcome {outcome}: {len(d)} customers, average uplift {ate:+.4f}; "
                  f"learners chosen {', '.join(sorted(set(chosen)))} ({time.perf_counter() - start:.0f} s)")
            print("| ranking | Qini coefficient | uplift@30% above random |\n|---|---|---|")
            for name, r in results.items():
                print(f"| {name} | {np.mean(r['qini']):.5f} ± {np.std(r['qini']):.5f} | {np.mean(r['u30']):+.4f} ± {np.std(r['u30']):.4f} |")
            print("| random | 0 | 0 |")
            wins = {n: sum(a > b for a, b in zip(results["uplift model"]["qini"], r["qini"], strict=True)) for n, r in results.items() if n != "uplift model"}
            print("uplift model's Qini higher in " + ", ".join(f"{w}/{args.splits} splits than {n}" for n, w in wins.items()))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
