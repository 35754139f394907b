"""Retrieval on an FAQ Keepcart has never seen, built from Bitext, through the real CLI.

The issue's second target (recall@1 >= 0.85 on a public e-commerce FAQ queried with shoppers'
paraphrases) cannot be measured offline with the judges' FAQ, so this builds the closest stand-in
from data nobody tuned the help centre on: for each of Bitext's 27 customer-service intents, one
utterance drawn at random (seeded, without `{{placeholders}}`) becomes the FAQ question and Bitext's
own response to it the answer, written as a `{"questions": [{"Question", "Answer", "id"}]}` export.
`keepcart kb index` indexes it and `keepcart kb evaluate` asks up to 100 other utterances per intent
(the paraphrases). Three seeds, so the figure does not hang on one lucky question per intent.
Baseline in the same run: BM25-only search on the same index.

Caveat: Bitext utterances come from one template generator, so the paraphrases are closer to the FAQ
question than a shopper's own words would be; the hand-picked question of a real FAQ is, on the other
hand, cleaner than a random utterance.

Run: nice -n 10 .venv/bin/python benchmarks/kb_unseen_faq.py   (writes benchmarks/out/kb_unseen_faq.json)
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge_base import evaluation as ev  # noqa: E402
from knowledge_base.embedder import Embedder  # noqa: E402
from knowledge_base.index import KnowledgeBase  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bitext"
OUT = ROOT / "benchmarks" / "out" / "kb_unseen_faq"
SEEDS = (1, 2, 3)
QUERIES_PER_INTENT = 100


def load_pool() -> pd.DataFrame:
    """Distinct utterances of the 4.5k + 6.5k sets with one intent each, and one response per utterance."""
    frames = [pd.read_csv(DATA / name) for name in ("bitext_4.5k_entities.csv", "bitext_6.5k_entities.csv")]
    pool = pd.concat(frames)[["instruction", "intent", "response"]].dropna()
    pool["instruction"] = pool["instruction"].str.strip()
    ambiguous = pool.groupby("instruction")["intent"].nunique()
    pool = pool[~pool["instruction"].isin(ambiguous[ambiguous > 1].index)]
    return pool.drop_duplicates("instruction").reset_index(drop=True)


def write_faq_and_queries(pool: pd.DataFrame, seed: int, folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    entries, queries = [], []
    for intent, rows in sorted(pool.groupby("intent")):
        clean = rows[~rows["instruction"].str.contains("{{", regex=False)]
        pick = clean.iloc[int(rng.integers(len(clean)))]
        entries.append({"Question": pick["instruction"], "Answer": pick["response"], "id": intent})
        others = rows[rows["instruction"] != pick["instruction"]]
        asked = others.iloc[rng.permutation(len(others))[:QUERIES_PER_INTENT]]
        queries += [(text, intent) for text in asked["instruction"]]
    folder.mkdir(parents=True, exist_ok=True)
    faq, queries_csv = folder / "faq.json", folder / "queries.csv"
    faq.write_text(json.dumps({"source": "bitext", "questions": entries}, indent=1, ensure_ascii=False))
    with queries_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["query", "doc_id"])
        writer.writerows(queries)
    return faq, queries_csv


def keepcart(*args: str) -> str:
    """The real CLI in a subprocess, as a shop's engineer would run it."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KEEPCART_LOG_LEVEL": "WARNING"}
    proc = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"keepcart {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def bm25_only(index: Path, queries_csv: Path, embedder: Embedder) -> dict:
    kb = KnowledgeBase.load(index, embedder)
    with queries_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    results = []
    for row in rows:
        hits = kb.search(row["query"], k=10, fusion="bm25")
        results.append({"query": row["query"], "_gold": [row["doc_id"]], "latency_ms": 0.0,
                        "ranked": [{"doc_id": h.doc_id, "score": h.score} for h in hits],
                        "top_score": hits[0].score if hits else float("-inf")})
    report = ev.report(results, kb.threshold)
    return {k: report[k] for k in ("recall_at_1", "recall_at_5", "mrr_at_10")}


def main() -> None:
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs ../shared/data/bitext")
    pool = load_pool()
    embedder = Embedder("sentence-transformers/all-MiniLM-L6-v2")
    runs = []
    for seed in SEEDS:
        folder = OUT / f"seed{seed}"
        faq, queries_csv = write_faq_and_queries(pool, seed, folder)
        keepcart("kb", "index", "--source", str(faq), "--out", str(folder / "index"))
        keepcart("kb", "evaluate", "--index", str(folder / "index"), "--queries", str(queries_csv),
                 "--report", str(folder / "report.json"), "--predictions", str(folder / "predictions.jsonl"))
        ours = json.loads((folder / "report.json").read_text())
        runs.append({"seed": seed, "queries": ours["queries"], "hybrid": ours, "bm25": bm25_only(folder / "index", queries_csv, embedder)})
        print(f"seed {seed}: {ours['queries']} queries, 27 FAQ entries: recall@1 {ours['recall_at_1']:.3f} "
              f"MRR@10 {ours['mrr_at_10']:.3f} (BM25 only {runs[-1]['bm25']['recall_at_1']:.3f} / "
              f"{runs[-1]['bm25']['mrr_at_10']:.3f}); answered {ours['answerable_answered_rate']:.3f} at threshold "
              f"{ours['threshold']:.3f}, wrong among answered {ours['wrong_answer_rate']:.3f}", flush=True)
    summary = {name: {metric: float(np.mean([r[name][metric] for r in runs])) for metric in ("recall_at_1", "mrr_at_10")}
               for name in ("hybrid", "bm25")}
    print(f"mean over {len(SEEDS)} seeds: recall@1 {summary['hybrid']['recall_at_1']:.3f}, MRR@10 "
          f"{summary['hybrid']['mrr_at_10']:.3f}; BM25 only {summary['bm25']['recall_at_1']:.3f} / {summary['bm25']['mrr_at_10']:.3f}")
    (OUT.parent / "kb_unseen_faq.json").write_text(json.dumps({"runs": runs, "mean": summary}, indent=2))


if __name__ == "__main__":
    main()
