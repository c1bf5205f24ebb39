"""Cost of the send-time compliance check and of the atomic quota under contention.

    .venv/bin/python benchmarks/compliance_bench.py                  # SQLite in a temp dir
    .venv/bin/python benchmarks/compliance_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Measures (1) ``check_send`` latency for a lead that passes every rule (the full path:
ledger, legal details, lawful basis, window, quota reservation, commit), and (2) quota
reservations per second with 1, 4 and 10 threads hammering one mailbox, checking that the
cap is never exceeded. Prints figures; uses its own tables (run it on a scratch database).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import delete

from agents.campaign import CampaignSpec
from agents.compliance.config import ComplianceSettings
from agents.compliance.legal import legal_footer_block
from agents.compliance.limits import NotNow, Reserved, SendLimits, reserve_send, sent_today
from agents.compliance.sendcheck import Verdict, check_send
from agents.compliance.unsubscribe import unsubscribe_url
from tools.crm.compliance_models import MailboxClock, SendQuota
from tools.crm.db import make_engine, session_scope, upgrade_schema
from tools.crm.models import LawfulBasis
from tools.crm.repository import add_lead, upsert_campaign, upsert_company, upsert_contact
from tools.crm.types import utcnow
from tools.email.outbox import enqueue
from tools.settings import Settings

NOW = datetime.fromisoformat("2025-01-15T09:00:00+00:00")
SPEC = {
    "name": "bench",
    "sender": {"name": "Erika Mustermann", "email": "erika@muster.example", "legal": {
        "company_name": "Muster Software GmbH", "legal_form": "GmbH", "street": "Beispielstraße 1",
        "postal_code": "10115", "city": "Berlin", "register_court": "Amtsgericht Charlottenburg",
        "register_number": "HRB 1", "managing_directors": ["Erika Mustermann"],
        "privacy_url": "https://muster.example/datenschutz"}},
    "offer": {"product": "CRM", "value_proposition": "Alles an einem Ort.", "call_to_action": "15 Minuten?"},
    "sequence": [{"step": 1}],
    "limits": {"daily_sends": 100000, "per_domain_daily": 100000},
}


def _seed(engine: Engine, settings: Settings, rows: int) -> list[uuid.UUID]:
    spec = CampaignSpec.model_validate(SPEC)
    ids = []
    with session_scope(engine) as session:
        campaign = upsert_campaign(session, name=f"bench-{uuid.uuid4().hex[:8]}", spec={**SPEC})
        company = upsert_company(session, domain=f"k{uuid.uuid4().hex[:8]}.example", country="DE")
        for index in range(rows):
            contact = upsert_contact(session, email=f"p{index}-{uuid.uuid4().hex[:6]}@{company.domain}",
                                     company_id=company.id, country="DE", lawful_basis=LawfulBasis.consent,
                                     basis_source="bench", basis_date=utcnow())
            lead, _ = add_lead(session, campaign_id=campaign.id, contact_id=contact.id)
            footer = legal_footer_block(spec, "de", unsubscribe_url=unsubscribe_url(settings, contact.id, campaign.id))
            row = enqueue(session, campaign_id=campaign.id, contact_id=contact.id, lead_id=lead.id, step=1,
                          draft_id=None, from_email=f"sender{index % 5}@muster.example", to_email=contact.email,
                          subject="Hallo", body=f"Text\n\n{footer}")
            ids.append(row.id)
    return ids


def bench_check(engine: Engine, settings: Settings, rows: int) -> None:
    from tools.crm.models import OutboxMessage

    ids = _seed(engine, settings, rows)
    config = ComplianceSettings()
    quick = settings.model_copy(update={"send_min_spacing_s": 0, "daily_send_cap": 100000})
    timings = []
    for row_id in ids:
        start = time.perf_counter()
        with session_scope(engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            decision = check_send(session, row, settings=quick, config=config, now=NOW)
        timings.append((time.perf_counter() - start) * 1000)
        assert decision.verdict is Verdict.send, decision
    timings.sort()
    print(f"check_send (passes every rule, own transaction): n={rows} "
          f"median {statistics.median(timings):.2f} ms, p95 {timings[int(len(timings) * 0.95)]:.2f} ms")


def bench_quota(engine: Engine, workers: int, cap: int) -> None:
    with session_scope(engine) as session:
        session.exec(delete(SendQuota))
        session.exec(delete(MailboxClock))
    limits = SendLimits(mailbox_daily=cap, domain_daily=10**9, min_spacing_s=0)
    barrier = threading.Barrier(workers)
    granted = [0] * workers
    attempts = [0] * workers

    def worker(index: int) -> None:
        rng = random.Random(index)
        barrier.wait()
        while True:
            with session_scope(engine) as session:
                answer = reserve_send(session, mailbox="m@muster.example", domain=f"d{rng.random()}.example",
                                      limits=limits, now=NOW, rng=rng)
            attempts[index] += 1
            if isinstance(answer, Reserved):
                granted[index] += 1
            elif isinstance(answer, NotNow):
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    with session_scope(engine) as session:
        stored = sent_today(session, scope="mailbox", key="m@muster.example", now=NOW)
    assert sum(granted) == stored == cap, (sum(granted), stored, cap)
    print(f"quota, {workers:2d} threads: {cap} slots in {elapsed:.2f} s = {cap / elapsed:,.0f} reservations/s "
          f"({sum(attempts)} attempts; cap held: {stored} == {cap})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--cap", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database_url)
        engine = make_engine(settings.effective_database_url, pool_size=12)
        upgrade_schema(engine)
        print(f"database: {engine.dialect.name}")
        bench_check(engine, settings, args.rows)
        for workers in (1, 4, 10):
            bench_quota(engine, workers, args.cap)
        engine.dispose()


if __name__ == "__main__":
    main()
