"""Date expressions in English and German replies, resolved against the day the mail was sent.

Finds absolute dates ("15.01.2027", "3. Februar", "January 6th, 2026", "24/11/2025"),
weekdays ("Donnerstag", "next Wednesday", "nächste Woche Dienstag"), relative days
("morgen", "tomorrow"), spans ("in drei Monaten", "for the next four weeks", "in einem
halben Jahr"), months with modifiers ("Ende August", "early April", "im Jänner"),
quarters ("Q3 2026", "im dritten Quartal"), seasons ("nach den Sommerferien", "next
spring"), calendar weeks ("KW 34") and times ("um 14 Uhr", "at 2pm", "10:30").

Every mention is a range ``first``–``last`` (a day is a range of one) so callers can say
"until X" (the day after ``last``) or "from X" (``first``). Nothing here knows labels.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

Precision = Literal["day", "week", "month", "quarter", "season", "year"]


def _numbered(words: str, *, start: int = 1) -> dict[str, int]:
    """ "a b|c d" → {"a": 1, "b": 2, "c": 2, "d": 3}: "|" gives one number several spellings."""
    table: dict[str, int] = {}
    for offset, spellings in enumerate(words.split()):
        for spelling in spellings.split("|"):
            table[spelling] = start + offset
    return table


_MONTHS = {
    **_numbered("january february march april may june july august september october november december"),
    **_numbered(
        "januar|jänner|jaenner februar|feber märz|maerz april mai juni juli august september oktober november dezember"
    ),
}
_ABBREVIATIONS = _numbered("jan feb mar|mär apr may jun jul aug sep|sept oct|okt nov dec|dez")
_WEEKDAYS = {
    **_numbered("monday tuesday wednesday thursday friday saturday sunday", start=0),
    **_numbered("montag dienstag mittwoch donnerstag freitag samstag sonntag", start=0),
}
_NUMBERS = {
    **_numbered("a|an|one two three four five six seven eight nine ten eleven twelve"),
    **_numbered("ein|eine|einem|einen|einer zwei drei vier fünf sechs sieben acht neun zehn elf zwölf"),
}
_ORDINALS = {**_numbered("first second third fourth"), **_numbered("erst zweit dritt viert")}
_SEASONS: dict[str, tuple[int, int]] = {  # first month, last month (14 = February of the next year)
    **dict.fromkeys(("spring", "frühjahr", "frühling"), (3, 5)),
    **dict.fromkeys(("summer", "sommer", "sommerferien", "sommerpause"), (6, 8)),
    **dict.fromkeys(("autumn", "fall", "herbst"), (9, 11)),
    "winter": (12, 14),
}


def _alternation(words: list[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_MONTH_ANY = _alternation([*_MONTHS, *_ABBREVIATIONS])
_MONTH_FULL = _alternation(list(_MONTHS))
_WEEKDAY = _alternation(list(_WEEKDAYS))
_NUMBER = _alternation(list(_NUMBERS))
_UNIT = r"days?|weeks?|months?|years?|tag(?:e|en)?|wochen?|monat(?:e|en)?|jahr(?:e|en)?"
_MODIFIER = r"anfang|mitte|ende|early|mid|late|end\s+of(?:\s+the)?|beginning\s+of(?:\s+the)?|the\s+end\s+of"
_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class DateMention:
    """A date expression found in a text: where it is and which days it means."""

    start: int
    end: int
    first: date
    last: date
    precision: Precision
    text: str
    time: str | None = None
    modifier: str | None = None  # "end", "start", "mid" when the text said so
    span: bool = False  # "for the next four weeks": ``first`` is the end of the span


def _month_last(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's end)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _year_for(month: int, day: int, today: date) -> int:
    """The year of a day-month without a year: this year, unless that was over two weeks ago."""
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return today.year + 1
    return today.year if candidate >= today - timedelta(days=14) else today.year + 1


def _modifier(word: str | None) -> str | None:
    if not word:
        return None
    word = word.lower()
    if word.startswith(("ende", "end", "late", "the end")):
        return "end"
    if word.startswith(("mitte", "mid")):
        return "mid"
    return "start"


def _month_range(year: int, month: int, modifier: str | None) -> tuple[date, date]:
    last = _month_last(year, month)
    if modifier == "end":
        return date(year, month, 25), last
    if modifier == "mid":
        return date(year, month, 15), last
    return date(year, month, 1), last


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBERS[token.lower()]


class _Finder:
    """Collects mentions from many patterns; earlier patterns win where spans overlap."""

    def __init__(self, text: str, today: date) -> None:
        self.text = text
        self.today = today
        self.found: list[DateMention] = []

    def add(
        self,
        match: re.Match[str],
        first: date,
        last: date,
        precision: Precision,
        *,
        modifier: str | None = None,
        span: bool = False,
    ) -> None:
        start, end = match.span()
        if not any(start < m.end and m.start < end for m in self.found):
            self.found.append(
                DateMention(start, end, first, last, precision, match.group(0), modifier=modifier, span=span)
            )

    def scan(self, pattern: str, handler: Callable[[re.Match[str]], None]) -> None:
        for match in re.finditer(pattern, self.text, _FLAGS):
            try:
                handler(match)
            except ValueError:  # 31.02., week 54: not a date
                continue


def _absolute(f: _Finder) -> None:
    today = f.today

    def day(match: re.Match[str], d: int, m: int, y: str | None) -> None:
        year = (int(y) + 2000 if len(y) == 2 else int(y)) if y else _year_for(m, d, today)
        value = date(year, m, d)
        f.add(match, value, value, "day")

    f.scan(r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: day(m, int(m[3]), int(m[2]), m[1]))
    f.scan(r"\b(\d{1,2})\.\s?(\d{1,2})\.(?:(\d{4}|\d{2})(?!\d)|(?![\d]))", lambda m: day(m, int(m[1]), int(m[2]), m[3]))

    def slash(m: re.Match[str]) -> None:
        a, b = int(m[1]), int(m[2])
        day(m, *((b, a) if b > 12 >= a else (a, b)), m[3])

    f.scan(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b", slash)

    def month_number(name: str) -> int:
        key = name.lower().rstrip(".")
        return _MONTHS.get(key) or _ABBREVIATIONS[key]

    f.scan(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s*(?:of\s+)?({_MONTH_ANY})\b\.?(?:,?\s*(\d{{4}})\b)?",
        lambda m: day(m, int(m[1]), month_number(m[2]), m[3]),
    )
    f.scan(
        rf"\b({_MONTH_ANY})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:uhr|:|h\b))(?:,?\s*(\d{{4}})\b)?",
        lambda m: day(m, int(m[2]), month_number(m[1]), m[3]),
    )


def _calendar_week(f: _Finder) -> None:
    def week(m: re.Match[str]) -> None:
        number = int(m[1])
        year = int(m[2]) if m[2] else f.today.year
        monday = date.fromisocalendar(year, number, 1)
        if not m[2] and monday + timedelta(days=6) < f.today:
            monday = date.fromisocalendar(year + 1, number, 1)
        f.add(m, monday, monday + timedelta(days=6), "week")

    f.scan(r"\b(?:kw|kalenderwoche|calendar\s+week|cw)\s*(\d{1,2})\b(?:\s*[/ ]\s*(\d{4})\b)?", week)


def _quarters(f: _Finder) -> None:
    def quarter(m: re.Match[str]) -> None:
        number = int(m[1] or m[2]) if (m[1] or m[2]) else _ORDINALS[(m[3] or m[4]).lower()]
        year = int(m[5]) if m[5] else f.today.year
        if not m[5] and number < (f.today.month - 1) // 3 + 1:
            year += 1
        first = date(year, 3 * number - 2, 1)
        f.add(m, first, _month_last(year, 3 * number), "quarter")

    f.scan(
        r"\b(?:q([1-4])|([1-4])\.\s*quartal|(erst|zweit|dritt|viert)e[nm]?\s+quartal|"
        r"(first|second|third|fourth)\s+quarter)\b(?:\s*(?:of\s+)?(\d{4})\b)?",
        quarter,
    )

    def next_quarter(m: re.Match[str]) -> None:
        current = (f.today.month - 1) // 3
        first = add_months(date(f.today.year, 3 * current + 1, 1), 3)
        f.add(m, first, _month_last(first.year, first.month + 2), "quarter")

    f.scan(r"\b(?:next|coming)\s+quarter\b|\b(?:nächste|kommende)[sn]?\s+quartal\b", next_quarter)


def _years(f: _Finder) -> None:
    today = f.today

    def year(m: re.Match[str], number: int) -> None:
        mod = _modifier(m[1])
        first = {"end": date(number, 10, 1), "mid": date(number, 7, 1)}.get(mod or "", date(number, 1, 1))
        f.add(m, first, date(number, 12, 31), "year", modifier=mod)

    f.scan(rf"\b({_MODIFIER})\s*-?\s*(\d{{4}})\b", lambda m: year(m, int(m[2])))

    f.scan(
        rf"\b(?:({_MODIFIER})\s*-?\s*)?(?:(?:des|the)\s+)?(?:next\s+year|nächste[ns]?\s+jahr(?:es|s)?|"
        r"kommende[ns]?\s+jahr(?:es|s)?|(?:the\s+)?new\s+year|neue[nm]?\s+jahr)\b",
        lambda m: year(m, today.year + 1),
    )

    def year_end(m: re.Match[str]) -> None:
        f.add(m, date(today.year, 12, 1), date(today.year, 12, 31), "month", modifier="end")

    f.scan(r"\b(?:the\s+)?end\s+of\s+(?:the|this)\s+year\b|\bende\s+(?:des|dieses)\s+jahres\b|\bjahresende\b", year_end)


def _months(f: _Finder) -> None:
    def month(m: re.Match[str]) -> None:
        name = m[2]
        if name.lower() in {"may", "march"} and name[0].islower():
            return  # the verbs "may" and "march"
        number = _MONTHS[name.lower()]
        year = int(m[3]) if m[3] else (f.today.year if number >= f.today.month else f.today.year + 1)
        mod = _modifier(m[1])
        first, last = _month_range(year, number, mod)
        f.add(m, first, last, "month", modifier=mod)

    f.scan(rf"\b(?:({_MODIFIER})\s*-?\s*)?({_MONTH_FULL})\b(?:\s+(\d{{4}})\b)?", month)

    def next_month(m: re.Match[str]) -> None:
        first = add_months(date(f.today.year, f.today.month, 1), 1)
        f.add(m, first, _month_last(first.year, first.month), "month")

    f.scan(r"\b(?:next|coming)\s+month\b|\b(?:nächste|kommende)[nm]\s+monat\b", next_month)


def _seasons(f: _Finder) -> None:
    today = f.today

    def season(m: re.Match[str]) -> None:
        qualifier = (m[1] or "").lower()
        name = m[2].lower()
        if name == "fall" and not qualifier:
            return  # "fall behind"
        if qualifier.startswith(("last", "letzt", "vergangen")):
            return  # in the past: no target
        first_month, last_month = _SEASONS[name]
        year = today.year
        last = _month_last(year + (last_month - 1) // 12, (last_month - 1) % 12 + 1)
        if last < today or (
            qualifier.startswith(("next", "nächst", "kommend")) and date(year, first_month, 1) <= today
        ):
            year += 1
            last = _month_last(year + (last_month - 1) // 12, (last_month - 1) % 12 + 1)
        f.add(m, date(year, first_month, 1), last, "season")

    f.scan(
        r"\b(?:(next|this|last|coming|nächste[nmr]?|kommende[nmr]?|diese[nmr]?|letzte[nmr]?|"
        r"vergangene[nmr]?|the)\s+)?(spring|summer|autumn|fall|winter|frühjahr|frühling|sommerferien|"
        r"sommerpause|sommer|herbst)\b",
        season,
    )


def _weeks_and_days(f: _Finder) -> None:
    today = f.today
    monday_next = today + timedelta(days=7 - today.weekday())

    def weekday_in_next_week(m: re.Match[str]) -> None:
        value = monday_next + timedelta(days=_WEEKDAYS[(m[1] or m[2]).lower()])
        f.add(m, value, value, "day")

    f.scan(
        rf"\b(?:next|nächste)\s+(?:week|woche),?\s+(?:on\s+|am\s+)?({_WEEKDAY})\b|"
        rf"\b({_WEEKDAY}),?\s+(?:next|nächste|kommende)\s+(?:week|woche)\b",
        weekday_in_next_week,
    )
    f.scan(
        r"\b(?:next|coming)\s+week\b|\b(?:nächste|kommende)[rn]?\s+woche\b",
        lambda m: f.add(m, monday_next, monday_next + timedelta(days=6), "week"),
    )

    def relative_day(m: re.Match[str]) -> None:
        word = m[0].lower()
        if word == "morgen" and re.search(r"guten\s*$", f.text[: m.start()], _FLAGS):
            return  # "Guten Morgen"
        offset = 2 if word in {"übermorgen", "day after tomorrow"} else 1 if word in {"morgen", "tomorrow"} else 0
        value = today + timedelta(days=offset)
        f.add(m, value, value, "day")

    f.scan(r"\bday\s+after\s+tomorrow\b|\bübermorgen\b|\btomorrow\b|\bmorgen\b|\btoday\b|\bheute\b", relative_day)

    def weekday(m: re.Match[str]) -> None:
        if (m[1] or "").lower() in {"every", "jeden"}:
            return
        target = _WEEKDAYS[m[2].lower()]
        value = today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
        f.add(m, value, value, "day")

    f.scan(rf"\b(?:(next|this|coming|on|every|jeden|am|nächsten|kommenden|diesen)\s+)?({_WEEKDAY})s?\b", weekday)


def _spans(f: _Finder) -> None:
    today = f.today

    def span(m: re.Match[str]) -> None:
        half = bool(m["half_a"] or m["half"])
        if not (m["count"] or half):
            return  # "for the next few weeks": no number, no date
        unit = m["unit"].lower()
        count = _number(m["count"]) if m["count"] else 1
        if half:
            count, unit = count * 6, "month"
        if unit.startswith(("day", "tag")):
            value = today + timedelta(days=count)
        elif unit.startswith(("week", "woche")):
            value = today + timedelta(weeks=count)
        elif unit.startswith(("month", "monat")):
            value = add_months(today, count)
        else:
            value = add_months(today, 12 * count)
        f.add(m, value, value, "day", span=True)

    f.scan(
        rf"\b(?:in|within|for\s+the\s+next|for|für\s+die\s+nächsten|in\s+den\s+nächsten|the\s+next|"
        rf"innerhalb\s+von)\s+(?:(?:about|ca\.?|etwa)\s+)?(?P<half_a>half\s+(?:a|an)\s+)?"
        rf"(?:(?P<count>{_NUMBER}|\d{{1,2}})\s+)?(?P<half>halbe[nm]?\s+|half\s+)?(?P<unit>{_UNIT})\b",
        span,
    )


_TIME = re.compile(
    r"(?<![\d.:])(\d{1,2})(?:[:.](\d{2}))?\s*(uhr\b|h\b|am\b|pm\b|a\.m\.|p\.m\.)|(?<![\d.:/])(\d{1,2}):(\d{2})(?![\d:])",
    _FLAGS,
)


def _times(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "HH:MM") of clock times."""
    found = []
    for match in _TIME.finditer(text):
        if match[4] is not None:
            hour, minute, suffix = int(match[4]), int(match[5]), ""
        else:
            hour, minute, suffix = int(match[1]), int(match[2] or 0), match[3].lower()
            if suffix.startswith("h") and match[2] is None:
                continue  # "24h", "48 h": durations
        if suffix.startswith("p") and hour < 12:
            hour += 12
        elif suffix.startswith("a") and hour == 12:
            hour = 0
        if hour <= 23 and minute <= 59:
            found.append((match.start(), match.end(), f"{hour:02d}:{minute:02d}"))
    return found


def _attach_times(text: str, mentions: list[DateMention]) -> list[DateMention]:
    times = [t for t in _times(text) if not any(m.start <= t[0] < m.end for m in mentions)]
    result = []
    for mention in mentions:
        chosen = None
        if mention.precision == "day" and not mention.span:
            for start, end, value in times:
                after = 0 <= start - mention.end <= 25 and not re.search(r"[.!?\n]", text[mention.end : start])
                before = 0 <= mention.start - end <= 15 and not re.search(r"[.!?\n]", text[end : mention.start])
                if after or before:
                    chosen = value
                    break
        result.append(replace(mention, time=chosen) if chosen else mention)
    return result


def find_dates(text: str, *, today: date) -> list[DateMention]:
    """Every date expression in ``text``, in reading order, resolved relative to ``today``."""
    finder = _Finder(text, today)
    for collect in (_absolute, _calendar_week, _quarters, _years, _weeks_and_days, _months, _seasons, _spans):
        collect(finder)
    mentions = sorted(finder.found, key=lambda m: m.start)
    merged: list[DateMention] = []
    for mention in mentions:
        # "Montag, 12.5." / "Monday 18 August": the weekday belongs to the date after it.
        if (
            merged
            and merged[-1].precision == "day"
            and mention.precision == "day"
            and re.fullmatch(r"[\s,]*(?:den\s+|the\s+)?", text[merged[-1].end : mention.start], _FLAGS)
            and re.fullmatch(rf"(?:\w+\s+)?(?:{_WEEKDAY})", merged[-1].text, _FLAGS)
        ):
            merged[-1] = replace(mention, start=merged[-1].start, text=text[merged[-1].start : mention.end])
            continue
        merged.append(mention)
    return _attach_times(text, merged)
