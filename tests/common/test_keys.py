"""Server keys: one file per purpose, generated 0600 on first start, rotated with a grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common import keys
from common.settings import Settings


def test_each_purpose_gets_its_own_private_key_file(tmp_path):
    ring = keys.load_keys(Settings(data_dir=tmp_path, secret_key="q" * 40))
    secrets = {ring.shopper.current, ring.conversation.current, ring.staff.current, ring.webhook.current}
    assert len(secrets) == 4 and ring.shopper.current == "q" * 40
    for purpose in keys.SERVER_PURPOSES:
        assert keys.key_file(tmp_path, purpose).stat().st_mode & 0o077 == 0
    again = keys.load_keys(Settings(data_dir=tmp_path, secret_key="q" * 40))
    assert again.staff.current == ring.staff.current  # generated once, then kept


def test_keys_from_settings_win_and_are_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("KEEPCART_KEYS__STAFF", '["' + "n" * 40 + '", "' + "o" * 40 + '"]')
    ring = keys.load_keys(Settings(data_dir=tmp_path))
    assert ring.staff.secrets == ("n" * 40, "o" * 40)
    assert not keys.key_file(tmp_path, "staff").exists()
    with pytest.raises(ValueError, match="32 characters"):
        Settings(data_dir=tmp_path, keys={"webhook": ["short"]})


def test_rotation_keeps_the_old_key_for_the_grace_period(tmp_path):
    t0 = datetime(2026, 11, 27, 12, tzinfo=UTC)
    first = keys.file_ring(tmp_path, "conversation", 24, now=t0)
    rotated = keys.rotate(tmp_path, "conversation", 24, now=t0 + timedelta(hours=1))
    assert rotated.secrets[1] == first.current and rotated.current != first.current
    later = keys.file_ring(tmp_path, "conversation", 24, now=t0 + timedelta(hours=26))
    assert later.secrets == (rotated.current,)  # retired 25 h ago: no longer verifies
    assert keys.key_file(tmp_path, "conversation").stat().st_mode & 0o077 == 0


def test_a_broken_key_file_is_named(tmp_path):
    path = keys.key_file(tmp_path, "staff")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="staff.json: not a Keepcart key file"):
        keys.file_ring(tmp_path, "staff", 24)
