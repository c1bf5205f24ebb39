"""Email loop throughput: enqueue, dispatch (file and loopback SMTP, 1 and 2 workers), ingest, quotes.

    .venv/bin/python benchmarks/email_bench.py                 # 500 rows, SQLite in a temp dir
    .venv/bin/python benchmarks/email_bench.py --rows 2000
    .venv/bin/python benchmarks/email_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Sending is throttled by compliance (tens of mails per mailbox per day), so these numbers are
about headroom and about the cost of the one-row-at-a-time claim that makes double sends
impossible. Prints figures; asserts that every row was sent exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tools.crm.db import make_engine, session_scope, upgrade_schema
from tools.crm.models import Campaign, Contact, InboundMessage, Lead, OutboxMessage, OutboxStatus
from tools.email.ingest import store_raw_email
from tools.email.outbox import dispatch, enqueue
from tools.email.quotes import strip_quoted
from tools.email.transport import FileTransport, SmtpTransport
from tools.settings import Settings

REPLY = (
    "Ja, gerne. Passt Dienstag um 10 Uhr?\n\nMit freundlichen Grüßen\nErika Müller\nEinkauf\n\n"
    "Am Mo., 2. März 2026 um 09:30 Uhr schrieb Jürgen Weiß <juergen@firma.example>:\n"
    + "> Guten Tag Frau Müller, hätten Sie Interesse an einem kurzen Gespräch?\n" * 20
)


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


def _fresh_engine(url: str | None, tmp: Path) -> Engine:
    """An empty, migrated store: a new SQLite file, or a wiped PostgreSQL schema."""
    engine = make_engine(url or f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.db'}")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade_schema(engine)
    return engine


def _seed(engine: Engine, rows: int) -> float:
    with session_scope(engine) as session:
        campaign = Campaign(name=f"bench-{uuid.uuid4().hex[:6]}")
        session.add(campaign)
        leads = []
        for n in range(rows):
            contact = Contact(email=f"kontakt{n}-{uuid.uuid4().hex[:6]}@kunde.example")
            session.add(contact)
            session.flush()
            lead = Lead(campaign_id=campaign.id, contact_id=contact.id)
            session.add(lead)
            leads.append((contact, lead))
        session.flush()
    started = time.perf_counter()
    for contact, lead in leads:
        with session_scope(engine) as session:
            enqueue(session, campaign_id=campaign.id, contact_id=contact.id, lead_id=lead.id, step=1,
                    draft_id=None, from_email="Jürgen Weiß <juergen@firma.example>", to_email=contact.email,
                    subject="Kurze Frage zu Ihrer Logistik", body="Guten Tag,\n" + "Text. " * 80,
                    message_id_domain="firma.example")
    return time.perf_counter() - started


def _sent(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.sent)
        return int(session.exec(query).one())


def _dispatch(engine: Engine, transport: object, settings: Settings, workers: int) -> float:
    def run() -> None:
        asyncio.run(dispatch(engine, transport, settings=settings))  # type: ignore[arg-type]

    started = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        print(f"database: {'postgresql' if args.database_url else 'sqlite'}, rows: {args.rows}")
        sink = _Sink()
        port = _free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            for label, workers, transport in [
                ("file, 1 worker", 1, FileTransport(settings.outbox_dir)),
                ("file, 2 workers", 2, FileTransport(Path(tmp) / "outbox2")),
                ("smtp loopback, 1 worker", 1, SmtpTransport("127.0.0.1", port, security="none")),
                ("smtp loopback, 2 workers", 2, SmtpTransport("127.0.0.1", port, security="none")),
            ]:
                engine = _fresh_engine(args.database_url, Path(tmp))
                seconds = _seed(engine, args.rows)
                print(f"enqueue: {args.rows / seconds:8.0f} rows/s (one transaction each)")
                seconds = _dispatch(engine, transport, settings, workers)
                sent = _sent(engine)
                assert sent == args.rows, f"{sent} of {args.rows} sent"
                print(f"dispatch {label:26s}: {args.rows / seconds:8.0f} mails/s")
                engine.dispose()
            assert sink.count == 2 * args.rows, "the SMTP server saw a double send"
        finally:
            controller.stop()

        engine = _fresh_engine(args.database_url, Path(tmp))
        raws = [
            (f"From: erika{n}@kunde.example\r\nTo: juergen@firma.example\r\nSubject: AW: Frage\r\n"
             f"Message-ID: <bench-{n}@kunde.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{REPLY}")
            for n in range(args.rows)
        ]
        started = time.perf_counter()
        for raw in raws:
            with session_scope(engine) as session:
                store_raw_email(session, raw, settings=settings)
        seconds = time.perf_counter() - started
        with Session(engine) as session:
            stored = int(session.exec(select(func.count()).select_from(InboundMessage)).one())
        assert stored == args.rows
        print(f"ingest (parse, strip, match, store): {args.rows / seconds:8.0f} mails/s")

        timings = []
        for _ in range(2000):
            started = time.perf_counter()
            strip_quoted(REPLY)
            timings.append(time.perf_counter() - started)
        print(f"strip_quoted ({len(REPLY)} chars): median {statistics.median(timings) * 1e6:.0f} µs")
        engine.dispose()


if __name__ == "__main__":
    main()
