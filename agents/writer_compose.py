"""Assembling a mail from its parts: greeting + message + sign-off + legal footer.

Neither strategy writes the greeting, sign-off or footer: the model's or template's
message is cleaned of any it brought along and the writer adds the right ones. The
inverse (``message_text``) lets the guardrails judge only the message part.
"""

from __future__ import annotations

import html
import re

from agents.text_signals import wordset
from agents.writer_types import Language

_GREETING = re.compile(
    r"^(sehr geehrte[rs]?|guten (tag|morgen|abend)|hallo|liebe[rs]?|hi|hello|hey|dear|good (morning|afternoon))"
    r"\b[^\n]{0,80}[,!]?[ \t]*$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(mit freundlichen grüßen|freundliche grüße|mit besten grüßen|beste grüße|viele grüße|herzliche grüße|"
    r"kind regards|best regards|warm regards|regards|best|sincerely|yours sincerely|yours truly|cheers)"
    r"[ \t]*,?[ \t]*$",
    re.IGNORECASE,
)
# German letters continue lowercase after "Sehr geehrte Frau X," unless the first word is a noun
# or the polite pronoun; these openers are safe to lowercase.
_GERMAN_LOWERCASE_OPENERS = wordset(
    """wir ich in auf mit vor seit bei als da die der das unser unsere unseren mein meine meinen heute
    gerne gern kurz vielen nach im am es dies diese dieser dieses gestern letzte letzten zu zum zur
    haben hätten könnten würden darf dürfen wie was wann wo warum aus über anbei bezugnehmend
    anknüpfend herzlichen herzlich danke eben gerade neulich kürzlich vorige vorigen"""
)
_URL = re.compile(r"https?://[^\s<>\"]+")


def strip_greeting_and_closing(text: str) -> str:
    """Remove a greeting line at the start and a sign-off (and what follows) near the end."""
    lines = text.strip().splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and _GREETING.match(lines[0].strip()):
        lines.pop(0)
    window_start = max(0, len(lines) - 8)
    for index in range(len(lines) - 1, window_start - 1, -1):
        if _CLOSING.match(lines[index].strip()):
            lines = lines[:index]
            break
    return "\n".join(lines).strip()


_LIST_ITEM = re.compile(r"^([-*•–]|\d+[.)])\s")


def normalise_paragraphs(text: str) -> str:
    """Trim lines, join hard-wrapped lines of a paragraph, collapse blank lines and double spaces.

    List items (``- …``, ``1. …``) keep their own lines.
    """
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        if out and out[-1] and not _LIST_ITEM.match(line) and not _LIST_ITEM.match(out[-1]):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out).strip()


def lowercase_german_opener(text: str) -> str:
    """After a German greeting with a comma the text goes on lowercase (for function words)."""
    match = re.match(r"([A-ZÄÖÜ][a-zäöüß]*)\b", text)
    if match and match.group(1).lower() in _GERMAN_LOWERCASE_OPENERS:
        return match.group(1).lower() + text[match.end(1) :]
    return text


def compose_body(text: str, *, salutation: str, sign_off: str, footer: str, language: Language) -> str:
    """The full plain-text mail."""
    message = normalise_paragraphs(strip_greeting_and_closing(text))
    if language == "de" and salutation.endswith(","):
        message = lowercase_german_opener(message)
    return f"{salutation}\n\n{message}\n\n{sign_off}\n\n{footer}\n"


def message_text(body: str, *, salutation: str, sign_off: str, footer: str) -> str:
    """The message part of a composed (or rep-edited) body: greeting, sign-off and footer removed."""
    text = body.replace("\r\n", "\n")
    if footer and footer.strip() in text:
        text = text.replace(footer.strip(), "")
    if sign_off and sign_off in text:
        text = text.replace(sign_off, "")
    stripped = text.strip()
    if salutation and stripped.startswith(salutation):
        stripped = stripped[len(salutation) :]
    return strip_greeting_and_closing(stripped)


def plain_to_html(body: str) -> str:
    """A minimal HTML alternative: escaped paragraphs, line breaks and linked URLs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        pieces: list[str] = []
        last = 0
        for match in _URL.finditer(paragraph):
            pieces.append(html.escape(paragraph[last : match.start()], quote=False))
            url = html.escape(match.group(0))
            pieces.append(f'<a href="{url}">{url}</a>')
            last = match.end()
        pieces.append(html.escape(paragraph[last:], quote=False))
        rendered.append("<p>" + "".join(pieces).replace("\n", "<br>\n") + "</p>")
    return "\n".join(rendered)
