"""Evaluation: metrics by hand, threshold calibration keeps wrong answers rare, query file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import DataFileErrors
from knowledge_base.evaluation import calibrate, predictions, read_queries, report


def _result(gold: list[str], ranked: list[tuple[str, float]]) -> dict:
    return {"query": "q", "gold": "|".join(gold) or None, "_gold": gold, "latency_ms": 2.0,
            "ranked": [{"doc_id": d, "score": s} for d, s in ranked], "top_score": ranked[0][1]}


RESULTS = [
    _result(["a"], [("a", 0.9), ("b", 0.5)]),
    _result(["b"], [("a", 0.8), ("b", 0.7)]),   # right document second
    _result(["c"], [("a", 0.6), ("b", 0.5)]),   # not found
    _result([], [("a", 0.4), ("b", 0.3)]),      # unanswerable
]


def test_report_recall_mrr_and_rates():
    r = report(RESULTS, threshold=0.7)
    assert r["recall_at_1"] == pytest.approx(1 / 3) and r["recall_at_5"] == pytest.approx(2 / 3)
    assert r["mrr_at_10"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert r["answered_rate"] == 0.5 and r["abstained_rate"] == 0.5
    assert r["wrong_answer_rate"] == 0.5 and r["unanswerable_abstained_rate"] == 1.0
    assert r["latency_ms"]["p50"] == 2.0


def test_calibrate_picks_the_lowest_threshold_with_few_wrong_answers():
    threshold = calibrate(RESULTS, max_wrong_rate=0.0)
    assert 0.8 < threshold < 0.9  # only the correct 0.9 answer survives
    assert calibrate(RESULTS, max_wrong_rate=1.0) < 0.4  # everything answered
    assert calibrate([_result([], [("a", 0.5)])], 0.05) > 0.5  # nothing can be answered safely


def test_predictions_carry_gold_ranked_and_answered():
    lines = predictions(RESULTS, threshold=0.7)
    assert lines[0] == {"query": "q", "gold": "a", "ranked": [{"doc_id": "a", "score": 0.9}, {"doc_id": "b", "score": 0.5}],
                        "answered": True}
    assert lines[3]["gold"] is None and lines[3]["answered"] is False


def test_read_queries_reports_bad_rows_and_unknown_ids(tmp_path: Path):
    path = tmp_path / "q.csv"
    path.write_text('query,doc_id\nhow do returns work,returns\n"multi\nline",returns|faq\n,returns\nweather?,\nx,nope\n')
    with pytest.raises(DataFileErrors) as err:
        read_queries(path, known_ids={"returns", "faq"})
    assert [(e.line, e.detail.split(":")[0]) for e in err.value.errors] == [
        (5, "expected a non-empty query and a doc_id (empty for 'no answer')"), (7, "document id(s) not in the index")]
    path.write_text("query,doc_id\nhow do returns work,returns\nweather?,\n")
    queries = read_queries(path, known_ids={"returns"})
    assert [(q.query, q.gold) for q in queries] == [("how do returns work", ["returns"]), ("weather?", [])]
    path.write_text("text,intent\nx,y\n")
    with pytest.raises(Exception, match="q.csv:1: header must be query,doc_id"):
        read_queries(path)


def test_trim_for_chat_cuts_at_a_boundary_and_drops_a_dangling_heading():
    from knowledge_base.answers import trim_for_chat

    text = "First paragraph is here. " * 10 + "\n\n**Next heading**\nMore text follows " * 10
    trimmed = trim_for_chat(text, max_chars=300)
    assert len(trimmed) <= 302 and trimmed.endswith(" …")
    assert not trimmed.rstrip(" …").endswith("**")
    assert trim_for_chat("short", 600) == "short"
