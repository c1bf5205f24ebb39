"""The sending window in the recipient's time zone, business days and German holidays."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from agents.campaign import SendingWindow
from agents.compliance.window import WindowError, WindowRule, easter_sunday, german_holidays, recipient_timezone


def _rule(*, tz: str | None = None, country: str | None = "DE", holidays: bool = False,
          **window: object) -> WindowRule:
    return WindowRule.for_recipient(SendingWindow.model_validate(window), contact_tz=tz, country=country,
                                    skip_german_holidays=holidays)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_inside_the_window_sends_now() -> None:
    assert _rule().next_open(at("2025-01-15T09:00:00+00:00")) is None  # Wed 10:00 Berlin


def test_before_and_after_hours() -> None:
    rule = _rule()
    assert rule.next_open(at("2025-01-15T06:30:00+00:00")) == at("2025-01-15T07:00:00+00:00")
    assert rule.next_open(at("2025-01-15T17:00:00+00:00")) == at("2025-01-16T07:00:00+00:00")  # 18:00 is closed


def test_friday_evening_waits_for_monday_and_summer_time_is_respected() -> None:
    rule = _rule()
    assert rule.next_open(at("2025-06-13T17:30:00+00:00")) == at("2025-06-16T06:00:00+00:00")  # CEST


def test_weekends_allowed_when_configured() -> None:
    rule = _rule(business_days_only=False)
    assert rule.next_open(at("2025-01-18T10:00:00+00:00")) is None


def test_german_holidays_are_optional() -> None:
    unity_day = at("2025-10-03T08:00:00+00:00")  # Friday, Tag der Deutschen Einheit
    assert _rule().next_open(unity_day) is None
    assert _rule(holidays=True).next_open(unity_day) == at("2025-10-06T06:00:00+00:00")
    assert _rule(country="FR", holidays=True).next_open(unity_day) is None  # only German recipients


def test_holiday_dates() -> None:
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2026) == date(2026, 4, 5)
    days = german_holidays(2025)
    assert {date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 29), date(2025, 6, 9)} <= days
    assert len(days) == 9


def test_time_zone_choice() -> None:
    chicago = recipient_timezone(contact_tz="America/Chicago", country="DE", default="Europe/Berlin")
    assert chicago.key == "America/Chicago"
    assert recipient_timezone(contact_tz="Mars/Olympus", country="GB", default="Europe/Berlin").key == "Europe/London"
    assert recipient_timezone(contact_tz=None, country="US", default="Europe/Vienna").key == "Europe/Vienna"
    with pytest.raises(WindowError, match="unknown time zone"):
        recipient_timezone(contact_tz=None, country=None, default="Nowhere/City")


def test_window_until_midnight() -> None:
    rule = _rule(start_hour=20, end_hour=24)
    assert rule.next_open(at("2025-01-15T22:30:00+00:00")) is None  # 23:30 Berlin
    assert rule.next_open(at("2025-01-15T23:30:00+00:00")) == at("2025-01-16T19:00:00+00:00")


def test_empty_window_is_an_error() -> None:
    with pytest.raises(WindowError, match="empty"):
        _rule(start_hour=18, end_hour=8)
