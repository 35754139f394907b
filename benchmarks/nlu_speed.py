"""NLU serving speed: load time, single-message latency, batched throughput, fp32 vs dynamic int8.

Uses the model and split written by benchmarks/nlu_bitext.py (run it first), and times a TF-IDF +
logistic-regression baseline on the same messages in the same run.

    python benchmarks/nlu_speed.py [--model DIR] [--test FILE] [--train FILE] [--n 300]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bot.nlu.batching import BatchingParser  # noqa: E402
from bot.nlu.evaluation import entity_metrics  # noqa: E402
from bot.nlu.model import NLUModel  # noqa: E402
from bot.nlu.training_data import load_examples  # noqa: E402
from common.timing import call_times_ms, latency_summary  # noqa: E402

OUT = ROOT / "benchmarks" / "out"




def single_latency(parse, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for t in texts[:5]:
        parse(t)
    return latency_summary(call_times_ms(parse, texts))


def batched_throughput(model: NLUModel, texts: list[str], batch: int = 32) -> float:
    model.parse_batch(texts[:batch])
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        model.parse_batch(texts[i:i + batch])
    return round(len(texts) / (time.perf_counter() - start), 1)


def concurrent_throughput(model: NLUModel, texts: list[str], clients: int = 16) -> dict[str, float]:
    """`clients` threads each sending messages one by one through a BatchingParser."""
    latencies: list[float] = []
    lock = threading.Lock()
    with BatchingParser(model, max_wait_ms=2.0, max_batch=32) as parser:
        def client(chunk: list[str]) -> None:
            for t in chunk:
                start = time.perf_counter()
                parser.parse(t)
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)

        chunks = [texts[i::clients] for i in range(clients)]
        threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        seconds = time.perf_counter() - start
    return {"msgs_per_s": round(len(texts) / seconds, 1), "clients": clients, **{f"latency_{k}": v for k, v in latency_summary(latencies).items()}}


def quality(model: NLUModel, examples: list) -> dict[str, float]:  # type: ignore[type-arg]
    parses = model.parse_batch([e.text for e in examples])
    acc = float(np.mean([p.intent == e.intent for p, e in zip(parses, examples)]))
    ents = entity_metrics([{(s.start, s.end, s.entity) for s in e.entities} for e in examples],
                          [{(x.start, x.end, x.entity) for x in p.entities} for p in parses])
    return {"intent_accuracy": round(acc, 4), "entity_micro_f1": ents["micro_f1"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=OUT / "nlu_bitext_model")
    parser.add_argument("--test", type=Path, default=OUT / "bitext_split" / "test.jsonl")
    parser.add_argument("--train", type=Path, default=OUT / "bitext_split" / "train.jsonl")
    parser.add_argument("--n", type=int, default=300, help="messages timed one by one")
    args = parser.parse_args()
    if not (args.model / "manifest.json").exists():
        sys.exit(f"{args.model}: no model; run benchmarks/nlu_bitext.py first")
    test = load_examples([args.test])
    texts = [e.text for e in test]
    import os

    result: dict[str, object] = {"model": str(args.model), "cpu_count": os.cpu_count(),
                                 "load_average_at_start": os.getloadavg()}
    rows = []
    for quantize in (False, True):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            model = NLUModel.load(args.model, quantize=quantize)
            name = f"{'int8' if quantize else 'fp32'} threads={threads}"
            row = {"variant": name, "load_s": round(model.load_seconds_, 2),
                   "single_ms": single_latency(model.parse, texts[:args.n]),
                   "batched_msgs_per_s": batched_throughput(model, texts),
                   "concurrent": concurrent_throughput(model, texts[:800])}
            if threads == 2:
                row["quality"] = quality(model, test)
            rows.append(row)
            print(json.dumps(row))
    result["variants"] = rows

    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train = load_examples([args.train])
    word, char = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    x = hstack([word.fit_transform([e.text for e in train]), char.fit_transform([e.text for e in train])]).tocsr()
    clf = LogisticRegression(C=20.0, max_iter=2000).fit(x, [e.intent for e in train])
    predict = lambda t: clf.predict(hstack([word.transform([t]), char.transform([t])]).tocsr())  # noqa: E731
    result["baseline_tfidf_logreg"] = {"single_ms": single_latency(predict, texts[:args.n])}
    result["load_average_at_end"] = os.getloadavg()
    (OUT / "nlu_speed.json").write_text(json.dumps(result, indent=2))

    print(f"\n{'variant':20} {'load s':>7} {'p50 ms':>7} {'p99 ms':>7} {'batch msg/s':>11} {'16 clients msg/s':>16} {'intent acc':>10} {'entity F1':>9}")
    for r in rows:
        q = r.get("quality", {})
        print(f"{r['variant']:20} {r['load_s']:7.2f} {r['single_ms']['p50']:7.2f} {r['single_ms']['p99']:7.2f} "
              f"{r['batched_msgs_per_s']:11.1f} {r['concurrent']['msgs_per_s']:16.1f} "
              f"{q.get('intent_accuracy', float('nan')):10.4f} {q.get('entity_micro_f1', float('nan')):9.4f}")
    b = result["baseline_tfidf_logreg"]["single_ms"]  # type: ignore[index]
    print(f"{'TF-IDF + logreg':20} {'':>7} {b['p50']:7.2f} {b['p99']:7.2f}")
    print(f"load average (other processes on this machine) at start/end: {result['load_average_at_start']} / {result['load_average_at_end']}")
    print(f"report: {OUT / 'nlu_speed.json'}")


if __name__ == "__main__":
    main()
