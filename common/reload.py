"""Artifacts a running server swaps for newer versions without a restart.

`keepcart nlu train`, `keepcart kb index` or `kb add` write a new artifact (new manifest id) into the
directory the server loaded from. `Reloading` notices the new id on its next use (checked at most every
`check_seconds`), loads the new version in that one request while every other request keeps using the
old one, and swaps. A version that fails to load is logged and skipped; the old one keeps serving.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from common.artifacts import MANIFEST

log = logging.getLogger(__name__)
T = TypeVar("T")


def manifest_id(directory: Path) -> str | None:
    try:
        return str(json.loads((directory / MANIFEST).read_text()).get("id"))
    except (OSError, ValueError):
        return None  # being replaced right now: try again at the next check


class Reloading(Generic[T]):
    """Holds the artifact loaded from `directory` and replaces it when the manifest id changes."""

    def __init__(self, directory: Path, load: Callable[[Path], T], current: T, check_seconds: float = 5.0,
                 on_replace: Callable[[T], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.directory, self._load, self._value = Path(directory), load, current
        self._id = manifest_id(self.directory)
        self._check, self._on_replace, self._clock = check_seconds, on_replace, clock
        self._checked = clock()
        self._lock = threading.Lock()

    def get(self) -> T:
        now = self._clock()
        if now - self._checked >= self._check and self._lock.acquire(blocking=False):
            try:
                self._checked = now
                found = manifest_id(self.directory)
                if found is not None and found != self._id:
                    self._swap(found)
            finally:
                self._lock.release()
        return self._value

    def _swap(self, found: str) -> None:
        try:
            new = self._load(self.directory)
        except Exception:  # noqa: BLE001 - a broken new version must not take the old one down
            log.exception("could not load the new version %s from %s; still serving %s", found, self.directory, self._id)
            self._id = found  # do not retry the same broken version on every request
            return
        old, self._value, self._id = self._value, new, found
        log.info("now serving %s from %s", found, self.directory)
        if self._on_replace is not None:
            self._on_replace(old)
