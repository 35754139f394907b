"""Scoring a trained NLU model: intent and exact-span entity metrics, out-of-scope, latency.

Metrics are computed here (not with scikit-learn) so undefined ratios are 0 without warnings and
the report layout is ours: see docs/nlu.md for every key.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

from bot.nlu.training_data import Example
from bot.nlu.types import Parse, is_out_of_scope
from common.timing import call_times_ms, latency_summary


class Parser(Protocol):
    def parse(self, text: str) -> Parse: ...
    def parse_batch(self, texts: list[str]) -> list[Parse]: ...


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def intent_metrics(gold: list[str], pred: list[str], top_pairs: int = 10) -> dict[str, Any]:
    labels = sorted(set(gold) | set(pred))
    per = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        per[label] = prf(tp, sum(p == label != g for g, p in zip(gold, pred)), sum(g == label != p for g, p in zip(gold, pred)))
    gold_labels = sorted(set(gold))
    pairs = Counter((g, p) for g, p in zip(gold, pred) if g != p).most_common(top_pairs)
    in_scope = [(g, p) for g, p in zip(gold, pred) if not is_out_of_scope(g)]
    return {
        "accuracy": round(float(np.mean([g == p for g, p in zip(gold, pred)])), 4) if gold else 0.0,
        "macro_f1": round(float(np.mean([per[label]["f1"] for label in gold_labels])), 4) if gold else 0.0,
        "in_scope_accuracy": round(float(np.mean([g == p for g, p in in_scope])), 4) if in_scope else None,
        "n": len(gold),
        "per_intent": per,
        "confused_pairs": [{"gold": g, "predicted": p, "count": c} for (g, p), c in pairs],
    }


def entity_metrics(gold: list[set[tuple[int, int, str]]], pred: list[set[tuple[int, int, str]]]) -> dict[str, Any]:
    """Exact-span matching: a predicted entity counts only with the same start, end and type."""
    types = sorted({t for s in gold + pred for _, _, t in s})
    per = {}
    for t in types:
        tp = sum(len({x for x in g if x[2] == t} & {x for x in p if x[2] == t}) for g, p in zip(gold, pred))
        n_pred = sum(sum(x[2] == t for x in p) for p in pred)
        n_gold = sum(sum(x[2] == t for x in g) for g in gold)
        per[t] = prf(tp, n_pred - tp, n_gold - tp)
    tp = sum(len(g & p) for g, p in zip(gold, pred))
    total = prf(tp, sum(map(len, pred)) - tp, sum(map(len, gold)) - tp)
    return {"micro_f1": total["f1"], "micro_precision": total["precision"], "micro_recall": total["recall"],
            "support": total["support"], "per_type": per}


def out_of_scope_metrics(gold: list[str], pred: list[str]) -> dict[str, Any] | None:
    """Precision and recall of "none of the intents", whatever the data calls it ("oos", "out_of_scope")."""
    g_oos, p_oos = [is_out_of_scope(g) for g in gold], [is_out_of_scope(p) for p in pred]
    if not any(g_oos):
        return None
    tp = sum(g and p for g, p in zip(g_oos, p_oos))
    return prf(tp, sum(p and not g for g, p in zip(g_oos, p_oos)), sum(g and not p for g, p in zip(g_oos, p_oos)))


def measure_latency(parser: Parser, texts: list[str], n: int = 200) -> dict[str, float]:
    """Single-message latency (ms) over up to `n` messages, after two warm-up calls."""
    sample = texts[:n] or ["hello"]
    for t in sample[:2]:
        parser.parse(t)
    return latency_summary(call_times_ms(parser.parse, sample))


def evaluate(parser: Parser, examples: list[Example], batch_size: int = 64, progress: bool = True,
             latency_n: int = 200) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Score `parser` on gold `examples`; returns (report, one prediction record per example)."""
    parses: list[Parse] = []
    started = time.perf_counter()
    with tqdm(total=len(examples), desc="evaluating", unit="msg", file=sys.stderr, disable=not progress, leave=False) as bar:
        for i in range(0, len(examples), batch_size):
            chunk = examples[i:i + batch_size]
            parses.extend(parser.parse_batch([e.text for e in chunk]))
            bar.update(len(chunk))
    batch_seconds = time.perf_counter() - started
    gold_i, pred_i = [e.intent for e in examples], [p.intent for p in parses]
    gold_e = [{(s.start, s.end, s.entity) for s in e.entities} for e in examples]
    pred_e = [{(x.start, x.end, x.entity) for x in p.entities} for p in parses]
    report: dict[str, Any] = {
        "n_examples": len(examples),
        "intent": intent_metrics(gold_i, pred_i),
        "entities": entity_metrics(gold_e, pred_e),
        "latency_ms": measure_latency(parser, [e.text for e in examples], latency_n),
        "throughput_msgs_per_s": round(len(examples) / batch_seconds, 1) if batch_seconds > 0 else None,
    }
    oos = out_of_scope_metrics(gold_i, pred_i)
    if oos is not None:
        report["out_of_scope"] = oos
    predictions = [{
        "text": e.text, "gold_intent": e.intent, "intent": p.intent, "confidence": round(p.confidence, 4),
        "ranking": [[n, round(s, 4)] for n, s in p.ranking],
        "gold_entities": [{"start": s.start, "end": s.end, "entity": s.entity, "value": e.text[s.start:s.end]} for s in e.entities],
        "entities": [{"start": x.start, "end": x.end, "entity": x.entity, "value": x.value, "source": x.source,
                      **({"normalised": x.normalised} if x.normalised else {})} for x in p.entities],
    } for e, p in zip(examples, parses)]
    return report, predictions


def format_report(report: dict[str, Any]) -> str:
    """A readable table of the headline figures, per-intent F1 and per-type entity F1."""
    it, en, lat = report["intent"], report["entities"], report["latency_ms"]
    lines = [f"examples: {report['n_examples']}",
             f"intent accuracy: {it['accuracy']:.4f}   macro-F1: {it['macro_f1']:.4f}"
             + (f"   in-scope accuracy: {it['in_scope_accuracy']:.4f}" if it.get("in_scope_accuracy") is not None else ""),
             f"entity micro-F1: {en['micro_f1']:.4f}   (P {en['micro_precision']:.4f}, R {en['micro_recall']:.4f}, n={en['support']})"]
    if "out_of_scope" in report:
        o = report["out_of_scope"]
        lines.append(f"out-of-scope precision: {o['precision']:.4f}   recall: {o['recall']:.4f}")
    lines.append(f"latency ms (single message): p50 {lat['p50']}  p99 {lat['p99']}   batched: {report['throughput_msgs_per_s']} msg/s")
    lines.append("")
    lines.append(f"{'intent':32} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}")
    for name, m in it["per_intent"].items():
        lines.append(f"{name:32} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:5d}")
    if en["per_type"]:
        lines.append("")
        lines.append(f"{'entity':32} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}")
        for name, m in en["per_type"].items():
            lines.append(f"{name:32} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:5d}")
    if it["confused_pairs"]:
        lines.append("")
        lines.append("most confused (gold -> predicted: count)")
        lines.extend(f"  {c['gold']} -> {c['predicted']}: {c['count']}" for c in it["confused_pairs"])
    return "\n".join(lines)
