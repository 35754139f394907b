"""Settings: validated at start with readable errors, and every one documented in README.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.settings import Settings, SettingsError, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def env_names(model: type = Settings, prefix: str = "KEEPCART_") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            names += env_names(sub, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_documented_in_the_readme_table():
    documented = set(re.findall(r"^\| `(KEEPCART_[A-Z_]+)`", README.read_text(), flags=re.M))
    missing = [n for n in env_names() if n not in documented]
    assert not missing, f"settings missing from README's settings table: {missing}"
    stale = documented - set(env_names())
    assert not stale, f"README documents settings that do not exist: {stale}"


def test_bad_values_give_one_readable_error(monkeypatch):
    monkeypatch.setenv("KEEPCART_LOG_LEVEL", "chatty")
    monkeypatch.setenv("KEEPCART_SECRET_KEY", "short")
    monkeypatch.setenv("KEEPCART_NLU__MAX_LENGTH", "3")
    with pytest.raises(SettingsError) as info:
        load_settings()
    text = str(info.value)
    for name in ("KEEPCART_LOG_LEVEL", "KEEPCART_SECRET_KEY", "KEEPCART_NLU__MAX_LENGTH"):
        assert name in text


def test_database_defaults_to_sqlite_in_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.resolved_database_url() == f"sqlite:///{tmp_path.resolve() / 'keepcart.db'}"
    assert Settings(database_url="postgresql://u@h/db").resolved_database_url() == "postgresql+psycopg://u@h/db"
    with pytest.raises(ValueError):
        Settings(database_url="mysql://x")


def test_secret_is_generated_once_and_kept(tmp_path):
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
