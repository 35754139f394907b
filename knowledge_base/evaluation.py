"""Measure retrieval on labelled questions and calibrate the answer threshold.

Queries file: CSV `query,doc_id`. An empty `doc_id` marks a question the help centre does not
answer (the bot must abstain); `a|b` accepts either document. The threshold is the lowest score at
which at most `max_wrong_rate` of the answers given are wrong (wrong article, or an answer to an
unanswerable question), so wrong answers stay rare while as many questions as possible get one.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from common.errors import DataFileError, DataFileErrors
from common.timing import latency_summary
from knowledge_base.index import KnowledgeBase


@dataclass
class LabelledQuery:
    query: str
    gold: list[str]  # empty: the help centre has no answer
    line: int = 0


def read_queries(path: Path, known_ids: set[str] | None = None) -> list[LabelledQuery]:
    """Read `query,doc_id` CSV; every bad row (and unknown document id) reported with its line."""
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["query", "doc_id"]:
        raise DataFileError(str(path), 1, f"header must be query,doc_id (found {','.join(header) or 'nothing'})")
    out, errors = [], []
    line = reader.line_num + 1
    for row in reader:
        if any(c.strip() for c in row):
            if len(row) != 2 or not row[0].strip():
                errors.append(DataFileError(str(path), line, "expected a non-empty query and a doc_id (empty for 'no answer')"))
            else:
                gold = [g.strip() for g in row[1].split("|") if g.strip()]
                unknown = [g for g in gold if known_ids is not None and g not in known_ids]
                if unknown:
                    errors.append(DataFileError(str(path), line, f"document id(s) not in the index: {', '.join(unknown)}"))
                out.append(LabelledQuery(row[0].strip(), gold, line))
        line = reader.line_num + 1
    if errors:
        raise DataFileErrors(errors)
    if not out:
        raise DataFileError(str(path), None, "no queries")
    return out


def run_queries(kb: KnowledgeBase, queries: list[LabelledQuery], fusion: str | None = None,
                progress: bool = False) -> list[dict[str, Any]]:
    """Search every query (top 10 documents), timing each search including the query embedding."""
    results = []
    for q in tqdm(queries, desc="searching", unit="query", disable=not progress):
        start = time.perf_counter()
        hits = kb.search(q.query, k=10, fusion=fusion)
        elapsed = (time.perf_counter() - start) * 1000
        results.append({"query": q.query, "gold": "|".join(q.gold) or None,
                        "ranked": [{"doc_id": h.doc_id, "score": round(h.score, 6)} for h in hits],
                        "top_score": hits[0].score if hits else float("-inf"),
                        "latency_ms": elapsed, "_gold": q.gold})
    return results


def _correct_at(result: dict[str, Any], k: int) -> bool:
    return any(r["doc_id"] in result["_gold"] for r in result["ranked"][:k])


def calibrate(results: list[dict[str, Any]], max_wrong_rate: float = 0.05) -> float:
    """The lowest threshold whose answered set holds at most `max_wrong_rate` wrong answers."""
    scores = np.asarray([r["top_score"] for r in results])
    correct = np.asarray([bool(r["_gold"]) and _correct_at(r, 1) for r in results])
    order = np.argsort(-scores, kind="stable")
    wrong_cum = np.cumsum(~correct[order])
    answered = np.arange(1, len(order) + 1)
    ok = np.nonzero(wrong_cum / answered <= max_wrong_rate)[0]
    if len(ok) == 0:
        return float(scores.max() + 1e-6)  # nothing can be answered safely
    i = int(ok.max())
    while i + 1 < len(order) and scores[order[i + 1]] == scores[order[i]]:
        i += 1  # ties fall on the same side
    return float(np.nextafter(scores[order[i]], -np.inf)) if i + 1 == len(order) else float(
        (scores[order[i]] + scores[order[i + 1]]) / 2)


def report(results: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """Recall@1/5, MRR@10 on answerable queries; answered/abstained/wrong rates at `threshold`; latency."""
    answerable = [r for r in results if r["_gold"]]
    rr = []
    for r in answerable:
        rank = next((i for i, h in enumerate(r["ranked"][:10], 1) if h["doc_id"] in r["_gold"]), None)
        rr.append(1 / rank if rank else 0.0)
    answered = [r for r in results if r["top_score"] >= threshold]
    wrong = [r for r in answered if not (r["_gold"] and _correct_at(r, 1))]
    unanswerable = [r for r in results if not r["_gold"]]
    latency = np.asarray([r["latency_ms"] for r in results])
    n = max(len(answerable), 1)
    return {
        "queries": len(results), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "recall_at_1": sum(_correct_at(r, 1) for r in answerable) / n,
        "recall_at_5": sum(_correct_at(r, 5) for r in answerable) / n,
        "mrr_at_10": float(np.mean(rr)) if rr else 0.0,
        "threshold": threshold,
        "answered_rate": len(answered) / len(results),
        "abstained_rate": 1 - len(answered) / len(results),
        "answerable_answered_rate": sum(r["top_score"] >= threshold for r in answerable) / n,
        "unanswerable_abstained_rate": (sum(r["top_score"] < threshold for r in unanswerable) / len(unanswerable))
        if unanswerable else None,
        "wrong_answer_rate": len(wrong) / len(answered) if answered else 0.0,
        "latency_ms": latency_summary(latency),
    }


def predictions(results: list[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    """One JSON-able line per query: query, gold, ranked document ids with scores, answered."""
    return [{"query": r["query"], "gold": r["gold"], "ranked": r["ranked"],
             "answered": r["top_score"] >= threshold} for r in results]
