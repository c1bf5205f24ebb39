"""Prompt-injection defence for page text on its way to a model.

Page text is data. It reaches the model only inside ``<untrusted_page url=…>`` blocks that
the system prompt tells the model to treat as data; a page cannot close its block (the
tag is neutralised inside the text). Sentences that try to instruct a model ("ignore
previous instructions", "send an email to", "you are now", German equivalents) are
detected, removed before the text is sent or used as evidence, and reported so research
can flag the profile (``prompt_injection:<url>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPAN = r"(?:[^.!?\n]|[.!?](?=\S))"  # within one sentence; dots inside addresses do not end it
_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "ignore_instructions",
        r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:previous|prior|above|earlier|all|any|your|the)"
        r"\b[^.!?\n]{0,30}\b(?:instructions?|prompts?|rules|directions|guidelines|context)\b",
    ),
    (
        "ignore_instructions",
        r"\b(?:ignorier\w*|vergiss|vergessen\s+Sie|missachte\w*|übergeh\w*)\b[^.!?\n]{0,50}"
        r"\b(?:Anweisung\w*|Instruktion\w*|Befehl\w*|Regeln|Vorgaben|Prompt\w*)\b",
    ),
    (
        "role_change",
        r"\byou\s+are\s+now\b|\bfrom\s+now\s+on,?\s+you\b|\b(?:developer|jailbreak|god|DAN)\s+mode\b|"
        r"\b(?:pretend|act)\s+(?:to\s+be|as)\s+(?:an?\s+)?(?:AI|assistant|model|chatbot|system|admin\w*)\b|"
        r"\bnew\s+(?:system\s+)?instructions?\b",
    ),
    (
        "role_change",
        r"\b(?:du\s+bist\s+(?:jetzt|ab\s+sofort|nun)|ab\s+sofort\s+bist\s+du|neue\s+Anweisung\w*|"
        r"Entwicklermodus)\b",
    ),
    ("system_prompt", r"\bsystem\s*prompt\b|<\s*/?\s*(?:system|instructions?)\s*>|\[/?INST\]|<\|im_start\|>"),
    (
        "send_mail",
        r"\b(?:send|forward|e-?mail|mail|share|upload|post)\b" + _SPAN + r"{0,80}"
        r"\b(?:(?:customer|client|contact|lead|user)s?\s+(?:list|data|details|database)|"
        r"all\s+(?:contacts|customers|clients|recipients))\b",
    ),
    (
        "send_mail",
        r"\b(?:send|forward|e-?mail|share|reveal|print|output)\b" + _SPAN + r"{0,60}\b(?:your|the)\s+(?:instructions|"
        r"system\s+prompt|prompt|credentials|passwords?|api\s+keys?)\b",
    ),
    (
        "send_mail",
        r"\b(?:sende|schicke?|leite|versende)\b(?!" + _SPAN + r"{0,25}\b(?:uns|mir)\b)" + _SPAN + r"{0,60}"
        r"\b(?:E-?Mail|Mail|Nachricht)\b" + _SPAN + r"{0,30}\ban\b",
    ),
    (
        "send_mail",
        r"\b(?:senden|schicken|leiten|übermitteln|weiterleiten)\b" + _SPAN + r"{0,80}\b(?:Kundenliste|Kundendaten|"
        r"Kontaktliste|Kontaktdaten\s+aller|alle\s+Kontakte|Zugangsdaten|Passw\w+)\b",
    ),
    ("send_mail", r"\bforward\s+this\b|\bleite\w*\s+(?:dies\w*|sie|es)\s+(?:\w+\s+)?weiter\b"),
)
_COMPILED = tuple((label, re.compile(pattern, re.IGNORECASE)) for label, pattern in _PATTERNS)
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=\S))*(?:[.!?]+|\n|$)")
_TAG = re.compile(r"<\s*(/?)\s*untrusted_page", re.IGNORECASE)
REMOVED = "[removed: instruction-like text]"


@dataclass
class InjectionScan:
    """What was found in one text: the labels hit, the offending snippets and the cleaned text."""

    labels: list[str] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)
    cleaned: str = ""

    @property
    def found(self) -> bool:
        """True when the text tries to instruct a model."""
        return bool(self.labels)


def detect_injection(text: str) -> list[str]:
    """Labels of the instruction patterns found in ``text`` (empty when clean)."""
    labels: list[str] = []
    for label, pattern in _COMPILED:
        if label not in labels and pattern.search(text):
            labels.append(label)
    return labels


def scan(text: str) -> InjectionScan:
    """Find instruction-like sentences and return the text without them."""
    result = InjectionScan()
    kept: list[str] = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        labels = detect_injection(sentence)
        if not labels:
            kept.append(sentence)
            continue
        result.snippets.append(sentence.strip()[:200])
        for label in labels:
            if label not in result.labels:
                result.labels.append(label)
        kept.append(REMOVED + ("\n" if sentence.endswith("\n") else " "))
    # patterns that span sentence boundaries are still caught on the whole text
    for label in detect_injection("".join(kept).replace(REMOVED, " ")):
        if label not in result.labels:
            result.labels.append(label)
    result.cleaned = "".join(kept).strip()
    return result


def neutralise(text: str) -> str:
    """Page text that cannot open or close an ``untrusted_page`` block."""
    return _TAG.sub(lambda m: f"‹{m.group(1)}untrusted-page", text)


def untrusted_block(url: str, text: str) -> str:
    """Wrap page text as data for the model."""
    safe_url = url.replace('"', "%22").replace("<", "%3C").replace(">", "%3E")
    return f'<untrusted_page url="{safe_url}">\n{neutralise(text).strip()}\n</untrusted_page>'
