"""Bounded load test of the API on loopback: req/s and latency for pool size vs concurrency.

The server runs in its own process (uvicorn, one worker) on a seeded store; the client is
an httpx AsyncClient firing N authenticated GETs with C in flight. Each configuration
prints req/s, p50/p95/max latency and errors. Compare the default (requests take a DB slot,
fewer slots than pooled connections) with ``--slots 1000`` (no gate: every request may grab
a connection, Starlette's 40 threads) to see the QueuePool timeouts ARCHITECTURE.md warns about.

    python benchmarks/api_load.py --requests 2000 --concurrency 8 64 256
    python benchmarks/api_load.py --slots 1000                    # no DB gate
    python benchmarks/api_load.py --pool 4 --database-url postgresql+psycopg://postgres@127.0.0.1/test

Not a test: figures depend on the machine. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlmodel import Session

from api.users import create_api_key
from tools.crm import repository as repo
from tools.crm.db import make_engine, upgrade_schema
from tools.settings import Settings


@dataclass
class Result:
    """Figures of one run."""

    requests: int
    seconds: float
    latencies: list[float]
    errors: dict[str, int]

    def line(self) -> str:
        ok = sorted(self.latencies)
        if not ok:
            return f"{self.requests} requests, all failed: {self.errors}"
        p50 = ok[len(ok) // 2] * 1000
        p95 = ok[min(len(ok) - 1, int(len(ok) * 0.95))] * 1000
        return (f"{len(ok) / self.seconds:8.1f} req/s  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                f"max {ok[-1] * 1000:7.1f} ms  mean {statistics.mean(ok) * 1000:7.1f} ms  errors {self.errors or 0}")


def seed(settings: Settings, leads: int) -> str:
    """A campaign with ``leads`` leads and a read key; returns the key."""
    engine = make_engine(settings.effective_database_url)
    upgrade_schema(engine)
    with Session(engine) as session:
        campaign = repo.upsert_campaign(session, name=f"bench-{time.time_ns()}", spec={"name": "bench"})
        for index in range(leads):
            contact = repo.upsert_contact(session, email=f"lead{index}-{campaign.id.hex[:6]}@bench.example")
            repo.add_lead(session, campaign_id=campaign.id, contact_id=contact.id)
        token, _key = create_api_key(session, name="bench", scopes=["read"])
        session.commit()
    engine.dispose()
    return token


def serve(settings: Settings, port: int, slots: int | None) -> None:
    """Server process: the real app under uvicorn."""
    import uvicorn

    from api.app import create_app

    app = create_app(settings, slots=slots)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def load(url: str, token: str, *, requests: int, concurrency: int, timeout: float) -> Result:
    """Fire ``requests`` GETs with ``concurrency`` in flight."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=timeout) as client:

        async def one(index: int) -> None:
            async with slots:
                started = time.perf_counter()
                try:
                    response = await client.get("/api/leads", params={"limit": 20, "offset": index % 100})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    return
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        return Result(requests, time.perf_counter() - started, latencies, errors)


def pool_line(settings: Settings, slots: int | None) -> str:
    """Pool capacity and DB slots of this configuration, as the app computes them."""
    from api.app import db_slots

    engine = make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
    pool = engine.pool
    size, overflow = getattr(pool, "size", lambda: 0)(), getattr(pool, "_max_overflow", 0)
    gate = slots or db_slots(engine, settings)
    engine.dispose()
    return f"pool {size}+{overflow} overflow, DB slots {gate}{' (no gate)' if slots and slots >= 1000 else ''}"


def wait_ready(url: str, deadline_s: float = 60) -> None:
    """Poll /readyz until the server answers."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--pool", type=int, default=5, help="Settings.db_pool_size")
    parser.add_argument("--slots", type=int, default=None, help="DB slots (default: derived from the pool)")
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout per request (s)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database_url, db_pool_size=args.pool)
        token = seed(settings, args.leads)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = multiprocessing.get_context("spawn").Process(target=serve, args=(settings, port, args.slots))
        server.start()
        try:
            wait_ready(url)
            backend = "postgresql" if settings.is_postgres else "sqlite"
            print(f"GET /api/leads on {backend}: {pool_line(settings, args.slots)}; {args.requests} requests per run")
            asyncio.run(load(url, token, requests=min(50, args.requests), concurrency=4, timeout=args.timeout))
            for concurrency in args.concurrency:
                result = asyncio.run(load(url, token, requests=args.requests, concurrency=concurrency,
                                          timeout=args.timeout))
                print(f"  concurrency {concurrency:4d}: {result.line()}")
        finally:
            server.terminate()
            server.join(timeout=10)
            if server.is_alive():
                server.kill()
                server.join()


if __name__ == "__main__":
    main()
