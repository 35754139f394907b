"""What every command needs: validated settings and a migrated database, built once per call."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from functools import cache

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from common.db import make_engine, make_session_factory
from common.errors import KeepcartError
from common.settings import Settings, SettingsError, load_settings


@cache
def settings() -> Settings:
    """The settings, or exit 2 with the list of bad variables."""
    try:
        s = load_settings()
    except SettingsError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if s.log_level != "DEBUG":  # libraries announce routine steps at INFO; only problems matter here
        for noisy in ("alembic", "sentence_transformers", "httpx", "faiss"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return s


@cache
def engine() -> Engine:
    return make_engine(settings().resolved_database_url())


def session_factory(migrate: bool = True) -> sessionmaker[Session]:
    """Sessions on the configured database, upgraded to the latest schema first."""
    if migrate:
        from common.migrate import upgrade

        upgrade(engine())
    return make_session_factory(engine())


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error the way every command does and return the Exit to raise."""
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code)


def run_or_fail(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call `func`, turning Keepcart's domain errors into a readable exit instead of a traceback."""
    try:
        return func(*args, **kwargs)
    except KeepcartError as exc:
        raise fail(str(exc)) from None
    except FileNotFoundError as exc:
        raise fail(f"{exc.filename}: no such file") from None


def is_tty() -> bool:
    return sys.stderr.isatty()


def write_report(report: Path, result: dict[str, Any], predictions: Path | None = None,
                 rows: Iterable[dict[str, Any]] = ()) -> None:
    """Every `evaluate` command's output: the JSON report, and one JSON line per example when asked."""
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(result, indent=2))
    if predictions is not None:
        predictions.parent.mkdir(parents=True, exist_ok=True)
        predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
