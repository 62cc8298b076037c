"""Admin screens at district scale: the fleet list, the call log and the reports.

Fills a SQLite store through the store's own API with a district's worth of
data (``--booths`` booths, ``--agents`` agents, ``--calls`` calls spread over
``--days`` service days, each with a rating and most with the agent's note),
then runs the real ``xiaowu-server`` on 127.0.0.1 over it and times the admin
console's requests, ``--repeat`` times each:

- ``GET /api/admin/booths`` (the fleet: every booth with its health and activity),
- ``GET /api/admin/calls`` (one day's call log),
- ``GET /api/admin/report`` over all the days, by day and by agent.

The console polls the fleet every 5 s per open admin screen, so that one wants
to stay well under a second. Prints one JSON object::

    .venv/bin/python bench/admin.py --booths 1000 --calls 20000 --days 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

_HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

from bench._common import machine_info, summary  # noqa: E402
from signaling.protocol import CallOutcome  # noqa: E402
from signaling.store import Store, sqlite_url_for_dir  # noqa: E402
from tests.e2e.procs import Hub  # noqa: E402

OUTCOMES: tuple[CallOutcome, ...] = ("resolved", "materials_missing", "referred",
                                     "consultation", "unresolved")


async def fill(data_dir: Path, booths: int, agents: int, calls: int, days: int,
               seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    store = await Store.open(sqlite_url_for_dir(data_dir))
    started = time.perf_counter()
    try:
        await store.migrate()
        await store.seed_catalog()
        catalog = await store.get_catalog()
        services = [(d.id, s.id) for d in catalog for s in d.services]
        booth_ids = [(await store.create_booth(f"便民服务站 {i:04d}", f"330110{i:06d}",
                                               f"第 {i} 村"))[0] for i in range(booths)]
        agent_ids = [await store.create_user(f"agent{i:03d}", "bench-pass-1", "agent",
                                             [d.id for d in catalog], f"坐席{i:03d}")
                     for i in range(agents)]
        today = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
        for n in range(calls):
            day = today - timedelta(days=n % days)
            queued = day + timedelta(seconds=rng.uniform(0, 8 * 3600))
            called = queued + timedelta(seconds=rng.uniform(5, 600))
            ended = called + timedelta(seconds=rng.uniform(60, 900))
            dept, service = rng.choice(services)
            agent = rng.choice(agent_ids)
            ticket = await store.create_ticket(dept, service, rng.choice(booth_ids),
                                               now=queued)
            call = await store.create_call(ticket.id, ticket.booth_id, agent, now=called)
            await store.end_call(call.id, "done", "agent", now=ended)
            await store.update_ticket(ticket.id, state="done", agent_id=agent,
                                      called_at=called, ended_at=ended, end_reason="done")
            await store.save_rating(call.id, rng.choice((5, 5, 5, 4, 4, 3, 2, 1)), now=ended)
            if rng.random() < 0.8:
                await store.save_call_note(call.id, agent, rng.choice(OUTCOMES),
                                           "已告知所需材料，约定补交时间。", now=ended)
    finally:
        await store.close()
    return {"fill_s": round(time.perf_counter() - started, 1)}


async def timed(http: aiohttp.ClientSession, url: str, token: str,
                repeat: int) -> dict[str, Any]:
    times: list[float] = []
    size = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{url}: HTTP {resp.status} {body[:200]!r}")
        times.append((time.perf_counter() - t0) * 1000)
        size = len(body)
    return {**summary(times), "bytes": size}


async def measure(hub: Hub, days: int, repeat: int) -> dict[str, Any]:
    await hub.ready(60)
    async with aiohttp.ClientSession() as http:
        async with http.post(hub.base + "/api/login",
                             json={"username": "admin", "password": "admin-pass-123"}) as r:
            token = (await r.json())["token"]
        today = datetime.now(UTC).date()
        first = today - timedelta(days=days - 1)
        span = f"from={first}&to={today}"
        return {
            "fleet_ms": await timed(http, hub.base + "/api/admin/booths", token, repeat),
            "call_log_ms": await timed(http, hub.base + "/api/admin/calls?limit=200", token,
                                       repeat),
            "report_by_day_ms": await timed(http, f"{hub.base}/api/admin/report?by=day&{span}",
                                            token, repeat),
            "report_by_agent_ms": await timed(
                http, f"{hub.base}/api/admin/report?by=agent&{span}", token, repeat),
        }


async def ping_during_report(hub: Hub, days: int) -> dict[str, Any]:
    """How long ``/healthz`` takes while reports run back to back: does an admin's
    report hold up everyone else on the hub?"""
    async with aiohttp.ClientSession() as http:
        async with http.post(hub.base + "/api/login",
                             json={"username": "admin", "password": "admin-pass-123"}) as r:
            token = (await r.json())["token"]
        today = datetime.now(UTC).date()
        url = (f"{hub.base}/api/admin/report?by=agent&from={today - timedelta(days=days - 1)}"
               f"&to={today}")
        stop = asyncio.Event()

        async def reports() -> None:
            while not stop.is_set():
                async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
                    await resp.read()

        runner = asyncio.create_task(reports())
        await asyncio.sleep(0.2)
        times: list[float] = []
        for _ in range(100):
            t0 = time.perf_counter()
            async with http.get(hub.base + "/healthz") as resp:
                await resp.read()
            times.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.02)
        stop.set()
        await runner
        return summary(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--booths", type=int, default=1000)
    ap.add_argument("--agents", type=int, default=40)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="keep the filled store here and reuse it on the next run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xiaowu-bench-admin-") as tmp:
        data = args.data_dir or Path(tmp) / "var"
        filled: dict[str, Any] = {"reused": True}
        if not (data / "xiaowu.db").exists():
            filled = asyncio.run(fill(data, args.booths, args.agents, args.calls, args.days,
                                      args.seed))
        hub = Hub(data)
        try:
            results = asyncio.run(measure(hub, args.days, args.repeat))
            results["ping_during_report_ms"] = asyncio.run(ping_during_report(hub, args.days))
        finally:
            hub.proc.stop()
    params = {**vars(args), "data_dir": str(args.data_dir) if args.data_dir else None}
    print(json.dumps({"bench": "admin", "machine": machine_info(),
                      "params": params, **filled, **results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
