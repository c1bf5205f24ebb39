"""Normalisation shared by the scorers: how two spellings of the same value are recognised."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_QUOTES = re.compile(r"[\"'„“”‚‘’«»]")
_SPACES = re.compile(r"\s+")
_TITLES = re.compile(r"^(?:(?:prof\.|dr\.(?:-ing\.)?|dipl\.-\w+\.?|ing\.|mag\.|di|msc|mba)\s+)+", re.IGNORECASE)
_ID_SUFFIX = re.compile(r"(MWST|TVA|IVA|VAT)$")


def norm_text(value: str) -> str:
    """Case-, width-, dash-, quote- and whitespace-insensitive form of a text."""
    text = unicodedata.normalize("NFKC", value)
    text = _DASHES.sub("-", text)
    text = _QUOTES.sub("", text)
    return _SPACES.sub(" ", text).strip(" .,;:").casefold()


def norm_name(value: str) -> str:
    """A person's name without academic titles (``Dr. Anja Kössler`` → ``anja kössler``)."""
    return norm_text(_TITLES.sub("", unicodedata.normalize("NFKC", value).strip()))


def norm_ident(value: str) -> str:
    """A register number or VAT id without spaces and a trailing ``MWST``: ``GB 284 1937 56`` → ``GB284193756``."""
    compact = _SPACES.sub("", unicodedata.normalize("NFKC", value)).upper()
    return _ID_SUFFIX.sub("", compact)


def norm_email(value: str) -> str:
    """An address in lower case without ``mailto:``."""
    return value.strip().removeprefix("mailto:").lower()


def page_path(url: str) -> str:
    """The path of a page URL or path, without ``index.html`` and trailing slash (``/`` for home)."""
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
    path = path.removesuffix("index.html").rstrip("/")
    return path or "/"


def contains_phrase(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` on word boundaries, ignoring case (``a|b`` means either)."""
    folded = norm_text(text)
    for option in phrase.split("|"):
        needle = norm_text(option)
        if needle and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded):
            return True
    return False
