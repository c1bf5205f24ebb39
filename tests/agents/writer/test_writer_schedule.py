"""Follow-up timing: business days, holidays, and the stop on a reply."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agents.campaign import CampaignSpec
from agents.writer_schedule import follow_up_due, next_step_due

THURSDAY = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)


def test_business_days_skip_weekends_and_keep_the_time() -> None:
    assert next_step_due(THURSDAY, 0) == THURSDAY
    assert next_step_due(THURSDAY, 1) == datetime(2024, 3, 15, 9, 30, tzinfo=UTC)
    assert next_step_due(THURSDAY, 3) == datetime(2024, 3, 19, 9, 30, tzinfo=UTC)
    saturday = datetime(2024, 3, 16, 12, 0, tzinfo=UTC)
    assert next_step_due(saturday, 1) == datetime(2024, 3, 18, 12, 0, tzinfo=UTC)


def test_holidays_are_skipped() -> None:
    good_friday = date(2024, 3, 29)
    easter_monday = date(2024, 4, 1)
    start = datetime(2024, 3, 28, 10, 0, tzinfo=UTC)
    assert next_step_due(start, 1, holidays={good_friday, easter_monday}) == datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_step_due(datetime(2024, 3, 14, 9, 30), 1)
    with pytest.raises(ValueError, match=">= 0"):
        next_step_due(THURSDAY, -1)


def test_follow_up_due_stops_on_reply_and_at_the_end(spec_de: CampaignSpec) -> None:
    assert follow_up_due(spec_de, last_step=1, last_sent_at=THURSDAY, replied=False) == datetime(
        2024, 3, 19, 9, 30, tzinfo=UTC
    )
    assert follow_up_due(spec_de, last_step=1, last_sent_at=THURSDAY, replied=True) is None
    assert follow_up_due(spec_de, last_step=3, last_sent_at=THURSDAY, replied=False) is None
