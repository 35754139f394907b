"""Where the server-only keys come from, and how they rotate.

Each purpose (conversation, staff, webhook) has its own key ring: from the settings when given
(`KEEPCART_KEYS__CONVERSATION='["new", "old"]'`, newest first), else from `<data_dir>/keys/<purpose>.json`,
generated on first start with 0600 permissions. `keepcart keys rotate PURPOSE` puts a new key in
front; the old one keeps verifying for `KEEPCART_KEYS__GRACE_HOURS`, then it is dropped.
The shop key (`KEEPCART_SECRET_KEY`, plus `KEEPCART_KEYS__SHOP_PREVIOUS` while a shop switches) only
verifies shopper tokens.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.settings import Settings
from common.signing import CONVERSATION, SHOPPER, STAFF, WEBHOOK, KeyRing

SERVER_PURPOSES = (CONVERSATION, STAFF, WEBHOOK)


@dataclass(frozen=True)
class Keys:
    """Every key ring the server uses, built once at start."""

    shopper: KeyRing
    conversation: KeyRing
    staff: KeyRing
    webhook: KeyRing


def key_file(data_dir: Path, purpose: str) -> Path:
    return data_dir / "keys" / f"{purpose}.json"


def _write_new(path: Path, entries: list[dict[str, str | None]]) -> None:
    """Write a key file readable by its owner only; atomic, and first writer wins when workers race."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"keys": entries}, f, indent=1)
    try:
        if path.exists():
            os.replace(tmp, path)  # a rotation: replace the old file as a whole
        else:
            os.link(tmp, path)  # the first start: never overwrite a file another worker just made
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _new_entry(now: datetime) -> dict[str, str | None]:
    return {"secret": secrets.token_urlsafe(48), "created_at": now.isoformat(), "retired_at": None}


def _read(path: Path) -> list[dict[str, str | None]]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["keys"]
        assert isinstance(entries, list) and entries and all(isinstance(e.get("secret"), str) for e in entries)
        return entries
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        raise ValueError(f"{path}: not a Keepcart key file (delete it to generate a new key)") from None


def _valid(entries: list[dict[str, str | None]], grace: timedelta, now: datetime) -> tuple[str, ...]:
    return tuple(str(e["secret"]) for e in entries
                 if not e.get("retired_at") or datetime.fromisoformat(str(e["retired_at"])) + grace > now)


def file_ring(data_dir: Path, purpose: str, grace_hours: float, now: datetime | None = None) -> KeyRing:
    """The ring in `<data_dir>/keys/<purpose>.json`, created with one fresh key if missing."""
    now = now or datetime.now(UTC)
    path = key_file(data_dir, purpose)
    if not path.exists():
        _write_new(path, [_new_entry(now)])
    return KeyRing(purpose, _valid(_read(path), timedelta(hours=grace_hours), now))


def rotate(data_dir: Path, purpose: str, grace_hours: float, now: datetime | None = None) -> KeyRing:
    """A new current key; the old current one retires now and verifies for the grace period."""
    now = now or datetime.now(UTC)
    path = key_file(data_dir, purpose)
    entries = _read(path) if path.exists() else []
    for e in entries:
        e["retired_at"] = e.get("retired_at") or now.isoformat()
    grace = timedelta(hours=grace_hours)
    kept = [e for e in entries if datetime.fromisoformat(str(e["retired_at"])) + grace > now]
    _write_new(path, [_new_entry(now), *kept])
    return file_ring(data_dir, purpose, grace_hours, now)


def load_keys(settings: Settings) -> Keys:
    """Every ring, from the settings or the data directory (generating missing files)."""
    ks = settings.keys
    shop = KeyRing(SHOPPER, (settings.resolved_secret_key(), *ks.shop_previous))

    def ring(purpose: str, given: list[str]) -> KeyRing:
        return KeyRing(purpose, tuple(given)) if given else file_ring(settings.data_dir, purpose, ks.grace_hours)

    return Keys(shop, ring(CONVERSATION, ks.conversation), ring(STAFF, ks.staff), ring(WEBHOOK, ks.webhook))
