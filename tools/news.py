"""Dated headlines from a news / press page, read deterministically.

A news item is the smallest block (article, list item, row, div) that holds a date — a
``<time datetime>`` or a date written in German or English — and a headline (a heading,
a link text, or a sentence-long text). Dates are returned as ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import lxml.html
from lxml import etree

from tools.extract import absolute_url

_MONTHS = {
    "januar": 1, "jänner": 1, "january": 1, "jan": 1, "februar": 2, "february": 2, "feb": 2, "märz": 3,
    "maerz": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9, "oktober": 10,
    "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12, "december": 12, "dez": 12,
    "dec": 12,
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})\.?\s+(?P<mn>{_MONTH_ALT})\.?\s+(?P<y>\d{{4}})\b", re.IGNORECASE),
    re.compile(rf"\b(?P<mn>{_MONTH_ALT})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", re.IGNORECASE),
)
_LEADING_DATE = re.compile(
    rf"^(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}}|\d{{1,2}}\.?\s+(?:{_MONTH_ALT})\.?\s+\d{{4}}|"
    rf"(?:{_MONTH_ALT})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    r"\s*[-–—:|·]?\s*",
    re.IGNORECASE,
)
_BLOCKS = ("article", "li", "tr", "div", "section", "dd", "p")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5")


@dataclass(frozen=True)
class NewsEntry:
    """A headline with its date (ISO) and link, as published."""

    title: str
    date: str | None
    url: str | None


def parse_date(text: str) -> str | None:
    """The first date written in ``text`` as ``YYYY-MM-DD``, or None."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = _MONTHS.get(groups["mn"].lower()) if groups.get("mn") else int(groups["m"])
            try:
                return date(int(groups["y"]), month or 0, int(groups["d"])).isoformat()
            except ValueError:
                continue
    return None


def _text(element: Any) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def _block_date(block: Any) -> str | None:
    for time_el in block.iter("time"):
        found = parse_date(time_el.get("datetime") or "") or parse_date(_text(time_el))
        if found:
            return found
    return parse_date(_text(block))


def _title(block: Any, base_url: str) -> tuple[str, str | None] | None:
    for tag in (*_HEADINGS, "strong", "b"):
        for heading in block.iter(tag):
            text = _LEADING_DATE.sub("", _text(heading)).strip()
            if len(text) >= 8:
                link = heading.find(".//a")
                href = absolute_url(link.get("href") or "", base_url) if link is not None else None
                return text, href
    for link in block.iter("a"):
        text = _text(link)
        if len(text) >= 12 and not parse_date(text):
            return text, absolute_url(link.get("href") or "", base_url)
    chunks = [re.sub(r"\s+", " ", str(t)).strip() for t in block.itertext()]
    for chunk in chunks:
        if len(chunk) >= 20 and not parse_date(chunk):
            return chunk[:200], None
    return None


def extract_news(html: str, base_url: str, *, limit: int = 10) -> list[NewsEntry]:
    """Dated headlines on the page, newest first (at most ``limit``)."""
    try:
        root = lxml.html.document_fromstring(html) if html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return []
    candidates: dict[Any, NewsEntry] = {}
    for block in root.iter(*_BLOCKS):
        if len(_text(block)) > 1500:
            continue
        when = _block_date(block)
        title = _title(block, base_url) if when else None
        if when and title:
            headline = _LEADING_DATE.sub("", title[0]).strip() or title[0]
            candidates[block] = NewsEntry(title=headline, date=when, url=title[1])
    for heading in root.iter(*_HEADINGS):  # "<h2>21 October 2026: Headline</h2>" without a container
        text = _text(heading)
        when = parse_date(text)
        headline = _LEADING_DATE.sub("", text).strip()
        if when and headline != text and len(headline) >= 8 and heading not in candidates:
            link = heading.find(".//a")
            url = absolute_url(link.get("href") or "", base_url) if link is not None else None
            candidates[heading] = NewsEntry(title=headline, date=when, url=url)
    entries: list[NewsEntry] = []
    for block, entry in candidates.items():
        if any(other is not block and block in other.iterancestors() for other in candidates):
            continue
        if all(entry.title != known.title for known in entries):
            entries.append(entry)
    entries.sort(key=lambda e: e.date or "", reverse=True)
    return entries[:limit]
