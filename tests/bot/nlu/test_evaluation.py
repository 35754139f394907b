"""Report metrics on hand-checked inputs."""

from __future__ import annotations

from bot.nlu.evaluation import entity_metrics, format_report, intent_metrics, out_of_scope_metrics


def test_intent_metrics() -> None:
    gold = ["a", "a", "b", "b", "out_of_scope"]
    pred = ["a", "b", "b", "b", "a"]
    m = intent_metrics(gold, pred)
    assert m["accuracy"] == 0.6
    assert m["per_intent"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["per_intent"]["b"]["precision"] == round(2 / 3, 4) and m["per_intent"]["b"]["recall"] == 1.0
    assert m["in_scope_accuracy"] == 0.75
    assert m["confused_pairs"][0]["count"] == 1
    assert m["macro_f1"] == round((0.5 + 0.8 + 0.0) / 3, 4)


def test_out_of_scope_metrics_only_with_labels() -> None:
    assert out_of_scope_metrics(["a"], ["out_of_scope"]) is None
    m = out_of_scope_metrics(["out_of_scope", "out_of_scope", "a"], ["out_of_scope", "a", "out_of_scope"])
    assert m is not None and (m["precision"], m["recall"]) == (0.5, 0.5)


def test_entity_metrics_need_exact_spans() -> None:
    gold = [{(0, 5, "product"), (10, 20, "order_id")}, set()]
    pred = [{(0, 4, "product"), (10, 20, "order_id")}, {(1, 2, "city")}]
    m = entity_metrics(gold, pred)
    assert m["per_type"]["order_id"]["f1"] == 1.0
    assert m["per_type"]["product"]["f1"] == 0.0
    assert m["micro_precision"] == round(1 / 3, 4) and m["micro_recall"] == 0.5


def test_format_report_is_readable() -> None:
    report = {"n_examples": 2, "intent": intent_metrics(["a", "b"], ["a", "a"]),
              "entities": entity_metrics([set(), set()], [set(), set()]),
              "latency_ms": {"p50": 1.0, "p99": 2.0}, "throughput_msgs_per_s": 100.0}
    text = format_report(report)
    assert "intent accuracy: 0.5000" in text and "a -> " not in text and "b -> a: 1" in text
