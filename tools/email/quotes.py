"""Separate what a person wrote from quoted history and their signature (English and German).

The classifier must judge the new words only: "Kein Interesse" in a quoted earlier mail,
or "Unsubscribe" in our own quoted footer, must not decide what a reply means.

Rules, in order:
1. Quoted history starts at the first attribution line ("On … wrote:", "Am … schrieb …:",
   also wrapped over up to three lines), a separator ("-----Original Message-----",
   "-----Ursprüngliche Nachricht-----", a line of underscores) or an Outlook header block
   ("Von: … / Gesendet: …", "From: … / Sent: …"). Everything from there on is quoted.
2. Lines starting with ">" are quoted wherever they are (inline answers between quotes stay).
3. The signature starts at "-- ", at "Sent from my iPhone" / "Von meinem iPhone gesendet"
   and similar, or at a closing ("Mit freundlichen Grüßen", "Best regards", …) that
   stands on its own line. Short closings such as "Thanks" or "Danke" only count when
   nothing but a name-like line or two follows, so "Danke!\\nBitte rufen Sie mich an." keeps
   its second sentence. A closing never empties a reply: "Danke!" alone stays "Danke!".
   A "P.S." after the signature is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION = [
    re.compile(r"^on\b.{3,300}\bwrote\s?:$", re.IGNORECASE),
    re.compile(r"^am\b.{3,300}\bschrieb\b.{0,300}:$", re.IGNORECASE),
    re.compile(r"^le\b.{3,300}\ba écrit\s?:$", re.IGNORECASE),
    re.compile(r"^op\b.{3,300}\bschreef\b.{0,300}:$", re.IGNORECASE),
    re.compile(r"^el\b.{3,300}\bescribió\s?:$", re.IGNORECASE),
    re.compile(r"^.{0,200}<[^<>\s]+@[^<>\s]+>\s*(wrote|schrieb|a écrit)\s?:$", re.IGNORECASE),
]
_ATTRIBUTION_START = re.compile(r"^(on|am|le|op|el)\s", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^-{2,}\s*(original message|ursprüngliche nachricht|originalnachricht|weitergeleitete nachricht|"
    r"forwarded message|message d'origine|original-nachricht)\s*-{2,}$|^_{20,}$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\*?(from|von|de|van|da)\s*:\s*\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\*?(sent|gesendet|date|datum|to|an|subject|betreff|cc|envoyé|objet|verzonden|aan|onderwerp)\s*:",
    re.IGNORECASE,
)
_HEADER_ONE_LINE = re.compile(
    r"^\*?(from|von)\s*:.{1,300}\b(sent|gesendet|date|datum)\s*:", re.IGNORECASE
)
_SIG_DASHES = re.compile(r"^--\s?$")
_MOBILE = re.compile(
    r"^(sent from my|sent from outlook|sent from mail for|sent with|sent via|get outlook for|"
    r"von meinem|gesendet von|gesendet mit|outlook für|diese nachricht wurde von meinem|von mail für|"
    r"envoyé de mon|verzonden vanaf)\b.{0,80}$",
    re.IGNORECASE,
)
# What may follow a closing on its line: a few words (a name, "aus Berlin"); after a short
# closing only capitalised names ("Thanks, John"), so "Danke für die Info" is content.
_STRONG_TAIL = re.compile(r"(?:[\s,.!]+[^\s,.!?:;]+){0,4}[\s,.!]*")
_WEAK_TAIL = re.compile(r"(?:[\s,.!]+[A-ZÄÖÜ][^\s,.!?:;]*){0,2}[\s,.!]*")
_STRONG = re.compile(
    r"^(?:mit\s+)?(?:freundlichen|besten|herzlichen|schönen|sonnigen|lieben|vielen|kollegialen)\s+grü(?:ss|ß)en"
    r"|^mit\s+freundlichem\s+grü?(?:ss|ß)|^(?:freundliche|beste|herzliche|schöne|liebe|viele|sonnige)\s+grü(?:ss|ß)e"
    r"|^(?:grü(?:ss|ß)e|gruß|gruss|mfg|vg|lg|bg)\b"
    r"|^(?:best|kind|warm|warmest|kindest|many)\s+regards|^regards\b|^best\s+wishes|^(?:yours\s+)?sincerely"
    r"|^yours\s+truly|^cordialement|^met\s+vriendelijke\s+groet",
    re.IGNORECASE,
)
_WEAK = re.compile(
    r"^(?:thanks|thank\s+you|many\s+thanks|thanks\s+again|cheers|best|all\s+the\s+best|danke|"
    r"vielen\s+dank|danke\s+schön|dankeschön|besten\s+dank|merci|ciao|bis\s+bald|tschüss|beste)\b",
    re.IGNORECASE,
)
_PS = re.compile(r"^p\.?\s?p?\.?\s?s\.?\s*[:\-]?\s", re.IGNORECASE)


@dataclass(frozen=True)
class ReplyParts:
    """A mail body split into the new text, the signature and the quoted history."""

    reply: str
    signature: str
    quoted: str


def _is_attribution(lines: list[str], index: int) -> bool:
    first = lines[index].strip()
    # Clients wrap long attributions; only a line that starts like one may continue below.
    widths = (1, 2, 3) if _ATTRIBUTION_START.match(first) else (1,)
    for width in widths:
        window = [line.strip() for line in lines[index : index + width]]
        if not all(window):
            break
        chunk = " ".join(window)
        if len(chunk) > 400:
            break
        # A real attribution carries a date or an address; "On your website you wrote:" does not.
        if any(p.match(chunk) for p in _ATTRIBUTION) and re.search(r"\d|@", chunk):
            return True
    return False


def _is_header_block(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if _HEADER_ONE_LINE.match(line):
        return True
    if not _HEADER_FROM.match(line):
        return False
    following = [candidate.strip() for candidate in lines[index + 1 : index + 6] if candidate.strip()]
    return sum(1 for candidate in following[:4] if _HEADER_NEXT.match(candidate)) >= 1


def _quote_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if _SEPARATOR.match(stripped) or _is_attribution(lines, index) or _is_header_block(lines, index):
            return index
    return len(lines)


def _is_closing(line: str, pattern: re.Pattern[str], tail: re.Pattern[str]) -> bool:
    match = pattern.match(line)
    return match is not None and tail.fullmatch(line[match.end() :]) is not None


def _name_like(line: str) -> bool:
    return len(line) <= 40 and len(line.split()) <= 5 and not re.search(r"[.?!:]$", line)


def _signature_start(lines: list[str]) -> int | None:
    for index, raw in enumerate(lines):
        line = raw.strip()
        if _SIG_DASHES.match(raw.rstrip("\n")) or _MOBILE.match(line) or _is_closing(line, _STRONG, _STRONG_TAIL):
            return index
        if _is_closing(line, _WEAK, _WEAK_TAIL):
            rest = [candidate.strip() for candidate in lines[index + 1 :] if candidate.strip()]
            signed = bool(re.search(r"[,\s][A-ZÄÖÜ]", line[1:]))  # "Thanks, John"
            if (rest or signed) and len(rest) <= 3 and all(_name_like(candidate) for candidate in rest):
                return index
    return None


def _trim(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_reply(text: str) -> ReplyParts:
    """Split a plain-text body into reply, signature and quoted history."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    cut = _quote_start(lines)
    quoted = lines[cut:]
    body: list[str] = []
    inline_quotes: list[str] = []
    for line in lines[:cut]:
        (inline_quotes if line.lstrip().startswith(">") else body).append(line)
    signature: list[str] = []
    start = _signature_start(body)
    if start is not None:
        signature = body[start:]
        body = body[:start]
        for index, line in enumerate(signature):
            if _PS.match(line.strip()):
                body += ["", *signature[index:]]
                signature = signature[:index]
                break
        if not _trim(body) and signature and not _SIG_DASHES.match(signature[0]) \
                and not _MOBILE.match(signature[0].strip()):
            body, signature = signature[:1], signature[1:]  # a closing alone is the reply
    return ReplyParts(
        reply=_trim(body),
        signature=_trim(signature),
        quoted=_trim(inline_quotes + quoted),
    )


def strip_quoted(text: str) -> str:
    """Only the new text of a reply: no quoted history, no signature."""
    return split_reply(text).reply
