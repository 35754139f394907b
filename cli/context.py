"""What every command needs: validated settings and a migrated database, built once per call."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

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
    path, reason = resolve_data_dir(s)
    if reason != EXPLICIT:
        s = s.model_copy(update={"data_dir": path})
        typer.secho(f"keepcart: data directory {path} ({reason})", dim=True, err=True)
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if s.log_level != "DEBUG":  # libraries announce routine steps at INFO; only problems matter here
        for noisy in ("alembic", "sentence_transformers", "httpx", "faiss"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return s


@cache
def engine() -> Engine:
    return make_engine(settings().resolved_database_url())


def session_factory(migrate: bool = True) -> sessionmaker[Session]:
    """Sessions on the configured database, upgraded to the latest schema first.

    A command that only reads never creates an empty SQLite database: it fails naming the path.
    """
    require_database()
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


# --- Which data directory: the setting, else the nearest keepcart-data upwards, else the demo's. ---
DATA_DIR_NAME = "keepcart-data"
EXPLICIT = "KEEPCART_DATA_DIR"
# Commands that may start from an empty database (they fill it, or only look product names up in it);
# every other one needs an existing database and says where it looked.
MAY_START_EMPTY = {"demo", "serve", "db upgrade", "shop import", "users create", "offers create", "offers install-demo",
                   "recommend show"}


def user_config_file() -> Path:
    """Where `keepcart demo` records its data directory, so commands run elsewhere find it."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "keepcart" / "config.json"


def record_data_dir(path: Path) -> None:
    """Remember `path` as the data directory for commands run outside any folder that holds one."""
    file = user_config_file()
    try:
        data = json.loads(file.read_text()) if file.exists() else {}
    except (OSError, ValueError):
        data = {}
    data["data_dir"] = str(path.resolve())
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(data, indent=2) + "\n")
    except OSError:  # a read-only home: commands then need KEEPCART_DATA_DIR, which the error says
        pass


def resolve_data_dir(s: Settings) -> tuple[Path, str]:
    """The data directory to use and why: a relative default must not depend on the folder a command runs in."""
    if "data_dir" in s.model_fields_set:
        return s.data_dir, EXPLICIT
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / DATA_DIR_NAME).is_dir():
            return folder / DATA_DIR_NAME, "found in " + ("the working folder" if folder == cwd else str(folder))
    try:
        recorded = json.loads(user_config_file().read_text()).get("data_dir")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if recorded and Path(recorded).is_dir():
        return Path(recorded), f"recorded by `keepcart demo` in {user_config_file()}"
    return cwd / DATA_DIR_NAME, "new, in the working folder"


def _command() -> str:
    """The running subcommand ("shop token"); typer 0.2x vendors click, older releases use click itself."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - typer < 0.20
        from click import get_current_context
    ctx = get_current_context(silent=True)
    names = []
    while ctx is not None and ctx.parent is not None:  # the root's name is however the program was started
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def require_database() -> None:
    """Fail clearly, naming the path, when a reading command would create an empty SQLite database."""
    s = settings()
    url = s.resolved_database_url()
    if not url.startswith("sqlite:///") or _command() in MAY_START_EMPTY or not _command():
        return
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        raise fail(f"no database at {path}: run `keepcart demo` (or `keepcart shop import`) there first, "
                   f"or set KEEPCART_DATA_DIR to the data directory that holds keepcart.db")
