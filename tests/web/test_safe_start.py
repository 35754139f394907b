"""Safe defaults: no serving on a missing or read-only database, health that notices a read-only one,
and SIGTERM that ends `keepcart serve` within 10 s even with a request hanging."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bot.keyword_parser import KeywordParser
from common.db import make_engine
from common.settings import Settings
from tests.conftest import PG_URL
from web.app import create_app
from web.components import build_components

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPCART_")}
    return {**env, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "KEEPCART_DATA_DIR": str(tmp_path / "data"),
            "KEEPCART_LOG_LEVEL": "WARNING", **extra}


def _serve(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)], cwd=tmp_path,
                            env=_env(tmp_path, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_only_sqlite(tmp_path: Path) -> str:
    from common.migrate import upgrade

    path = tmp_path / "ro.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_serve_refuses_a_read_only_database_with_one_line(tmp_path: Path) -> None:
    proc = _serve(tmp_path, _free_port(), KEEPCART_DATABASE_URL=_read_only_sqlite(tmp_path))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [err.strip()] and "read-only" in err and err.startswith("error: cannot serve")


@pytest.mark.postgres
def test_serve_refuses_a_missing_postgres_database_with_one_line(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("KEEPCART_TEST_DATABASE_URL not set")
    missing = PG_URL.rsplit("/", 1)[0] + "/keepcart_no_such_database"
    proc = _serve(tmp_path, _free_port(), KEEPCART_DATABASE_URL=missing)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "does not exist" in err


def test_health_reports_a_read_only_database_as_unhealthy(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="h" * 40)
    engine = make_engine(_read_only_sqlite(tmp_path))
    with TestClient(create_app(settings, build_components(settings, migrate=False, parser=KeywordParser(), engine=engine))) as c:
        res = c.get("/api/v1/health")
    assert res.status_code == 503 and "read-only" in res.json()["detail"]
    engine.dispose()


def test_health_is_ok_on_a_writable_database_and_leaves_no_row(engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="h" * 40)
    with TestClient(create_app(settings, build_components(settings, migrate=False, parser=KeywordParser(), engine=engine))) as c:
        assert c.get("/api/v1/health").json()["database"] == "ok"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rate_limit_counters")).scalar() == 0


def test_sigterm_ends_serve_within_10_s_with_a_request_hanging(tmp_path: Path) -> None:
    port = _free_port()
    proc = _serve(tmp_path, port)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                hanging = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        # a client that promises 100 bytes and sends 10: without a graceful-shutdown timeout uvicorn waits forever
        hanging.sendall(b"POST /api/v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 100\r\n\r\n{\"a\": 1, ")
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert time.monotonic() - started < 10
        hanging.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
