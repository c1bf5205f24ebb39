"""Sending limits: daily cap, warm-up ramp, spacing with jitter, per-domain cap, concurrency."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from agents.compliance.limits import NotNow, Reserved, SendLimits, WarmupRamp, reserve_send, sent_today
from tools.crm.compliance_models import MailboxClock, SendQuota
from tools.crm.db import make_engine, session_scope

NOW = datetime.fromisoformat("2025-01-15T09:00:00+00:00")


def _reserve(engine: Engine, limits: SendLimits, *, now: datetime = NOW, mailbox: str = "a@s.example",
             domain: str = "kunde.example", rng: random.Random | None = None) -> Reserved | NotNow:
    with session_scope(engine) as session:
        return reserve_send(session, mailbox=mailbox, domain=domain, limits=limits, now=now, rng=rng)


def test_daily_cap_then_next_day(engine: Engine) -> None:
    limits = SendLimits(mailbox_daily=3, domain_daily=100, min_spacing_s=0)
    answers = [_reserve(engine, limits, domain=f"d{i}.example") for i in range(4)]
    assert [type(a) for a in answers] == [Reserved, Reserved, Reserved, NotNow]
    refused = answers[3]
    assert isinstance(refused, NotNow) and refused.code == "daily_cap"
    assert refused.until == datetime.fromisoformat("2025-01-16T00:00:00+00:00")
    assert isinstance(_reserve(engine, limits, now=refused.until), Reserved)
    with session_scope(engine) as session:
        assert sent_today(session, scope="mailbox", key="A@S.example", now=NOW) == 3


def test_domain_cap_gives_the_mailbox_slot_back(engine: Engine) -> None:
    limits = SendLimits(mailbox_daily=10, domain_daily=2, min_spacing_s=0)
    assert isinstance(_reserve(engine, limits), Reserved)
    assert isinstance(_reserve(engine, limits), Reserved)
    third = _reserve(engine, limits)
    assert isinstance(third, NotNow) and third.code == "domain_cap"
    with session_scope(engine) as session:
        assert sent_today(session, scope="mailbox", key="a@s.example", now=NOW) == 2
        assert sent_today(session, scope="domain", key="kunde.example", now=NOW) == 2


def test_spacing_with_jitter_defers_until_the_clock_allows(engine: Engine) -> None:
    limits = SendLimits(mailbox_daily=10, domain_daily=10, min_spacing_s=60, jitter_s=30)
    first = _reserve(engine, limits, rng=random.Random(1))
    assert isinstance(first, Reserved) and first.next_send_at is not None
    gap = (first.next_send_at - NOW).total_seconds()
    assert 60 <= gap <= 90
    early = _reserve(engine, limits, now=NOW + timedelta(seconds=59))
    assert isinstance(early, NotNow) and early.code == "spacing" and early.until == first.next_send_at
    with session_scope(engine) as session:  # the refused try took nothing
        assert sent_today(session, scope="mailbox", key="a@s.example", now=NOW) == 1
        assert sent_today(session, scope="domain", key="kunde.example", now=NOW) == 1
    assert isinstance(_reserve(engine, limits, now=first.next_send_at), Reserved)


def test_jitter_varies_the_gap(engine: Engine) -> None:
    limits = SendLimits(mailbox_daily=100, domain_daily=100, min_spacing_s=60, jitter_s=60)
    rng = random.Random(7)
    gaps = set()
    now = NOW
    for _ in range(5):
        answer = _reserve(engine, limits, now=now, rng=rng)
        assert isinstance(answer, Reserved) and answer.next_send_at is not None
        gaps.add(round((answer.next_send_at - now).total_seconds(), 3))
        now = answer.next_send_at
    assert len(gaps) == 5 and all(60 <= g <= 120 for g in gaps)


def test_warmup_ramp_from_the_first_send_day(engine: Engine) -> None:
    limits = SendLimits(mailbox_daily=12, domain_daily=100, min_spacing_s=0, warmup=WarmupRamp(start=5, step=5))

    def sent_on(day: datetime) -> int:
        count = 0
        while isinstance(_reserve(engine, limits, now=day, domain=f"x{count}.example"), Reserved):
            count += 1
        return count

    assert sent_on(NOW) == 5
    assert sent_on(NOW + timedelta(days=1)) == 10
    assert sent_on(NOW + timedelta(days=2)) == 12  # the ramp stops at the cap
    with session_scope(engine) as session:
        clock = session.exec(select(MailboxClock)).one()
        assert clock.first_send_on == date(2025, 1, 15)


def test_ramp_arithmetic() -> None:
    ramp = WarmupRamp(start=5, step=5)
    assert ramp.cap_on(date(2025, 1, 1), None, 30) == 5
    assert ramp.cap_on(date(2025, 1, 3), date(2025, 1, 1), 30) == 15
    assert ramp.cap_on(date(2025, 2, 1), date(2025, 1, 1), 30) == 30


def test_naive_now_is_rejected(engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), session_scope(engine) as session:
        reserve_send(session, mailbox="a@s.example", domain="k.example",
                     limits=SendLimits(1, 1, 0), now=datetime(2025, 1, 1))
    with session_scope(engine) as session:
        assert session.exec(select(SendQuota)).all() == []


def _hammer(url: str, limits: SendLimits, *, workers: int, tries: int, domains: bool) -> list[Reserved | NotNow]:
    engine = make_engine(url, pool_size=workers)
    barrier = threading.Barrier(workers)
    results: list[Reserved | NotNow] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for attempt in range(tries):
                domain = f"d{index}-{attempt}.example" if domains else "kunde.example"
                answer = _reserve(engine, limits, domain=domain)
                with lock:
                    results.append(answer)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert not errors, errors
    return results


def test_daily_cap_holds_under_ten_concurrent_senders(any_engine: Engine) -> None:
    url = any_engine.url.render_as_string(hide_password=False)
    results = _hammer(url, SendLimits(mailbox_daily=17, domain_daily=1000, min_spacing_s=0),
                      workers=10, tries=4, domains=True)
    assert len(results) == 40
    assert sum(isinstance(r, Reserved) for r in results) == 17
    assert all(r.code == "daily_cap" for r in results if isinstance(r, NotNow))
    with session_scope(any_engine) as session:
        assert sent_today(session, scope="mailbox", key="a@s.example", now=NOW) == 17


def test_domain_cap_and_spacing_hold_under_ten_concurrent_senders(any_engine: Engine) -> None:
    url = any_engine.url.render_as_string(hide_password=False)
    capped = _hammer(url, SendLimits(mailbox_daily=1000, domain_daily=3, min_spacing_s=0),
                     workers=10, tries=2, domains=False)
    assert sum(isinstance(r, Reserved) for r in capped) == 3
    with session_scope(any_engine) as session:
        assert sent_today(session, scope="domain", key="kunde.example", now=NOW) == 3
        assert sent_today(session, scope="mailbox", key="a@s.example", now=NOW) == 3
    spaced = _hammer(url, SendLimits(mailbox_daily=1000, domain_daily=1000, min_spacing_s=60),
                     workers=10, tries=1, domains=True)
    # Same clock for all ten: exactly one gets the slot, the others wait out the 60 s gap.
    assert sum(isinstance(r, Reserved) for r in spaced) == 1
    assert [r.code for r in spaced if isinstance(r, NotNow)] == ["spacing"] * 9
