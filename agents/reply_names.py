"""Who a referral points to: the other person's name, found in the reply text only.

German capitalises every noun, so "a capitalised word" is no name there. Names count when
something marks them:

* a salutation or title before them ("Herrn Peter Krämer", "Frau Sommer", "Mr. Alan Hughes");
* a colleague word right before them ("Kollegen Frank Albrecht", "my colleague David Nguyen");
* the referred address spells them ("peter.kraemer@…" ↔ "Peter Krämer", "s.keller@…" ↔ "Sandra Keller");
* in English only, capitalised words inside a sentence ("speak to Tom Baker"), preferred near
  a referral phrase ("contact", "successor", "name is").

The sender's and our rep's own names are never the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.language import detect_language

_NAME = r"(?:[A-ZÄÖÜ]['’][A-ZÄÖÜ][a-zäöüß]+|[A-ZÄÖÜ][a-zäöüßéèáàçñ]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?)"
_FULL = rf"{_NAME}(?:[ \t]+{_NAME}){{0,2}}"
_SALUTATION = re.compile(
    rf"\b(?i:herrn?|frau|mr|mrs|ms|miss)\.?[ \t]+(?:(?i:dr|prof)\.?[ \t]+)*(?P<name>{_NAME}(?:[ \t]+{_NAME})?)"
)
_COLLEAGUE = re.compile(
    rf"\b(?i:colleague|kolleg(?:e|en|in)|nachfolger(?:in)?|successor|vertretung|ansprechpartner(?:in)?)"
    rf"[ \t]*,?[ \t]*(?:(?:ist|is)[ \t]+)?(?P<name>{_FULL})"
)
_COMPANY = re.compile(r"\b(?:group|ltd|inc|llc|gmbh|ag|kg|plc|corp|co|services)\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CUE = re.compile(
    r"\b(contact|speak|talk|reach|touch|try|ask|forward\w*|pass\w*|cop(?:y|ied)|cc'?d|successor|name is|"
    r"person you want|would be|is now with|handles?|runs?|leads?|manages?|responsible|in charge)\b",
    re.IGNORECASE,
)
_NOT_NAMES = {
    "i",
    "hi",
    "hello",
    "dear",
    "thanks",
    "thank",
    "cheers",
    "best",
    "regards",
    "please",
    "the",
    "our",
    "my",
    "his",
    "her",
    "he",
    "she",
    "they",
    "we",
    "you",
    "head",
    "sales",
    "operations",
    "director",
    "manager",
    "ceo",
    "cto",
    "cfo",
    "vp",
    "it",
    "crm",
    "uk",
    "eu",
    "us",
    "gdpr",
    "team",
    "group",
    "ltd",
    "inc",
    "llc",
    "gmbh",
    "ag",
    "kg",
    "services",
    "service",
    "support",
    "procurement",
    "finance",
    "marketing",
    "ops",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "teams",
    "zoom",
    "calendly",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "tell",
    "not",
    "try",
    "speak",
    "your",
    "their",
    "its",
    "this",
    "that",
    "lyon",
    "kind",
    "many",
    "sent",
    "iphone",
}
_ROLE_LOCALS = {
    "info",
    "sales",
    "procurement",
    "einkauf",
    "service",
    "support",
    "office",
    "kontakt",
    "contact",
    "vertrieb",
    "hello",
    "team",
    "zentrale",
    "buero",
    "mail",
    "post",
    "admin",
    "enquiries",
    "verkauf",
}
_UMLAUTS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))


@dataclass(frozen=True)
class _Candidate:
    name: str
    start: int
    score: int


def _fold(text: str) -> str:
    """Lower-case with umlauts spelled out, as in addresses ("Krämer" → "kraemer")."""
    folded = text.lower().replace("ß", "ss")
    for plain, umlaut in _UMLAUTS:
        folded = folded.replace(umlaut, plain)
    return folded


def _clean(name: str) -> str:
    words = [w for w in name.split() if w.lower().strip(".") not in _NOT_NAMES]
    return " ".join(words)


def _from_address(text: str, address: str) -> _Candidate | None:
    """The name an address spells, where the text writes it ("j.hartley" ↔ "Julia Hartley")."""
    local = address.partition("@")[0].lower()
    parts = [p for p in re.split(r"[._+-]", local) if p]
    if not parts or parts[0] in _ROLE_LOCALS:
        return None
    blanked = _EMAIL.sub(lambda m: " " * len(m.group(0)), text)  # the address itself is no mention
    words = [w for w in re.finditer(r"[A-Za-zÄÖÜäöüß'’-]+", blanked) if len(w.group(0)) >= 3]
    folded = [_fold(w.group(0)) for w in words]
    for index, word in enumerate(words):  # the surname first: it identifies the person
        if folded[index] in _NOT_NAMES:
            continue
        if folded[index] == parts[-1] or (
            len(parts) == 1 and len(folded[index]) >= 4 and local.endswith(folded[index])
        ):
            previous = words[index - 1] if index else None
            if (
                previous is not None
                and previous.group(0)[0].isupper()
                and folded[index - 1] not in _NOT_NAMES
                and folded[index - 1][:1] == local[:1]
                and blanked[previous.end() : word.start()].strip() == ""
            ):
                return _Candidate(f"{previous.group(0)} {word.group(0)}", previous.start(), 6)
            return _Candidate(_titled(word.group(0)), word.start(), 6)
    for index, word in enumerate(words):
        if len(parts) > 1 and folded[index] == parts[0]:
            following = words[index + 1] if index + 1 < len(words) else None
            if following is not None and following.group(0)[0].isupper() and folded[index + 1] not in _NOT_NAMES \
                    and not blanked[word.end() : following.start()].strip() and folded[index + 1][:1] == parts[1][:1]:
                return _Candidate(f"{_titled(word.group(0))} {following.group(0)}", word.start(), 6)
            return _Candidate(_titled(word.group(0)), word.start(), 5)
    return None


def _titled(word: str) -> str:
    return word if word[0].isupper() else word.title()


def _english_candidates(text: str) -> list[_Candidate]:
    found = []
    for match in re.finditer(_FULL, text):
        before = text[: match.start()].rstrip(" \t")
        if not before or before[-1] in ".!?:\n" or before.endswith(("\n", "-")):
            continue  # sentence start: capitalised anyway
        name = _clean(match.group(0))
        if not name or _COMPANY.search(text, match.start(), match.end() + 12):
            continue
        cue = _CUE.search(text[max(0, match.start() - 60) : match.start()])
        found.append(_Candidate(name, match.start(), 2 if cue else 1))
    return found


def referred_name(text: str, *, exclude: set[str], email: str | None = None) -> str | None:
    """The referred person's name in ``text`` (None if none is marked); ``exclude`` holds
    names that are not the answer (sender, rep), compared case-insensitively."""
    excluded = {_fold(name) for name in exclude if name}
    candidates: list[_Candidate] = []
    for pattern, score in ((_SALUTATION, 4), (_COLLEAGUE, 3)):
        for match in pattern.finditer(text):
            name = _clean(match.group("name"))
            if name:
                candidates.append(_Candidate(name, match.start("name"), score))
    if email:
        spelled = _from_address(text, email)
        if spelled is not None:
            candidates.append(spelled)
    if detect_language(text, min_hits=2).language == "en":
        candidates.extend(_english_candidates(text))
    allowed = [c for c in candidates if _fold(c.name) not in excluded and not _is_part_of_excluded(c.name, excluded)]
    if not allowed:
        return None
    best = max(allowed, key=lambda c: (c.score, -c.start))
    return best.name


def _is_part_of_excluded(name: str, excluded: set[str]) -> bool:
    """A single word that is one of the excluded people's first or last name."""
    if " " in name:
        return False
    return any(_fold(name) in full.split() for full in excluded)
