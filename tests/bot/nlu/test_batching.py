"""The micro-batcher: one shopper's bad text fails only that shopper's parse, never the batch's others."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.nlu.batching import BatchingParser
from bot.nlu.types import Parse

POISON = "hi \ud800"  # a lone surrogate: tokenizers cannot encode it


class Strict:
    """Fails the whole batch when any text cannot be encoded, as a real tokenizer does."""

    model_id = "strict"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def parse_batch(self, texts: list[str]) -> list[Parse]:
        self.calls.append(len(texts))
        for t in texts:
            t.encode("utf-8")
        return [Parse(text=t, intent="greet", confidence=1.0) for t in texts]


def _parse_concurrently(parser: BatchingParser, texts: list[str]) -> dict[int, Any]:
    results: dict[int, Any] = {}
    gate = threading.Barrier(len(texts))

    def one(i: int) -> None:
        gate.wait()
        try:
            results[i] = parser.parse(texts[i])
        except Exception as exc:  # noqa: BLE001 - the test inspects what each caller got
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_a_poisoned_message_fails_only_its_own_parse() -> None:
    model = Strict()
    texts = [f"where is order {i}" for i in range(7)] + [POISON] + [f"hello {i}" for i in range(4)]
    with BatchingParser(model, max_wait_ms=200, max_batch=32) as parser:
        results = _parse_concurrently(parser, texts)
        after = parser.parse("still alive?")  # the worker thread survived
    assert max(model.calls) > 1  # the poison really shared a batch with good messages
    bad = results[texts.index(POISON)]
    assert isinstance(bad, UnicodeEncodeError)
    good = {i: r for i, r in results.items() if texts[i] != POISON}
    assert all(isinstance(r, Parse) and r.text == texts[i] for i, r in good.items())
    assert after.text == "still alive?"


def test_a_model_answering_too_few_results_fails_the_callers_not_the_worker() -> None:
    class Short:
        model_id = "short"

        def parse_batch(self, texts: list[str]) -> list[Parse]:
            return []

    with BatchingParser(Short(), max_wait_ms=1) as parser:
        with pytest.raises(RuntimeError, match="answered 0 of 1"):
            parser.parse("hi")
        with pytest.raises(RuntimeError):
            parser.parse("again")  # still answered, not hung


def test_the_real_tokenizer_batch_with_a_lone_surrogate(toy_model: Any) -> None:
    texts = ["where is my order", "cancel it please", POISON, "thanks"]
    with BatchingParser(toy_model, max_wait_ms=200) as parser:
        results = _parse_concurrently(parser, texts)
    assert isinstance(results[2], Exception)
    assert [results[i].text for i in (0, 1, 3)] == ["where is my order", "cancel it please", "thanks"]


def test_a_lone_caller_is_not_kept_waiting_for_company():
    """With one shopper talking, the batch holds everyone there is: it is parsed at once, not after max_wait."""
    import time

    with BatchingParser(Strict(), max_wait_ms=5_000) as parser:
        started = time.monotonic()
        assert parser.parse("hello").intent == "greet"
        assert time.monotonic() - started < 2.5  # the old batcher waited the whole 5 s for company


def test_concurrent_callers_still_share_a_batch():
    class Slow(Strict):
        def parse_batch(self, texts: list[str]) -> list[Parse]:
            import time

            time.sleep(0.2)  # while one batch runs, the other callers queue up and go together
            return super().parse_batch(texts)

    model = Slow()
    with BatchingParser(model, max_wait_ms=2_000) as parser:
        results = _parse_concurrently(parser, ["a", "b", "c", "d"])
    assert all(isinstance(r, Parse) for r in results.values()) and max(model.calls) > 1
