"""When a mail may go out: the campaign's sending window in the recipient's time zone.

Time zone: the contact's own (``Contact.timezone``), else one derived from the country
(single-zone countries only), else the campaign default. Business days are Monday to
Friday; nationwide German public holidays can be skipped for German recipients.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agents.campaign import SendingWindow

# Countries with one civil time zone (multi-zone countries fall back to the campaign default).
COUNTRY_TIMEZONES: dict[str, str] = {
    "DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich", "LI": "Europe/Vaduz",
    "LU": "Europe/Luxembourg", "BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "FR": "Europe/Paris",
    "IT": "Europe/Rome", "ES": "Europe/Madrid", "GB": "Europe/London", "IE": "Europe/Dublin",
    "DK": "Europe/Copenhagen", "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest",
    "SI": "Europe/Ljubljana", "HR": "Europe/Zagreb", "RO": "Europe/Bucharest", "BG": "Europe/Sofia",
    "GR": "Europe/Athens", "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius",
    "IS": "Atlantic/Reykjavik", "MT": "Europe/Malta", "CY": "Asia/Nicosia", "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata", "JP": "Asia/Tokyo", "SG": "Asia/Singapore", "AE": "Asia/Dubai",
    "ZA": "Africa/Johannesburg", "NZ": "Pacific/Auckland",
}

_MAX_DAYS_AHEAD = 21


class WindowError(ValueError):
    """The sending window cannot be evaluated (unknown time zone, empty window)."""


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def recipient_timezone(*, contact_tz: str | None, country: str | None, default: str) -> ZoneInfo:
    """The contact's zone, else the country's, else ``default``; WindowError if even that is unknown."""
    for candidate in (contact_tz, COUNTRY_TIMEZONES.get((country or "").upper())):
        if candidate:
            zone = _zone(candidate.strip())
            if zone is not None:
                return zone
    zone = _zone(default)
    if zone is None:
        raise WindowError(f"unknown time zone {default!r} in sending_window.default_timezone")
    return zone


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def german_holidays(year: int) -> frozenset[date]:
    """Nationwide German public holidays (state holidays are not included)."""
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),  # Neujahr
            easter - timedelta(days=2),  # Karfreitag
            easter + timedelta(days=1),  # Ostermontag
            date(year, 5, 1),  # Tag der Arbeit
            easter + timedelta(days=39),  # Christi Himmelfahrt
            easter + timedelta(days=50),  # Pfingstmontag
            date(year, 10, 3),  # Tag der Deutschen Einheit
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


@dataclass(frozen=True)
class WindowRule:
    """A sending window bound to one recipient: zone, hours, business days, holidays."""

    zone: ZoneInfo
    start_hour: int
    end_hour: int
    business_days_only: bool
    skip_german_holidays: bool

    @classmethod
    def for_recipient(
        cls,
        window: SendingWindow,
        *,
        contact_tz: str | None,
        country: str | None,
        skip_german_holidays: bool,
    ) -> WindowRule:
        """The window of a campaign as it applies to a recipient in ``country`` / ``contact_tz``."""
        if window.end_hour <= window.start_hour:
            raise WindowError(f"sending window {window.start_hour}-{window.end_hour} h is empty")
        zone = recipient_timezone(contact_tz=contact_tz, country=country, default=window.default_timezone)
        german = (country or "").upper() == "DE" or (not country and zone.key == "Europe/Berlin")
        return cls(zone, window.start_hour, window.end_hour, window.business_days_only,
                   skip_german_holidays and german)

    def is_sending_day(self, day: date) -> bool:
        """Whether mail may go out on this local date at all."""
        if self.business_days_only and day.weekday() >= 5:
            return False
        return not (self.skip_german_holidays and day in german_holidays(day.year))

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time(self.start_hour), tzinfo=self.zone)
        end = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
            if self.end_hour == 24
            else datetime.combine(day, time(self.end_hour), tzinfo=self.zone)
        )
        return start, end

    def next_open(self, now: datetime) -> datetime | None:
        """None when ``now`` is inside the window, else the UTC moment it next opens."""
        local = now.astimezone(self.zone)
        for offset in range(_MAX_DAYS_AHEAD):
            day = local.date() + timedelta(days=offset)
            if not self.is_sending_day(day):
                continue
            start, end = self._bounds(day)
            if offset == 0 and start <= local < end:
                return None
            if local < start:
                return start.astimezone(UTC)
        raise WindowError(f"no sending day within {_MAX_DAYS_AHEAD} days of {now.isoformat()}")

    def first_open_at_or_after(self, moment: datetime) -> datetime:
        """``moment`` if it is inside the window, else when the window next opens (UTC)."""
        opening = self.next_open(moment)
        return moment if opening is None else opening
