"""End-to-end chat under load: signed-in shoppers talking to a real `keepcart serve` at once.

Every turn goes the whole way: HTTP, the shopper's message committed, the fine-tuned NLU (int8,
micro-batched), the dialogue with the shop database or the help-centre index, the events appended.
Each simulated shopper opens a conversation with a shopper token and sends a short script (order
status, a policy question, a product search, a cancellation asked and declined) one message after
the other, as a person would; `--concurrency` shoppers run at once. Reported per level: turns/s,
turn latency p50/p99, and any non-2xx answer (there should be none). Baseline in the same run: one
shopper at a time (no contention) and `GET /api/v1/health` (HTTP and database only, no models).

The demo shop is prepared once in the data directory with `keepcart demo --prepare-only` (first run:
about 2 minutes for the NLU fine-tune). With `--database-url postgresql://...` the same runs on
PostgreSQL (that database is filled with the demo shop; use a scratch database).

With `--baseline REV` (e.g. HEAD~1) the single-shopper level also runs against that revision, checked
out in a scratch worktree and served on a copy of the same data directory, and both figures are printed
side by side: the same machine, the same data, one run. The copy is first migrated down to the newest
migration REV knows (with this checkout's migrations), and back up afterwards.

Run: nice -n 10 .venv/bin/python benchmarks/chat_load.py [--concurrency 1 8 32] [--workers 1] [--database-url URL]
     [--baseline HEAD~1]   (writes benchmarks/out/chat_load_<database>.json)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common.timing import latency_summary  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
SCRIPT = ["hi", "where is my order?", "what is your return policy", "do you ship to Norway",
          "show me blue mugs", "cancel my order", "no", "thanks"]


def environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "KEEPCART_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "KEEPCART_LOG_LEVEL": "WARNING"}
    if database_url:
        env["KEEPCART_DATABASE_URL"] = database_url
    return env


def prepare(env: dict[str, str]) -> None:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cli.main", "demo", "--prepare-only"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"keepcart demo --prepare-only failed:\n{proc.stderr[-3000:]}")
    print(f"demo shop ready ({time.perf_counter() - started:.0f} s)", flush=True)


def launch(env: dict[str, str], port: int, workers: int, log: Path | None = None, root: Path = ROOT) -> subprocess.Popen[bytes]:
    """Start `keepcart serve` from the checkout at `root` without waiting for it (its own process group:
    stop() ends the workers too)."""
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--workers", str(workers)]
    env = {**env, "PYTHONPATH": str(root)}
    if log is None:
        return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=out, start_new_session=True)


def serve(env: dict[str, str], port: int, workers: int, log: Path | None = None, root: Path = ROOT) -> subprocess.Popen[bytes]:
    server = launch(env, port, workers, log, root)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            # Healthy, and settled: with several workers the first answers while the others still load
            # their models, which would slow every figure measured meanwhile.
            times = []
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:
                for _ in range(10):
                    start = time.perf_counter()
                    client.get("/api/v1/health").raise_for_status()
                    times.append(time.perf_counter() - start)
            if sorted(times)[5] < 0.02:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop(server)
    raise SystemExit("the server did not become healthy and settled within 180 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


async def shopper(client: httpx.AsyncClient, token: str, latencies: list[float], errors: list[str]) -> None:
    res = await client.post("/api/v1/conversations", json={"shopper_token": token})
    if res.status_code not in (200, 201):
        errors.append(f"open {res.status_code}")
        return
    conv = res.json()
    headers = {"Authorization": f"Bearer {conv['token']}"}
    for i, text in enumerate(SCRIPT):
        start = time.perf_counter()
        res = await client.post(f"/api/v1/conversations/{conv['id']}/messages", headers=headers,
                                json={"text": text, "client_message_id": f"m{i}"})
        latencies.append((time.perf_counter() - start) * 1000)
        if res.status_code >= 300:
            errors.append(f"{text!r}: {res.status_code} {res.text[:120]}")


MINT = """
import sys
from typer.testing import CliRunner
from cli.main import app
runner = CliRunner()
for customer in sys.argv[1:]:
    result = runner.invoke(app, ["shop", "token", customer])
    if result.exit_code != 0:
        sys.exit(f"keepcart shop token {customer}: {result.output}")
    print(result.output.strip().splitlines()[-1])
"""


def shopper_tokens(env: dict[str, str], root: Path, customers: list[str]) -> list[str]:
    """Tokens minted by the checkout being measured (its `keepcart shop token`), whatever format it uses."""
    proc = subprocess.run([sys.executable, "-c", MINT, *customers], cwd=root, env={**env, "PYTHONPATH": str(root)},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"minting shopper tokens failed in {root}:\n{proc.stderr[-2000:]}")
    return proc.stdout.split()


def baseline_checkout(rev: str) -> Path:
    """`rev` checked out (detached) in a scratch worktree under benchmarks/out."""
    path = OUT / "chat_load" / "baseline-src"
    if path.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True, capture_output=True)
    return path


def migrate(env: dict[str, str], revision: str) -> None:
    """Move the database of `env` to `revision` with this checkout's migrations (they know every step)."""
    code = ("import sys; from common.db import make_engine; from common.migrate import downgrade, upgrade; "
            "from common.settings import Settings; e = make_engine(Settings().resolved_database_url()); "
            "(upgrade if sys.argv[1] == 'head' else downgrade)(e, sys.argv[1])")
    proc = subprocess.run([sys.executable, "-c", code, revision], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"migrating the database to {revision} failed:\n{proc.stderr[-2000:]}")


def single_shopper(env: dict[str, str], root: Path, port: int, workers: int, shoppers: int, first: int) -> dict:
    """The single-shopper level on the checkout at `root`."""
    tokens = shopper_tokens(env, root, [f"C{first + i:05d}" for i in range(shoppers)])
    server = serve(env, port, workers, root=root)
    try:
        return asyncio.run(level(port, tokens, 1))
    finally:
        stop(server)


async def level(port: int, tokens: list[str], concurrency: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    shoppers = len(tokens)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as client:
        queue = list(tokens)

        async def worker() -> None:
            while queue:
                await shopper(client, queue.pop(), latencies, errors)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "shoppers": shoppers, "turns": len(latencies), "seconds": elapsed,
            "turns_per_second": len(latencies) / elapsed, "turn_ms": latency_summary(latencies),
            "errors": len(errors), "error_examples": errors[:5]}


async def health(port: int, n: int = 200) -> dict:
    latencies = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for _ in range(n):
            start = time.perf_counter()
            (await client.get("/api/v1/health")).raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
    return latency_summary(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=OUT / "chat_load" / "data")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL of a scratch database (default: SQLite in the data dir)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--shoppers", type=int, default=64, help="shoppers per level (each sends the whole script)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--baseline", default=None, help="a git revision to measure single-shopper turns against (e.g. HEAD~1)")
    args = parser.parse_args()
    env = environment(args.data_dir, args.database_url)
    prepare(env)
    levels, first = [], 1
    all_tokens = shopper_tokens(env, ROOT, [f"C{first + i:05d}" for i in range(args.shoppers * len(args.concurrency))])
    server = serve(env, args.port, args.workers)
    try:
        floor = asyncio.run(health(args.port))
        for n, concurrency in enumerate(args.concurrency):
            # fresh shoppers per level, so no level inherits another's conversations
            levels.append(asyncio.run(level(args.port, all_tokens[n * args.shoppers:(n + 1) * args.shoppers], concurrency)))
    finally:
        stop(server)
    first = 1 + args.shoppers * len(args.concurrency)
    compared = None
    if args.baseline:
        base_dir = OUT / "chat_load" / "baseline-data"
        shutil.rmtree(base_dir, ignore_errors=True)
        shutil.copytree(args.data_dir, base_dir)
        base_env = environment(base_dir, args.database_url)
        src = baseline_checkout(args.baseline)
        from common.migrate import head_of

        migrate(base_env, head_of(src / "common" / "migrations" / "versions"))  # the schema REV knows
        try:
            baseline = single_shopper(base_env, src, args.port, args.workers, 16, first)
        finally:
            migrate(base_env, "head")  # on PostgreSQL the baseline shares the database
        compared = {"revision": args.baseline, "baseline": baseline,
                    "current": single_shopper(env, ROOT, args.port, args.workers, 16, first + 16)}
    database = "postgresql" if args.database_url else "sqlite"
    report = {"database": database, "workers": args.workers, "script": SCRIPT, "health_ms": floor, "levels": levels,
              "baseline": compared,
              "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()}}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"chat_load_{database}.json").write_text(json.dumps(report, indent=2))
    print(f"\nchat load on {database}, {args.workers} worker(s), {os.cpu_count()} CPUs; script of {len(SCRIPT)} messages per shopper")
    print(f"baseline GET /api/v1/health: p50 {floor['p50']:.1f} ms, p99 {floor['p99']:.1f} ms")
    print(f"{'concurrent shoppers':>20s} {'turns':>6s} {'turns/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}")
    for lv in levels:
        print(f"{lv['concurrency']:20d} {lv['turns']:6d} {lv['turns_per_second']:8.1f} {lv['turn_ms']['p50']:8.1f} "
              f"{lv['turn_ms']['p99']:8.1f} {lv['errors']:7d}")
        for example in lv["error_examples"]:
            print(f"    {example}")
    if compared:
        b, c = compared["baseline"]["turn_ms"], compared["current"]["turn_ms"]
        print(f"single shopper, same run: {compared['revision']} p50 {b['p50']:.1f} ms (p99 {b['p99']:.1f}) | "
              f"this checkout p50 {c['p50']:.1f} ms (p99 {c['p99']:.1f})")


if __name__ == "__main__":
    main()
