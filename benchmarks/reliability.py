"""Reliability under retries and crashes: nothing lost, duplicated, unanswered or done twice.

50 signed-in demo shoppers (those with cancellable and returnable orders and high churn risk come
first, so shop changes, offers and coupons happen) each hold a 20-turn conversation with a real
`keepcart serve`: order status, an address change answered "yes", a cancellation declined then
confirmed, a return with a reason and "yes", policy questions, a stray "yes", goodbye. Every
message carries a client_message_id, and a client retries it until it gets an answer, like the
widget: on connection errors and timeouts, and a share of messages is posted as 2-3 concurrent
copies at once, or abandoned after a few milliseconds and sent again while the first still runs.
Meanwhile the server is killed three times at random moments (SIGTERM, kill -9, then either) and
restarted at once on the same port; the clients carry on.

At the end the database itself is audited (`benchmarks/reliability_audit.py`): every client
message stored exactly once and answered by exactly one turn, no turn answering a message twice,
each order cancelled, returned or re-addressed at most once and only after a "yes", no shop change
without the turn that reports it, coupons only for offer exposures and shown in their shopper's
conversation, one offer per shopper (the 30-day cap) and every rule's spent count and money equal
to the coupons issued. Baseline in the same run: the clients' view (every message answered, every
copy of one message given the same answer). Exit status 1 on any violation.

Run: nice -n 15 .venv/bin/python benchmarks/reliability.py --template DIR [--database-url URL]
     (DIR: a prepared demo data dir, copied fresh; writes benchmarks/out/reliability[_postgresql].json)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.chat_load import environment, launch, prepare  # noqa: E402
from benchmarks.reliability_audit import Shopper, audit, choose_shoppers, snapshot  # noqa: E402
from common import signing  # noqa: E402
from common.db import make_engine, make_session_factory  # noqa: E402
from common.settings import Settings  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
TIMEOUT_S = 20.0  # a client gives up on one attempt after this long, then retries (same id)
GIVE_UP_S, MAX_SERVER_ERRORS = 240.0, 5  # ... and on the message after this long or this many 5xx answers


def script(s: Shopper) -> list[str]:
    """The 20 messages of one shopper; orders are named by id, as a shopper clicking a button would."""
    c = s.cancellable or s.latest
    r = s.returnable or s.latest
    return ["hi", f"where is my order {s.latest}?", "what is your return policy",
            f"I need to change the delivery address of order {c}", "221 Baker Street, 10115 Berlin, DE", "yes",
            f"cancel order {c}", "no", "do you ship to Norway", f"cancel order {c}", "yes",
            f"I want to return order {r}", "the handle broke after two days", "yes", "how long does a refund take?",
            f"cancel order {c}", "yes", "what payment methods do you accept", "is my refund on its way?", "thanks, bye"]


class Clients:
    """The shoppers' side: send every message until answered, with duplicate and impatient retries."""

    def __init__(self, base: str, rng: random.Random, dup_share: float, impatient_share: float) -> None:
        self.base, self.rng = base, rng
        self.dup_share, self.impatient_share = dup_share, impatient_share
        self.stats: dict[str, int] = {"requests": 0, "connection_errors": 0, "timeouts": 0, "server_errors": 0,
                                      "busy_retries": 0, "replayed": 0, "duplicate_groups": 0, "impatient": 0,
                                      "client_errors": 0, "divergent_answers": 0, "gave_up": 0}
        self.answered = 0
        self.sent: dict[str, dict[str, str]] = {}
        self.examples: list[str] = []

    async def _post(self, client: httpx.AsyncClient, conv: dict[str, Any], cid: str, text: str,
                    timeout: float = TIMEOUT_S, once: bool = False) -> dict[str, Any] | None:
        delay, failures, give_up = 0.2, 0, time.monotonic() + GIVE_UP_S
        while time.monotonic() < give_up and failures < MAX_SERVER_ERRORS:
            self.stats["requests"] += 1
            try:
                res = await client.post(f"/api/v1/conversations/{conv['id']}/messages", timeout=timeout,
                                        headers={"Authorization": f"Bearer {conv['token']}"},
                                        json={"text": text, "client_message_id": cid})
            except httpx.TimeoutException:
                self.stats["timeouts"] += 1
                if once:
                    return None
            except httpx.TransportError:
                self.stats["connection_errors"] += 1
            else:
                if res.status_code == 200:
                    return res.json()
                if res.status_code >= 500:
                    self.stats["server_errors"] += 1
                    failures += 1
                    self.examples.append(f"{res.status_code} {res.text[:160]}")
                elif res.status_code in (409, 429):
                    self.stats["busy_retries"] += 1
                else:
                    self.stats["client_errors"] += 1
                    self.examples.append(f"{res.status_code} {text!r}: {res.text[:160]}")
                    return None
            await asyncio.sleep(delay * (0.5 + self.rng.random()))
            delay = min(delay * 2, 2.0)
        self.stats["gave_up"] += 1  # the audit then finds the message unanswered
        self.examples.append(f"gave up on {cid} {text!r} in {conv['id']}")
        return None

    async def message(self, client: httpx.AsyncClient, conv: dict[str, Any], cid: str, text: str) -> None:
        self.sent[conv["id"]][cid] = text
        roll = self.rng.random()
        if roll < self.dup_share:
            self.stats["duplicate_groups"] += 1
            copies = self.rng.choice((2, 3))
            answers = await asyncio.gather(*(self._post(client, conv, cid, text) for _ in range(copies)))
        elif roll < self.dup_share + self.impatient_share:
            self.stats["impatient"] += 1  # gives up after a few ms (the turn keeps running), then retries
            first = await self._post(client, conv, cid, text, timeout=self.rng.uniform(0.005, 0.15), once=True)
            answers = [a for a in (first, await self._post(client, conv, cid, text)) if a is not None]
        else:
            answers = [await self._post(client, conv, cid, text)]
        got = [a for a in answers if a is not None]
        if got:
            self.answered += 1
        self.stats["replayed"] += sum(bool(a.get("replayed")) for a in got)
        views = {(a["message"]["seq"], tuple(r["seq"] for r in a["replies"])) for a in got}
        if len(views) > 1:
            self.stats["divergent_answers"] += 1
            self.examples.append(f"one message, different answers: {conv['id']} {cid} {sorted(views)}")

    async def shopper(self, client: httpx.AsyncClient, token: str, messages: list[str], think: float) -> str:
        while True:  # opening is retried too (a lost answer leaves an empty conversation, never a message)
            try:
                res = await client.post("/api/v1/conversations", json={"shopper_token": token}, timeout=TIMEOUT_S)
                if res.status_code == 201:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
        conv = res.json()
        self.sent[conv["id"]] = {}
        for i, text in enumerate(messages):
            await asyncio.sleep(self.rng.uniform(0, think))
            await self.message(client, conv, f"m{i:02d}", text)
        return str(conv["id"])


class Killer:
    """Kills the server when the run reaches random points, and restarts it at once on the same port."""

    def __init__(self, env: dict[str, str], port: int, log: Path, server: subprocess.Popen[bytes]) -> None:
        self.env, self.port, self.log, self.server = env, port, log, server
        self.kills: list[dict[str, Any]] = []

    async def run(self, clients: Clients, total: int, plan: list[tuple[float, str]]) -> None:
        for fraction, how in plan:
            while clients.answered < fraction * total:
                await asyncio.sleep(0.05)
            started = time.perf_counter()
            sig = signal.SIGTERM if how == "TERM" else signal.SIGKILL
            os.killpg(self.server.pid, sig)
            exited = await asyncio.to_thread(self._wait_exit, 30.0)
            if not exited:  # TERM did not finish in 30 s: that is a finding, recorded, then -9
                os.killpg(self.server.pid, signal.SIGKILL)
                await asyncio.to_thread(self._wait_exit, 30.0)
            down_for = time.perf_counter() - started
            self.server = launch(self.env, self.port, 1, self.log)
            ready = await self._healthy()
            self.kills.append({"signal": how, "after_messages": clients.answered, "exit_seconds": round(down_for, 2),
                               "exited_on_signal": exited, "back_after_seconds": round(ready - started, 1)})
            print(f"  kill {len(self.kills)}: {how} after {clients.answered} answered messages; exited in {down_for:.1f} s, "
                  f"serving again after {ready - started:.1f} s", flush=True)

    def _wait_exit(self, timeout: float) -> bool:
        try:
            self.server.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    async def _healthy(self) -> float:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=2) as client:
            while True:
                try:
                    if (await client.get("/api/v1/health")).status_code == 200:
                        return time.perf_counter()
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)


async def drive(args: argparse.Namespace, env: dict[str, str], secret: str, shoppers: list[Shopper], log: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    server = launch(env, args.port, 1, log)
    killer = Killer(env, args.port, log, server)
    await killer._healthy()
    clients = Clients(f"http://127.0.0.1:{args.port}", rng, args.duplicates, args.impatient)
    scripts = [script(s) for s in shoppers]
    total = sum(len(m) for m in scripts)
    points = sorted(rng.uniform(0.12, 0.88) for _ in range(args.kills))
    plan = [(p, how) for p, how in zip(points, ["TERM", "KILL", rng.choice(["TERM", "KILL"])] + ["KILL"] * args.kills)]
    started = time.perf_counter()
    try:
        limits = httpx.Limits(max_connections=4 * len(shoppers), max_keepalive_connections=2 * len(shoppers))
        async with httpx.AsyncClient(base_url=clients.base, limits=limits) as client:
            tokens = [signing.shopper_token(secret, s.customer_id, ttl_seconds=7200) for s in shoppers]
            kill_task = asyncio.create_task(killer.run(clients, total, plan))
            conv_ids = await asyncio.gather(*(clients.shopper(client, t, m, args.think) for t, m in zip(tokens, scripts)))
            if not kill_task.done():  # a kill point not reached (a client gave up): say so
                kill_task.cancel()
    finally:
        os.killpg(killer.server.pid, signal.SIGTERM)
        killer.server.wait(60)
    return {"seconds": time.perf_counter() - started, "clients": clients, "kills": killer.kills,
            "conversations": dict(zip(conv_ids, (s.customer_id for s in shoppers))), "planned_messages": total}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--template", type=Path, help="a prepared demo data dir, copied into --data-dir first")
    parser.add_argument("--data-dir", type=Path, default=OUT / "reliability" / "data")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL of a scratch database (default: SQLite in the data dir)")
    parser.add_argument("--shoppers", type=int, default=50)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of messages posted as 2-3 concurrent copies")
    parser.add_argument("--impatient", type=float, default=0.1, help="share of messages abandoned after a few ms, then retried")
    parser.add_argument("--think", type=float, default=0.3, help="a shopper waits up to this many seconds before each message")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--port", type=int, default=8771)
    args = parser.parse_args()
    if args.template:
        shutil.rmtree(args.data_dir, ignore_errors=True)
        shutil.copytree(args.template, args.data_dir)
    env = environment(args.data_dir, args.database_url)
    prepare(env)
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url)
    sessions = make_session_factory(make_engine(settings.resolved_database_url()))
    now = datetime.now(UTC)
    with sessions() as session:
        shoppers = choose_shoppers(session, args.shoppers, now)
        before = snapshot(session, [s.customer_id for s in shoppers], now)
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / "reliability_server.log"
    log.write_text("")
    run = asyncio.run(drive(args, env, settings.resolved_secret_key(), shoppers, log))
    clients: Clients = run["clients"]
    with sessions() as session:
        figures, problems = audit(session, clients.sent, run["conversations"], before)
    database = "postgresql" if args.database_url else "sqlite"
    for name in ("client_errors", "divergent_answers", "gave_up"):
        if clients.stats[name]:
            problems.append(f"clients: {clients.stats[name]} {name.replace('_', ' ')}")
    if len(run["kills"]) < args.kills:
        problems.append(f"only {len(run['kills'])} of {args.kills} kills happened")
    report = {"database": database, "shoppers": len(shoppers), "seconds": round(run["seconds"], 1),
              "planned_messages": run["planned_messages"], "client": clients.stats, "kills": run["kills"],
              "audit": figures, "violations": problems, "client_examples": clients.examples[:10],
              "shoppers_with": {"cancellable_order": sum(s.cancellable is not None for s in shoppers),
                                "returnable_order": sum(s.returnable is not None for s in shoppers),
                                "high_risk": sum(s.risk_band == "high" for s in shoppers)},
              "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()}}
    name = "reliability.json" if database == "sqlite" else f"reliability_{database}.json"
    (OUT / name).write_text(json.dumps(report, indent=2, default=str))
    print_report(report)
    sys.exit(1 if problems else 0)


def print_report(r: dict[str, Any]) -> None:
    a, c = r["audit"], r["client"]
    print(f"\nreliability on {r['database']}: {r['shoppers']} conversations x 20 turns in {r['seconds']:.0f} s, "
          f"{len(r['kills'])} kills ({', '.join(k['signal'] for k in r['kills'])})")
    print(f"  HTTP posts {c['requests']} for {a.get('messages_sent', 0)} messages: {c['duplicate_groups']} sent as 2-3 "
          f"concurrent copies, {c['impatient']} abandoned and resent, {c['replayed']} replayed answers, "
          f"{c['connection_errors']} connection errors and {c['timeouts']} timeouts retried, {c['server_errors']} 5xx")
    print(f"  shop: {a.get('orders_cancel', 0)} orders cancelled, {a.get('orders_return', 0)} returns, "
          f"{a.get('orders_address', 0)} addresses changed; offers: {a.get('offers', 0)} offers, "
          f"{a.get('holdouts', 0)} hold-outs, {a.get('coupons', 0)} coupons")
    rows = [("lost shopper messages", a.get("lost", 0)), ("duplicated shopper messages", a.get("duplicated", 0)),
            ("unanswered shopper messages", a.get("unanswered", 0)), ("turns answered twice", a.get("answered_twice", 0)),
            ("copies of one message answered differently", c["divergent_answers"]),
            ("double shop changes", a.get("double_shop_changes", 0)),
            ("shop changes without their turn", a.get("shop_changes_without_turn", 0)),
            ("offer cap violations", a.get("cap_violations", 0)), ("coupon/budget mismatches", a.get("budget_violations", 0)),
            ("all violations", len(r["violations"]))]
    print(f"  {'check':45s} {'found':>6s} {'expected':>9s}")
    for label, value in rows:
        print(f"  {label:45s} {value:6d} {0:9d}")
    for line in r["violations"][:20]:
        print(f"  VIOLATION {line}")


if __name__ == "__main__":
    main()
