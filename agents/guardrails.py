"""Deterministic checks run on every draft, whichever strategy wrote it.

``check_draft`` returns one ``GuardrailResult`` per check. A failed check of severity
"error" makes the writer repair (at most twice) and, if it persists, flag the draft for
the rep with the check's message; warnings are shown but never block. Messages are
phrased as instructions because the llm strategy hands them back to the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from agents.campaign import CampaignSpec
from agents.guardrail_rules import INFORMAL_GERMAN, PLACEHOLDERS, REPLY_PREFIX, SPAM_PHRASES, refers_to_previous
from agents.language import detect_language
from agents.profile import CompanyProfile, Fact
from agents.text_signals import (
    Corpus,
    claim_specifics,
    digit_runs,
    name_candidates,
    quoted_spans,
    squash,
    urls,
    without_links,
    words,
)
from agents.writer_compose import message_text
from agents.writer_types import Claim, GuardrailResult, Language, PreviousMail, Recipient, Severity

__all__ = ["DraftView", "GuardrailContext", "GuardrailResult", "check_draft", "failures"]

MAX_LINKS = 2
REPETITION_LIMIT = 0.4


@dataclass(frozen=True)
class GuardrailContext:
    """What a draft is judged against."""

    spec: CampaignSpec
    language: Language
    step: int
    recipient: Recipient
    profile: CompanyProfile
    salutation: str
    sign_off: str
    footer: str
    previous: tuple[PreviousMail, ...] = ()

    @property
    def facts(self) -> list[Fact]:
        """The lead's facts."""
        return self.profile.facts

    def strip(self, body: str) -> str:
        """The message part of a body of this lead."""
        return message_text(body, salutation=self.salutation, sign_off=self.sign_off, footer=self.footer)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


@dataclass
class DraftView:
    """One draft as the checks see it (message part and corpus computed once)."""

    subject: str
    body: str
    claims: list[Claim]
    ctx: GuardrailContext
    message: str = field(init=False)

    def __post_init__(self) -> None:
        self.message = self.ctx.strip(self.body)

    @cached_property
    def corpus(self) -> Corpus:
        ctx = self.ctx
        profile = ctx.profile.model_dump(mode="json", exclude={"flags", "errors", "pages_visited"})
        return Corpus.of(
            [
                *_strings(profile),
                *_strings(ctx.recipient.model_dump(mode="json")),
                *_strings(ctx.spec.model_dump(mode="json")),
                *(f"{p.subject}\n{p.body}" for p in ctx.previous),
                ctx.salutation,
                ctx.sign_off,
                ctx.footer,
            ]
        )


Check = Callable[[DraftView], GuardrailResult]


def _ok(name: str, message: str = "ok", severity: Severity = "error") -> GuardrailResult:
    return GuardrailResult(name=name, passed=True, severity=severity, message=message)


def _fail(name: str, message: str, severity: Severity = "error") -> GuardrailResult:
    return GuardrailResult(name=name, passed=False, severity=severity, message=message)


def _listing(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def check_subject(d: DraftView) -> GuardrailResult:
    limit = d.ctx.spec.writer.max_subject_chars
    subject = d.subject.strip()
    if not subject:
        return _fail("subject", "the subject is empty; write a short, specific subject")
    if "\n" in subject:
        return _fail("subject", "the subject must be a single line")
    if len(subject) > limit:
        return _fail("subject", f"the subject has {len(subject)} characters; keep it at most {limit}")
    return _ok("subject", f"{len(subject)}/{limit} characters")


def check_reply_prefix(d: DraftView) -> GuardrailResult:
    match = REPLY_PREFIX.match(d.subject)
    if not match:
        return _ok("reply_prefix")
    prefix = match.group(0).strip()
    if d.ctx.step == 1:
        return _fail("reply_prefix", f"a first mail must not pretend to be a reply: remove '{prefix}'")
    rest = squash(d.subject[match.end() :])
    if any(squash(REPLY_PREFIX.sub("", p.subject)) == rest for p in d.ctx.previous):
        return _ok("reply_prefix", f"'{prefix}' continues the earlier mail of this thread")
    return _fail("reply_prefix", f"'{prefix}' is only allowed in front of the earlier mail's exact subject")


def check_placeholders(d: DraftView) -> GuardrailResult:
    text = f"{d.subject}\n{d.body}"
    found = [m.group(0) for pattern, _ in PLACEHOLDERS for m in pattern.finditer(text)]
    if found:
        return _fail("placeholders", f"unresolved placeholders {_listing(found)}: write the real text or drop it")
    return _ok("placeholders")


def check_salutation(d: DraftView) -> GuardrailResult:
    if d.body.lstrip().startswith(d.ctx.salutation):
        return _ok("salutation", d.ctx.salutation)
    return _fail("salutation", f"the mail must open with '{d.ctx.salutation}'")


def check_length(d: DraftView) -> GuardrailResult:
    low, high = d.ctx.spec.writer.min_words, d.ctx.spec.writer.max_words
    count = len(words(d.message))
    if count < low:
        return _fail("length", f"the message has {count} words; write at least {low}")
    if count > high:
        return _fail("length", f"the message has {count} words; shorten it to at most {high}")
    return _ok("length", f"{count} words ({low}-{high})")


def check_language(d: DraftView) -> GuardrailResult:
    want = d.ctx.language
    name = {"de": "German", "en": "English"}[want]
    guess = detect_language(f"{d.subject}\n{d.message}")
    if guess.language is not None and guess.language != want:
        return _fail("language", f"the mail is not in {name}: write all of it in {name}")
    for paragraph in re.split(r"\n\s*\n", d.message):
        if len(words(paragraph)) >= 12:
            local = detect_language(paragraph)
            if local.language is not None and local.language != want:
                return _fail("language", f"a paragraph is not in {name}: write all of it in {name}")
    if guess.language is None:
        return _ok("language", f"could not confirm {name} (too short or mixed)", severity="warning")
    return _ok("language", name)


def check_formal_address(d: DraftView) -> GuardrailResult:
    if d.ctx.language != "de":
        return _ok("formal_address", "not a German mail")
    found = sorted({m.group(0) for m in INFORMAL_GERMAN.finditer(d.message)})
    if not found:
        return _ok("formal_address", "Sie")
    severity: Severity = "error" if d.ctx.spec.tone == "formal" else "warning"
    return _fail("formal_address", f"use the formal 'Sie' throughout; found {_listing(found)}", severity)


def check_grounded_claims(d: DraftView) -> GuardrailResult:
    facts = {f.id: f for f in d.ctx.facts}
    problems: list[str] = []
    for claim in d.claims:
        fact = facts.get(claim.fact_id)
        if fact is None:
            problems.append(f"claim '{claim.text}' cites fact '{claim.fact_id}', which this lead does not have")
            continue
        numbers, names = claim_specifics(claim.text)
        fact_numbers = digit_runs(fact.text)
        fact_text = fact.text.lower()
        content = [w.lower() for w in words(claim.text) if len(w) >= 4 and not w.isdigit()]
        if not any(w in fact_text for w in content):
            problems.append(
                f"claim '{claim.text}' shares no word with fact {fact.id} ('{fact.text}'): "
                "state what the fact says or drop the claim"
            )
            continue
        missing = sorted(numbers - fact_numbers) + [n for n in names if n.lower() not in fact_text]
        if missing:
            problems.append(
                f"claim '{claim.text}' says {_listing(missing)}, which fact {fact.id} does not: "
                "keep to the fact's wording or drop the claim"
            )
    if problems:
        return _fail("grounded_claims", "; ".join(problems))
    return _ok("grounded_claims", f"{len(d.claims)} claim(s), each backed by a fact")


def check_claims_in_body(d: DraftView) -> GuardrailResult:
    text = d.message.lower()
    hidden = []
    for claim in d.claims:
        numbers, names = claim_specifics(claim.text)
        keys = [*numbers, *(n.lower() for n in names)]
        visible = all(k in text for k in keys) if keys else squash(claim.text) in squash(d.message)
        if not visible:
            hidden.append(claim.text)
    if hidden:
        return _fail("claims_in_body", f"claims not found in the mail: {_listing(hidden)}", "warning")
    return _ok("claims_in_body", severity="warning")


def check_unsupported_specifics(d: DraftView) -> GuardrailResult:
    corpus = d.corpus
    text = f"{d.subject}\n{d.message}"
    plain = without_links(text)
    invented: list[str] = []
    invented += [n for n in sorted(digit_runs(plain)) if not corpus.has_number(n)]
    invented += [u for u in urls(text) if not corpus.has_url(u)]
    invented += [n for n in name_candidates(plain, d.ctx.language) if not corpus.has_word(n)]
    invented += [q for q in quoted_spans(text) if not corpus.has_phrase(q)]
    if invented:
        return _fail(
            "unsupported_specifics",
            f"{_listing(invented)} appear in no fact, campaign or contact field: "
            "do not invent numbers, names, links, quotes or events",
        )
    return _ok("unsupported_specifics")


def check_spam_phrases(d: DraftView) -> GuardrailResult:
    text = f"{d.subject}\n{d.message}".lower()
    found = [
        phrase
        for phrases in SPAM_PHRASES.values()
        for phrase in phrases
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)
    ]
    if found:
        return _fail("spam_phrases", f"spam-trigger phrases {_listing(found)}: rephrase soberly")
    return _ok("spam_phrases")


def check_shouting(d: DraftView) -> GuardrailResult:
    text = f"{d.subject}\n{d.message}"
    caps = [
        w
        for w in words(without_links(text))
        if len(w) >= 4 and w.isalpha() and w.isupper() and not d.corpus.has_word(w)
    ]
    problems = []
    if caps:
        problems.append(f"ALL-CAPS words {_listing(caps)}")
    if re.search(r"!{2,}|\?{2,}", text):
        problems.append("repeated '!!'/'??'")
    if problems:
        return _fail("shouting", " and ".join(problems) + ": write in normal case and punctuation")
    return _ok("shouting")


def check_links(d: DraftView) -> GuardrailResult:
    found = urls(d.message)
    if len(found) > MAX_LINKS:
        return _fail("links", f"{len(found)} links in the message; use at most {MAX_LINKS}")
    return _ok("links", f"{len(found)} link(s)")


def check_legal_footer(d: DraftView) -> GuardrailResult:
    if d.ctx.footer.strip() in d.body:
        return _ok("legal_footer")
    return _fail("legal_footer", "the legal footer (company, address, register, privacy notice) is missing")


def check_follow_up_reference(d: DraftView) -> GuardrailResult:
    if d.ctx.step == 1 or not d.ctx.previous:
        return _ok("follow_up_reference", "first mail")
    how = refers_to_previous(d.subject, d.message, d.ctx.previous, d.ctx.language)
    if how:
        return _ok("follow_up_reference", how)
    return _fail(
        "follow_up_reference",
        "a follow-up must refer to the earlier mail (e.g. its subject, or 'vor einigen Tagen schrieb ich "
        "Ihnen' / 'a few days ago I wrote')",
    )


def _shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    tokens = [w.lower() for w in words(text)]
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def check_repetition(d: DraftView) -> GuardrailResult:
    if d.ctx.step == 1 or not d.ctx.previous:
        return _ok("repetition", "first mail")
    mine = _shingles(d.message)
    if not mine:
        return _ok("repetition")
    worst = max(len(mine & _shingles(d.ctx.strip(p.body))) / len(mine) for p in d.ctx.previous)
    if worst > REPETITION_LIMIT:
        return _fail(
            "repetition",
            f"{worst:.0%} of this follow-up repeats an earlier mail; say something new and shorter",
        )
    return _ok("repetition", f"{worst:.0%} overlap with earlier mails")


CHECKS: tuple[Check, ...] = (
    check_subject,
    check_reply_prefix,
    check_placeholders,
    check_salutation,
    check_length,
    check_language,
    check_formal_address,
    check_grounded_claims,
    check_claims_in_body,
    check_unsupported_specifics,
    check_spam_phrases,
    check_shouting,
    check_links,
    check_legal_footer,
    check_follow_up_reference,
    check_repetition,
)


def check_draft(subject: str, body: str, claims: list[Claim], ctx: GuardrailContext) -> list[GuardrailResult]:
    """Run every check on a composed draft."""
    view = DraftView(subject=subject, body=body, claims=claims, ctx=ctx)
    return [check(view) for check in CHECKS]


def failures(results: list[GuardrailResult]) -> list[str]:
    """Messages of the failed blocking checks, prefixed with the check name."""
    return [f"{r.name}: {r.message}" for r in results if r.failed_error]
