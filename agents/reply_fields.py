"""Facts a reply states, extracted deterministically per label (English and German).

* out_of_office → ``return_date``: the first day back ("ab dem 3. Februar wieder", "back
  on 18 August"); for "until X" / "bis (einschließlich) X" the day after X; for "bis Ende
  August" the 1st of September; for "for the next four weeks" the day the span ends.
* not_now → ``later_date``: the date in the sentence that asks for contact ("melden Sie
  sich im März", "reach out in early April"), or in the sentence before a bare "then" /
  "danach"; "after X" / "nach X" means the day after X ends ("nach der Messe im März" →
  1 April); months, quarters and seasons mean their first day.
* interested, question → ``meeting_time``: the first concrete day proposed, with a clock
  time next to it if given ("Donnerstag um 14 Uhr"); alternatives ("Monday or Tuesday")
  and recurring days ("every Thursday") propose nothing.
* referral → ``referred_email`` (the new text, then Cc; never the sender's or ours) and
  ``referred_name`` (see ``agents.reply_names``).
* bounce → kind, status and failed address from the delivery report or notice.

Dates resolve against ``today``: the day the reply was sent (Date header), else the
caller's clock. The LLM never fills these: the embedded model invents names and addresses.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date, timedelta

from agents.classifier_rules import bounce_details
from agents.reply_dates import DateMention, find_dates
from agents.reply_names import referred_name
from agents.reply_types import ReplyFields, ReplyInput, ReplyLabel

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SENTENCE_END = re.compile(r"[!?;\n]+|\.(?=\s+[A-ZÄÖÜ]|\s*$)")
_BACK = re.compile(r"\b(back|return\w*|reopen\w*|zurück|wieder)\b", re.IGNORECASE)
_FROM_AGAIN_BEFORE = re.compile(r"\bab\s+(?:dem\s+|den\s+)?$", re.IGNORECASE)
_AGAIN_AFTER = re.compile(r"^[^.!?\n]{0,30}\b(wieder|zurück)\b", re.IGNORECASE)
_UNTIL = re.compile(
    r"\b(until|till|til|through|thru|to|bis|vor|before)"
    r"(?:\s+(?:and\s+including|einschließlich|einschl\.|inkl\.|inclusive|zum|zur|am|voraussichtlich|"
    r"at\s+least|mindestens|the|den|dem|in\s+den))*\s*$",
    re.IGNORECASE,
)
_AFTER = re.compile(r"\b(after|nach|once|sobald|post)\b[^.,;!?\n]{0,30}$", re.IGNORECASE)
_CONTACT_CUE = re.compile(
    r"\b(contact\w*|reach\w*|get\s+back|get\s+in\s+touch|touch\s+base|follow\s+up|check\s+back|ping|revisit|"
    r"try\s+(?:me|us|again)|reconnect|talk|speak|call|write|send|circle\s+back|come\s+back|again|"
    r"melde\w*|meld|kontaktier\w*|kommen|komm|sprechen|schreib\w*|nachfrag\w*|nochmal\w*|noch\s+einmal|"
    r"wieder|erneut|gerne?)\b",
    re.IGNORECASE,
)
_THEN = re.compile(r"\b(then|afterwards|after\s+that|thereafter|once\s+that|dann|danach|anschließend)\b", re.IGNORECASE)
_ALTERNATIVE = re.compile(r"^\s*(?:or|oder|and|und|/)\s+(?:am\s+|on\s+)?$", re.IGNORECASE)


def _sentence_bounds(text: str, mentions: Sequence[DateMention]) -> list[tuple[int, int]]:
    """Sentence spans; a full stop inside a date ("15.01.2027") does not end a sentence."""
    cuts = [0]
    for match in _SENTENCE_END.finditer(text):
        if not any(m.start <= match.start() < m.end for m in mentions):
            cuts.append(match.end())
    cuts.append(len(text))
    return [(a, b) for a, b in itertools.pairwise(cuts) if text[a:b].strip()]


def _clause_before(text: str, mention: DateMention, width: int = 45) -> str:
    before = text[max(0, mention.start - width) : mention.start]
    cut = max(before.rfind(". "), before.rfind("\n"), before.rfind("!"), before.rfind("?"))
    return before[cut + 1 :] if cut >= 0 else before


def _is_back(text: str, mention: DateMention) -> bool:
    before = _clause_before(text, mention)
    after = text[mention.end : mention.end + 40]
    return bool(
        _BACK.search(before)
        or (_FROM_AGAIN_BEFORE.search(before) and _AGAIN_AFTER.search(after))
        or _AGAIN_AFTER.match(after)
    )


def _day_after_end(mention: DateMention) -> date:
    """ "until X": the day after a day; the day after an explicit end; else the start."""
    if mention.precision == "day" or mention.modifier == "end":
        return mention.last + timedelta(days=1)
    return mention.first


def return_date(text: str, today: date) -> date | None:
    """Out of office: the first day the person is back."""
    mentions = find_dates(text, today=today)
    for mention in mentions:
        if not mention.span and _is_back(text, mention):
            return mention.first
    for mention in mentions:
        if mention.span:
            return mention.first
    until = [m for m in mentions if _UNTIL.search(_clause_before(text, m, 30))]
    if until:
        return _day_after_end(until[-1])
    return None


def _target(text: str, mention: DateMention) -> date:
    before = _clause_before(text, mention)
    if _AFTER.search(before):
        return mention.last + timedelta(days=1)
    if _UNTIL.search(_clause_before(text, mention, 30)):
        return _day_after_end(mention)
    return mention.first


def later_date(text: str, today: date) -> date | None:
    """Not now: when the person asked to be contacted again."""
    mentions = find_dates(text, today=today)
    if not mentions:
        return None
    previous: list[DateMention] = []
    for start, end in _sentence_bounds(text, mentions):
        inside = [m for m in mentions if start <= m.start < end]
        cues = [c.start() for c in _CONTACT_CUE.finditer(text, start, end)]
        if cues and inside:
            chosen = min(inside, key=lambda m: min(abs(m.start - c) for c in cues))
            return _target(text, chosen)
        if cues and previous and _THEN.search(text, start, end):
            return _target(text, previous[-1])
        previous.extend(inside)
    return _target(text, mentions[-1])


def meeting_time(text: str, today: date) -> str | None:
    """Interested / question: the first concrete day proposed, 'YYYY-MM-DD[THH:MM]'."""
    mentions = [m for m in find_dates(text, today=today) if m.precision == "day" and not m.span]
    for index, mention in enumerate(mentions):
        if _is_back(text, mention) or mention.first < today:
            continue
        neighbours = [mentions[i] for i in (index - 1, index + 1) if 0 <= i < len(mentions)]
        if any(_ALTERNATIVE.match(text[min(m.end, mention.end) : max(m.start, mention.start)]) for m in neighbours):
            return None
        day = mention.first.isoformat()
        return f"{day}T{mention.time}" if mention.time else day
    return None


def _referral_fields(reply: ReplyInput) -> ReplyFields:
    own = {address for _, address in (*reply.addresses("from"), *reply.addresses("to"))}
    in_text = [a.rstrip(".").lower() for a in _EMAIL.findall(reply.text or reply.body)]
    in_cc = [address for _, address in reply.addresses("cc")]
    email = next((a for a in [*in_text, *in_cc] if a not in own), None)
    names = {name for name, _ in (*reply.addresses("from"), *reply.addresses("to")) if name}
    name = referred_name(reply.text or reply.body, exclude=names, email=email)
    return ReplyFields(referred_email=email, referred_name=name)


def extract_fields(label: ReplyLabel, reply: ReplyInput, *, today: date) -> ReplyFields:
    """The fields that matter for ``label``; ``today`` is the day the reply was written."""
    text = reply.text or reply.body
    match label:
        case ReplyLabel.out_of_office:
            return ReplyFields(return_date=return_date(f"{reply.subject}\n{text}", today))
        case ReplyLabel.not_now:
            return ReplyFields(later_date=later_date(text, today))
        case ReplyLabel.interested | ReplyLabel.question:
            return ReplyFields(meeting_time=meeting_time(text, today))
        case ReplyLabel.referral:
            return _referral_fields(reply)
        case ReplyLabel.bounce:
            details = bounce_details(reply)
            return ReplyFields(
                bounce_kind=details.kind, bounce_status=details.status, bounced_recipient=details.recipient
            )
        case _:
            return ReplyFields()
