"""What the guardrails look for: phrase lists and patterns, and how a follow-up refers back.

Kept apart from the checks so campaign authors and reviewers can read (and extend) the
lists in one place; ``agents.writer_template`` uses the same follow-up rule.
"""

from __future__ import annotations

import re

from agents.text_signals import squash
from agents.writer_types import Language, PreviousMail

REPLY_PREFIX = re.compile(r"^\s*((re|aw|fwd?|wg|fw|sv|antw|antwort)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
PLACEHOLDERS = [
    (re.compile(r"\{\{[^{}\n]*\}\}"), "{{…}}"),
    (re.compile(r"\{[^{}\n]{1,40}\}"), "{…}"),
    (re.compile(r"\[[A-ZÄÖÜ][\wäöüß .-]{1,30}\]"), "[…]"),
    (re.compile(r"<[A-Z][A-Z_ ]{1,30}>"), "<…>"),
    (re.compile(r"\blorem\b", re.IGNORECASE), "Lorem"),
    (re.compile(r"\bX{3,}\b"), "XXX"),
    (re.compile(r"\b(TODO|TBD|FIXME)\b"), "TODO"),
]
SPAM_PHRASES: dict[Language, tuple[str, ...]] = {
    "en": (
        "100% free",
        "act now",
        "limited time",
        "risk-free",
        "risk free",
        "click here",
        "buy now",
        "order now",
        "you have been selected",
        "you've been selected",
        "guaranteed",
        "cash bonus",
        "earn money",
        "make money",
        "double your",
        "once in a lifetime",
        "best price",
        "no cost",
        "100% satisfied",
        "exclusive deal",
        "special promotion",
        "winner",
        "urgent",
        "free gift",
    ),
    "de": (
        "kostenlos",
        "kostenlose",
        "kostenlosen",
        "kostenloses",
        "gratis",
        "garantiert",
        "gewinn",
        "gewinner",
        "gewinnspiel",
        "gewonnen",
        "jetzt zugreifen",
        "nur heute",
        "sofort handeln",
        "einmalige gelegenheit",
        "risikofrei",
        "geld verdienen",
        "bestpreis",
        "sonderangebot",
        "klicken sie hier",
        "jetzt kaufen",
        "limitiertes angebot",
        "100% kostenlos",
        "dringend",
    ),
}
INFORMAL_GERMAN = re.compile(
    r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines|euch|euer|eure|euren|eurem|eurer)\b",
    re.IGNORECASE,
)
FOLLOW_UP_MARKERS: dict[Language, tuple[str, ...]] = {
    "de": (
        "schrieb ich ihnen",
        "hatte ich ihnen",
        "meine e-mail",
        "meiner e-mail",
        "meine nachricht",
        "meiner nachricht",
        "meine letzte",
        "meiner letzten",
        "vor einigen tagen",
        "vor kurzem schrieb",
        "letzte woche",
        "ich knüpfe",
        "anknüpfend",
        "nachhaken",
        "noch einmal melden",
        "erneut",
    ),
    "en": (
        "my email",
        "my e-mail",
        "my last",
        "my previous",
        "my note",
        "i wrote",
        "following up",
        "follow up on",
        "a few days ago",
        "last week",
        "circling back",
        "i reached out",
    ),
}


def thread_subject(previous: tuple[PreviousMail, ...] | list[PreviousMail]) -> str:
    """The subject of the thread's first mail, without reply prefixes."""
    return REPLY_PREFIX.sub("", previous[0].subject).strip() if previous else ""


def refers_to_previous(
    subject: str, message: str, previous: tuple[PreviousMail, ...] | list[PreviousMail], language: Language
) -> str | None:
    """How a follow-up refers to the earlier mail (a short reason), or None if it does not."""
    first = squash(thread_subject(previous))
    text = squash(message)
    if first and first in text:
        return "names the earlier subject"
    if REPLY_PREFIX.match(subject) and squash(REPLY_PREFIX.sub("", subject)) == first:
        return "replies in the earlier thread"
    if any(marker in text for marker in FOLLOW_UP_MARKERS[language]):
        return "refers to the earlier mail"
    return None
