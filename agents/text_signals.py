"""Deterministic text signals the guardrails use: specific tokens and the corpus they must come from.

"Specific" means something a writer could invent: numbers, dates, URLs, email addresses,
quoted text, and proper names. Proper names are found differently per language because
German capitalises every noun:

* English: a capitalised word that does not start a sentence (minus a short allow-list).
* both: acronyms (``ACME``), inner capitals (``LinkedIn``), the word after Frau/Herr/Mr/Ms/Dr,
  and capitalised words right before a legal form (``Müller Maschinenbau GmbH``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agents.writer_types import Language

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"“”„]+", re.IGNORECASE)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"\d+")
_TOKEN = re.compile(r"[^\W\d_][\w&'’-]*")
_WORDS = re.compile(r"\w+(?:[-'’]\w+)*")
_QUOTES = re.compile(r"„([^“”\n]{3,300})[“”]|“([^”\n]{3,300})”|\"([^\"\n]{3,300})\"|»([^«\n]{3,300})«")
_SENTENCE_END = set(".!?:;")
_OPENERS = "\"'„“‚‘»«([{-–—*•"


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set (for word lists in code)."""
    return frozenset(text.split())


LEGAL_FORMS = frozenset(
    {"gmbh", "ag", "se", "kg", "kgaa", "ohg", "ug", "mbh", "e.v.", "inc", "inc.", "ltd", "ltd.", "llc", "plc"}
)
HONORIFICS = frozenset({"frau", "herr", "herrn", "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "dr", "dr."})
ACRONYMS = wordset(
    """CEO CTO CFO COO CMO CIO CSO CRM ERP B2B B2C IT KI AI HR PDF FAQ EU DACH USA UK OK PS MFG CSV API
    SAAS IOT ROI KPI KPIS SEO SMS URL GMBH AG SE KG UG DSGVO GDPR UWG HGB USP Q1 Q2 Q3 Q4 ESG"""
)
_ENGLISH_ALLOWED_CAPITALS = wordset(
    """I I'm I'd I've I'll Mr Ms Mrs Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    January February March April May June July August September October November December
    Dear Hello Hi Best Kind Regards Thanks P.S"""
)
_GENERIC_CLAIM_WORDS = wordset(
    """website webseite homepage seite unternehmen firma meldung neuigkeiten news artikel beitrag
    pressemitteilung presse blog i you your we our congratulations glückwunsch"""
)


GERMAN_POLITE = frozenset({"sie", "ihr", "ihre", "ihren", "ihrem", "ihrer", "ihres", "ihnen", "frau", "herr", "herrn"})


def words(text: str) -> list[str]:
    """Word tokens (hyphenated words count once)."""
    return _WORDS.findall(text)


def digit_runs(text: str) -> set[str]:
    """Every run of digits, leading zeros dropped ("03" and "3" are the same number)."""
    return {run.lstrip("0") or "0" for run in _DIGITS.findall(text)}


def urls(text: str) -> list[str]:
    """URLs in the text, trailing punctuation removed."""
    return [u.rstrip(".,;:!?)") for u in URL_RE.findall(text)]


def without_links(text: str) -> str:
    """The text with URLs and email addresses blanked (their digits are checked as a whole)."""
    return EMAIL_RE.sub(" ", URL_RE.sub(" ", text))


def quoted_spans(text: str) -> list[str]:
    """Text inside „…“, “…”, "…" or »…« quotes."""
    return [next(g for g in m.groups() if g) for m in _QUOTES.finditer(text)]


def squash(text: str) -> str:
    """Lowercase with whitespace collapsed, for verbatim comparisons."""
    return re.sub(r"\s+", " ", text).strip().lower()


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start]
    stripped = before.rstrip(" \t" + _OPENERS)
    if not stripped:
        return True
    if "\n" in before[len(stripped) :]:
        return True
    return stripped[-1] in _SENTENCE_END


def _is_special(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return token.upper() not in ACRONYMS
    return bool(re.search(r"[a-zäöüß][A-ZÄÖÜ]", token)) and token.upper() not in ACRONYMS


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    sentence_start: bool

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0), m.start(), _starts_sentence(text, m.start())) for m in _TOKEN.finditer(text)]


def name_candidates(text: str, language: Language) -> list[str]:
    """Words that look like proper names (see the module docstring), in order, deduplicated."""
    tokens = _tokens(text)
    found: list[str] = []
    for index, token in enumerate(tokens):
        word = token.text.strip("'’-")
        if not word:
            continue
        lower = word.lower()
        previous = tokens[index - 1].text.lower() if index else ""
        after_honorific = token.capitalised and previous in HONORIFICS and lower not in GERMAN_POLITE
        english_name = (
            language == "en"
            and token.capitalised
            and not token.sentence_start
            and word not in _ENGLISH_ALLOWED_CAPITALS
            and lower not in LEGAL_FORMS
        )
        if _is_special(word) or after_honorific or english_name:
            found.append(word)
        if lower in LEGAL_FORMS:
            back = index - 1
            while back >= 0 and tokens[back].capitalised and tokens[back].text.lower() not in GERMAN_POLITE:
                found.append(tokens[back].text)
                back -= 1
    return list(dict.fromkeys(found))


def claim_specifics(text: str) -> tuple[set[str], list[str]]:
    """The checkable parts of a claim: its numbers and its capitalised words (not the first word).

    Polite pronouns and generic source words ("Website", "Meldung") are left out: they
    say where something was read, not what.
    """
    tokens = _tokens(without_links(text))
    capitalised = [
        t.text
        for i, t in enumerate(tokens)
        if i > 0 and t.capitalised and t.text.lower() not in GERMAN_POLITE | _GENERIC_CLAIM_WORDS
    ]
    return digit_runs(without_links(text)), list(dict.fromkeys(capitalised))


@dataclass
class Corpus:
    """Everything a mail may legitimately mention: facts, campaign, contact, earlier mails."""

    texts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        joined = "\n".join(self.texts)
        self._squashed = squash(joined)
        self._words = {w.lower() for w in words(joined)}
        self._digits = digit_runs(joined)
        self._urls = {u.lower().rstrip("/") for u in urls(joined)}

    @classmethod
    def of(cls, parts: Iterable[str | None]) -> Corpus:
        """Build from any strings (None and empty skipped)."""
        return cls([p for p in parts if p])

    def has_number(self, run: str) -> bool:
        """A digit run (leading zeros ignored) appears somewhere in the sources."""
        return run in self._digits

    def has_word(self, word: str) -> bool:
        """A word appears as a word, or inside a longer word/phrase of the sources."""
        lower = word.lower()
        return lower in self._words or lower in self._squashed

    def has_phrase(self, phrase: str) -> bool:
        """A phrase appears verbatim (case and whitespace aside)."""
        return squash(phrase) in self._squashed

    def has_url(self, url: str) -> bool:
        """A URL (or one it is a prefix of) appears in the sources."""
        wanted = url.lower().rstrip("/")
        return any(known == wanted or known.startswith(wanted) for known in self._urls) or (wanted in self._squashed)
