"""Day one from a shell: which data directory commands use, never an empty database by accident, listing customers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import context
from cli.main import app
from common.db import make_engine, make_session_factory
from common.migrate import upgrade
from common.settings import Settings
from tests.factories import small_shop


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shell in a fresh folder: no KEEPCART_DATA_DIR, no .env, a private user config."""
    monkeypatch.delenv("KEEPCART_DATA_DIR", raising=False)
    monkeypatch.delenv("KEEPCART_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    work = tmp_path / "somewhere" / "deep"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    context.settings.cache_clear()
    context.engine.cache_clear()
    yield work
    context.settings.cache_clear()
    context.engine.cache_clear()


def make_shop(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{data_dir / 'keepcart.db'}")
    upgrade(engine)
    small_shop(make_session_factory(engine))
    engine.dispose()


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_explicit_setting_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEPCART_DATA_DIR", str(tmp_path / "mine"))
    assert context.resolve_data_dir(Settings()) == (tmp_path / "mine", context.EXPLICIT)


def test_nearest_keepcart_data_upwards_is_used(elsewhere: Path) -> None:
    shop = elsewhere.parent.parent / "keepcart-data"
    shop.mkdir()
    path, reason = context.resolve_data_dir(Settings())
    assert path == shop and str(elsewhere.parent.parent) in reason


def test_the_demos_recorded_data_dir_is_used_from_anywhere(elsewhere: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo" / "keepcart-data"
    demo.mkdir(parents=True)
    context.record_data_dir(demo)
    assert json.loads(context.user_config_file().read_text()) == {"data_dir": str(demo.resolve())}
    path, reason = context.resolve_data_dir(Settings())
    assert path == demo.resolve() and "recorded by `keepcart demo`" in reason


def test_a_read_command_elsewhere_says_where_it_looked_and_creates_nothing(elsewhere: Path) -> None:
    result = run("shop", "token", "C001")
    assert result.exit_code == 1
    assert f"no database at {elsewhere / 'keepcart-data' / 'keepcart.db'}" in result.output
    assert not (elsewhere / "keepcart-data" / "keepcart.db").exists()


def test_a_read_command_in_a_subfolder_finds_the_shop_and_says_which(elsewhere: Path) -> None:
    make_shop(elsewhere.parent / "keepcart-data")
    result = run("shop", "token", "C001")
    assert result.exit_code == 0, result.output
    assert f"data directory {elsewhere.parent / 'keepcart-data'}" in result.output


def test_shop_customers_lists_orders_statuses_country_and_risk(cli_data_dir: Path) -> None:
    make_shop(cli_data_dir)
    result = run("shop", "customers")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["customer", "name", "country", "orders", "risk", "statuses"]
    assert lines[1].split()[:5] == ["C001", "Ada", "Lovelace", "DE", "4"] and "delivered 2, paid 1, shipped 1" in lines[1]
    assert "not scored" in lines[1] and lines[2].startswith("C002")

    only = run("shop", "customers", "--status", "shipped")
    assert [line.split()[0] for line in only.output.splitlines()[1:]] == ["C001"]
    assert run("shop", "customers", "--country", "fr").output.splitlines()[1].startswith("C002")
    assert len(run("shop", "customers", "--limit", "1").output.splitlines()) == 2
    assert run("shop", "customers", "--risk", "high").output.strip() == "no customer matches"


def test_shop_customers_rejects_an_unknown_status(cli_data_dir: Path) -> None:
    make_shop(cli_data_dir)
    result = run("shop", "customers", "--status", "lost")
    assert result.exit_code == 2 and "--status lost: not an order status" in result.output


def test_demo_output_says_how_to_reach_the_command() -> None:
    from cli.demo import command_hint

    assert "keepcart" in command_hint() and "shop customers" in command_hint()


def test_as_a_real_process_reads_fail_and_creating_commands_create(elsewhere: Path) -> None:
    """The root command's name depends on how it was started (`keepcart`, `python -m cli.main`): only subcommands count."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    read = subprocess.run([sys.executable, "-m", "cli.main", "shop", "token", "C001"], capture_output=True, text=True, env=env)
    assert read.returncode == 1 and "no database at" in read.stderr
    assert not (elsewhere / "keepcart-data" / "keepcart.db").exists()
    create = subprocess.run([sys.executable, "-m", "cli.main", "db", "upgrade"], capture_output=True, text=True, env=env)
    assert create.returncode == 0, create.stderr
    assert (elsewhere / "keepcart-data" / "keepcart.db").exists()
