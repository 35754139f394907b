"""Micro-batching: concurrent callers share one encoder pass instead of queueing for the CPU.

A web server handles many conversations at once; a batch of 16 short messages costs little more
than one, so a worker thread waits up to `max_wait_ms` for company and parses them together.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from typing import Protocol

from bot.nlu.types import Parse


class BatchParser(Protocol):
    def parse_batch(self, texts: list[str]) -> list[Parse]: ...


class BatchingParser:
    """Thread-safe `parse(text)` that batches concurrent calls into `model.parse_batch`."""

    def __init__(self, model: BatchParser, max_wait_ms: float = 2.0, max_batch: int = 32) -> None:
        self.model, self.max_wait_ms, self.max_batch = model, max_wait_ms, max_batch
        self._queue: queue.Queue[tuple[str, Future[Parse]] | None] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._callers = 0  # threads inside parse(): when the batch already holds them all, nobody is coming
        self._worker = threading.Thread(target=self._run, name="nlu-batcher", daemon=True)
        self._worker.start()

    @property
    def model_id(self) -> str:
        return str(getattr(self.model, "model_id", ""))

    def parse(self, text: str, timeout: float | None = 30.0) -> Parse:
        """Parse one message; blocks until its batch is done (errors re-raised in the caller)."""
        if self._closed:
            raise RuntimeError("BatchingParser is closed")
        future: Future[Parse] = Future()
        with self._lock:
            self._callers += 1
        try:
            self._queue.put((text, future))
            return future.result(timeout=timeout)
        finally:
            with self._lock:
                self._callers -= 1

    def parse_batch(self, texts: list[str]) -> list[Parse]:
        return self.model.parse_batch(texts)

    def close(self) -> None:
        """Stop the worker after the queued messages are answered."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._worker.join(timeout=10)

    def __enter__(self) -> BatchingParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        wait = self.max_wait_ms / 1000.0
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            deadline = time.monotonic() + wait
            try:
                while len(batch) < min(self.max_batch, self._callers):  # a lone shopper is never kept waiting
                    left = deadline - time.monotonic()
                    more = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    if more is None:
                        stop = True
                        break
                    batch.append(more)
            except queue.Empty:
                pass
            self._answer(batch)
            if stop:
                return

    def _answer(self, batch: list[tuple[str, Future[Parse]]]) -> None:
        """Answer a batch; when it fails, parse its messages one by one so one bad text fails only its sender."""
        try:
            results = self.model.parse_batch([text for text, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"the model answered {len(results)} of {len(batch)} messages")
        except Exception as exc:  # never let the error escape: the worker thread must live on
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for item in batch:
                self._answer([item])
            return
        for (_, future), result in zip(batch, results):
            future.set_result(result)
