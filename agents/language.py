"""Which language a lead is written to, how the mail greets and closes, and a small detector.

Rules (first match wins), unless the campaign fixes ``language: de|en``:

1. the contact's own language (``de``/``en``);
2. the contact's, else the company's, country is DE, AT or LI → German;
3. the main language of the company's website (``de``/``en``) — this decides for
   Switzerland and everyone else;
4. country CH → German;
5. otherwise English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agents.campaign import CampaignSpec
from agents.profile import CompanyProfile
from agents.text_signals import wordset
from agents.writer_types import Language, Recipient

GERMAN_COUNTRIES = frozenset({"DE", "AT", "LI"})

Gender = Literal["female", "male", "unknown"]

_FEMALE = {"frau", "fr", "ms", "mrs", "miss", "female", "f", "w", "weiblich"}
_MALE = {"herr", "hr", "mr", "male", "m", "männlich"}

# Function words only; words shared by both languages (in, an, am, so, will, also) are left out.
GERMAN_STOPWORDS = wordset(
    """der die das den dem des und ist nicht ich sie wir es ein eine einen einem einer eines mit auf
    für von zu im auch sich als wie bei nach aus noch nur über oder aber wenn dass uns unser unsere
    unseren ihre ihnen ihr ihren ihrem haben hat wird werden sind kann können gerne gern sehr schon
    mehr diese dieser dieses zum zur vom einige würde würden ob wo gibt vielen dank freundlichen grüßen
    mich mir sein seine um durch"""
)
ENGLISH_STOPWORDS = wordset(
    """the and is are to of a you your we our for with on that this it be have has would can could
    not at from by or but if about more some very just like me my they their them been was were
    which what when how there here any into than then these those do does did should may might
    best regards dear thanks thank"""
)

_WORD = re.compile(r"[a-zäöüß]+")


@dataclass(frozen=True)
class LanguageGuess:
    """Outcome of ``detect_language``: a language, or None when too short or too mixed."""

    language: Language | None
    german_hits: int
    english_hits: int
    words: int


@dataclass(frozen=True)
class LanguageChoice:
    """The language of a lead's mails and the rule that chose it."""

    language: Language
    reason: str


def detect_language(text: str, *, min_hits: int = 4) -> LanguageGuess:
    """Guess de/en from stopword counts; needs ``min_hits`` stopwords and a 2:1 majority."""
    words = _WORD.findall(text.lower())
    de = sum(1 for w in words if w in GERMAN_STOPWORDS)
    en = sum(1 for w in words if w in ENGLISH_STOPWORDS)
    language: Language | None = None
    if de + en >= min_hits:
        if de >= 2 * en:
            language = "de"
        elif en >= 2 * de:
            language = "en"
    return LanguageGuess(language=language, german_hits=de, english_hits=en, words=len(words))


def _lang(value: str | None) -> Language | None:
    if not value:
        return None
    head = value.strip().lower()[:2]
    if head == "de":
        return "de"
    if head == "en":
        return "en"
    return None


def choose_language(spec: CampaignSpec, recipient: Recipient, profile: CompanyProfile) -> LanguageChoice:
    """The language to write this lead in (see the module docstring for the rules)."""
    if spec.language != "auto":
        return LanguageChoice(spec.language, f"campaign language is {spec.language}")
    contact_lang = _lang(recipient.language)
    if contact_lang:
        return LanguageChoice(contact_lang, f"contact language is {contact_lang}")
    country = (recipient.country or profile.country or "").upper() or None
    if country in GERMAN_COUNTRIES:
        return LanguageChoice("de", f"country {country}")
    site = _lang(profile.language)
    if site:
        return LanguageChoice(site, f"website language is {site}")
    if country == "CH":
        return LanguageChoice("de", "country CH")
    return LanguageChoice("en", "no German signal (default English)")


def gender_of(salutation: str | None) -> Gender:
    """Map a stored salutation (Frau/Herr/Ms/Mr/…) to a grammatical gender for the greeting."""
    if not salutation:
        return "unknown"
    key = salutation.strip().lower().rstrip(".")
    if key in _FEMALE:
        return "female"
    if key in _MALE:
        return "male"
    return "unknown"


def salutation_line(
    language: Language,
    recipient: Recipient,
    *,
    style: Literal["formal", "first_name"] = "formal",
    tone: Literal["formal", "friendly"] = "formal",
) -> str:
    """The greeting line, e.g. "Sehr geehrte Frau Schmidt," or "Guten Tag," when unknown."""
    first = (recipient.first_name or "").strip()
    last = (recipient.last_name or "").strip()
    if style == "first_name" and first:
        return f"Hallo {first}," if language == "de" else f"Hi {first},"
    gender = gender_of(recipient.salutation) if last else "unknown"
    full = " ".join(p for p in (first, last) if p)
    if language == "de":
        if gender == "female":
            return f"Sehr geehrte Frau {last}," if tone == "formal" else f"Guten Tag Frau {last},"
        if gender == "male":
            return f"Sehr geehrter Herr {last}," if tone == "formal" else f"Guten Tag Herr {last},"
        return f"Guten Tag {full}," if full else "Guten Tag,"
    opener = "Dear" if tone == "formal" else "Hello"
    if gender == "female":
        return f"{opener} Ms {last},"
    if gender == "male":
        return f"{opener} Mr {last},"
    return f"{opener} {full}," if full else "Hello,"


def closing_line(
    language: Language,
    *,
    style: Literal["formal", "first_name"] = "formal",
    tone: Literal["formal", "friendly"] = "formal",
) -> str:
    """The complimentary close: "Mit freundlichen Grüßen" / "Kind regards" (friendlier variants)."""
    casual = tone == "friendly" or style == "first_name"
    if language == "de":
        return "Viele Grüße" if casual else "Mit freundlichen Grüßen"
    return "Best regards" if casual else "Kind regards"
