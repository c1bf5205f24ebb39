"""Which pages of a company site matter for research, recognised by URL path and link text.

German and English: legal notice (Impressum), team / management, about, contact, news /
press. ``rank_links`` orders a page's links by kind so the crawl budget is spent on the
pages that carry the facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from tools.extract import Link


class PageKind(StrEnum):
    """What a page is about; the order of the members is the visiting priority."""

    home = "home"
    impressum = "impressum"
    team = "team"
    about = "about"
    contact = "contact"
    news = "news"
    other = "other"


_RULES: tuple[tuple[PageKind, re.Pattern[str]], ...] = (
    (
        PageKind.impressum,
        re.compile(r"impressum|imprint|legal[-_ ]?notice|legal|anbieterkennzeichnung|rechtliche[-_ ]hinweise|"
                   r"mentions[-_]legales|colofon|company[-_ ]information|company[-_ ]details|corporate[-_ ]information",
                   re.IGNORECASE),
    ),
    (
        PageKind.team,
        re.compile(r"\bteam\b|unser[-_ ]team|our[-_ ]team|management|geschaeftsfuehrung|geschäftsführung|"
                   r"geschaeftsleitung|geschäftsleitung|leadership|vorstand|ansprechpartner|people|mitarbeiter|"
                   r"fuehrung|führung|who[-_ ]we[-_ ]are", re.IGNORECASE),
    ),
    (
        PageKind.about,
        re.compile(r"ueber[-_ ]?uns|über[-_ ]?uns|uber[-_ ]?uns|about|unternehmen|company|firma|profil|portrait|"
                   r"portr[aä]t|wir\b|geschichte|history", re.IGNORECASE),
    ),
    (PageKind.contact, re.compile(r"kontakt|contact|anfahrt|standort", re.IGNORECASE)),
    (
        PageKind.news,
        re.compile(r"news|aktuelles|aktuell|neuigkeiten|presse|press|newsroom|pressemitteilung|meldungen|"
                   r"blog|media|medien", re.IGNORECASE),
    ),
)
_SKIP = re.compile(
    r"datenschutz|privacy|cookie|agb|terms|login|warenkorb|cart|karriere|career|jobs|stellen|download|\.pdf$|"
    r"\.(?:jpe?g|png|gif|svg|zip|docx?|xlsx?)$",
    re.IGNORECASE,
)
PRIORITY = [PageKind.impressum, PageKind.team, PageKind.about, PageKind.contact, PageKind.news]


def classify_link(link: Link) -> PageKind:
    """The kind of page a link leads to (``other`` when unknown)."""
    parts = urlsplit(link.url)
    path = unquote(parts.path).lower()
    if path in {"", "/"} and not parts.query:
        return PageKind.home
    text = link.text.lower()
    if _SKIP.search(path) or _SKIP.search(text):
        return PageKind.other
    for kind, pattern in _RULES:
        if pattern.search(text) or pattern.search(path.rsplit("/", 2)[-1] or path) or pattern.search(path):
            return kind
    return PageKind.other


def rank_links(links: Iterable[Link], *, wanted: Iterable[PageKind] = PRIORITY, per_kind: int = 1) -> list[Link]:
    """Links of the wanted kinds, at most ``per_kind`` each, in priority order."""
    order = list(wanted)
    buckets: dict[PageKind, list[Link]] = {kind: [] for kind in order}
    for link in links:
        kind = classify_link(link)
        if kind in buckets and len(buckets[kind]) < per_kind and link.url not in {x.url for x in buckets[kind]}:
            buckets[kind].append(link)
    return [link for kind in order for link in buckets[kind]]
