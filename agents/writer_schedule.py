"""When the next mail of a sequence is due: business days after the last one, never after a reply.

The orchestrator enforces the stop (any reply ends the sequence); ``follow_up_due`` encodes
the same rule so callers that only need a date cannot get it wrong.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from agents.campaign import CampaignSpec


def next_step_due(sent_at: datetime, delay_business_days: int, *, holidays: Collection[date] = ()) -> datetime:
    """``sent_at`` plus ``delay_business_days`` Monday-to-Friday days (skipping ``holidays``).

    The time of day is kept; a delay of 0 is due at once. From a Saturday, one business
    day later is Monday.
    """
    if sent_at.tzinfo is None:
        raise ValueError("next_step_due needs a timezone-aware datetime")
    if delay_business_days < 0:
        raise ValueError(f"delay_business_days must be >= 0, not {delay_business_days}")
    due = sent_at
    remaining = delay_business_days
    while remaining:
        due += timedelta(days=1)
        if due.weekday() < 5 and due.date() not in holidays:
            remaining -= 1
    return due


def follow_up_due(
    spec: CampaignSpec,
    *,
    last_step: int,
    last_sent_at: datetime,
    replied: bool,
    holidays: Collection[date] = (),
) -> datetime | None:
    """When step ``last_step + 1`` is due, or None when the lead replied or the sequence is over."""
    if replied or last_step >= len(spec.sequence):
        return None
    following = spec.step(last_step + 1)
    return next_step_due(last_sent_at, following.delay_business_days, holidays=holidays)
