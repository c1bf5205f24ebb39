"""What ``--model scripted`` answers: deterministic stand-ins for a model, one per schema.

They exist so that every suite runs end to end — prompts rendered, answers validated,
scored, reported — without a model. Their scores measure the pipeline, not a model.

* Reply classification (``LLMReplyVerdict``): the first label of ``KEYWORDS`` (checked in
  that order) whose pattern occurs in the reply's subject or new text, confidence 0.8;
  no pattern: ``question`` at confidence 0.3 (the cascade then asks a human).
* Research (``ResearchSummary``): an empty form — the model adds nothing, so research
  scores equal the deterministic extraction's.
* Drafting (``LLMDraft``): subject "<product> – <company>" (cut to the campaign's limit);
  body: the first news fact (else the first fact) quoted verbatim as the opening and cited
  as the only claim, then the campaign's value proposition, first proof point and call to
  action when they are written in the mail's language, else fixed sentences in that
  language (``_FALLBACK``). A follow-up answers "Re: <earlier subject>", opens by naming
  the earlier subject and uses the fixed sentences and the call to action, no quote.
* Judge rubric (``JudgeRubric``): every score = 1 + round(4 × share of the draft's
  deterministic checks that passed), supplied by the drafts suite.
* Pairwise (``PairwiseVerdict``): the draft with the larger share of passed checks wins;
  equal shares are a tie. Position never matters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from agents.language import choose_language, detect_language
from agents.nodes.reply_classifier import LLMReplyVerdict
from agents.reply_types import ReplyLabel
from agents.research_llm import ResearchSummary
from agents.testing import ScriptedCall
from agents.writer_llm import LLMClaim, LLMDraft
from agents.writer_types import DraftRequest, Language
from evals.scorers.judge import JudgeRubric, PairwiseVerdict

KEYWORDS: tuple[tuple[ReplyLabel, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.IGNORECASE))
    for label, pattern in (
        (ReplyLabel.bounce, r"undeliver|delivery (status|failed|failure)|returned mail|mailer-daemon|unzustellbar|"
                            r"nicht zugestellt|zustellung"),
        (ReplyLabel.out_of_office, r"out of (the )?office|on (annual )?leave|vacation|holiday|abwesen|urlaub|"
                                   r"nicht im büro|außer haus|back on|zurück am|wieder im büro"),
        (ReplyLabel.auto_reply, r"automatic|automatisch|auto-?reply|ticket|we (have )?received|eingangsbestätigung|"
                                r"thank you for (your|contacting)|vielen dank für ihre (nachricht|anfrage)"),
        (ReplyLabel.unsubscribe, r"unsubscribe|remove me|take me off|stop (emailing|sending)|do not (contact|email)|"
                                 r"abmelden|austragen|keine (weiteren )?(e-?mails|nachrichten|werbung)|widersprech|"
                                 r"widerspruch|dsgvo|gdpr|löschen|delete my"),
        (ReplyLabel.referral, r"right person|better (person|contact)|colleague|please contact|reach out to|"
                              r"zuständig|ansprechpartner|kolleg|wenden sie sich"),
        (ReplyLabel.not_now, r"next (year|quarter|month)|later this year|after the summer|not (right )?now|"
                             r"at the moment|nächste[nms]? (jahr|quartal|monat)|später|derzeit nicht|zurzeit nicht|"
                             r"nach dem sommer|momentan nicht"),
        (ReplyLabel.not_interested, r"not interested|no thanks|no need|kein interesse|kein bedarf|nein,? danke|"
                                    r"brauchen wir nicht"),
        (ReplyLabel.interested, r"interested|sounds (good|interesting)|let'?s (talk|meet)|happy to|call|demo|"
                                r"interessant|gerne|gern|termin|klingt gut"),
    )
)
MATCH_CONFIDENCE = 0.8
GUESS_CONFIDENCE = 0.3

_FALLBACK: dict[Language, tuple[str, str, str]] = {
    "de": (
        "{product} bündelt die Arbeit Ihres Vertriebs in einem System, damit Anfragen und Angebote nicht "
        "in getrennten Listen verloren gehen.",
        "Viele Unternehmen Ihrer Branche sparen damit jede Woche mehrere Stunden Abstimmung.",
        "Hätten Sie in den nächsten zwei Wochen 20 Minuten für ein kurzes Gespräch?",
    ),
    "en": (
        "{product} brings the work of your sales team into one system, so that enquiries and quotes no "
        "longer get lost between separate lists.",
        "Many companies in your industry save several hours of coordination every week with it.",
        "Would you have 20 minutes in the next two weeks for a short call?",
    ),
}
_DATED = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*[:–-]\s*")


def keyword_verdict(subject: str, text: str) -> LLMReplyVerdict:
    """The scripted reply classifier (see the module docstring)."""
    haystack = f"{subject}\n{text}"
    for label, pattern in KEYWORDS:
        found = pattern.search(haystack)
        if found:
            return LLMReplyVerdict(
                label=label, confidence=MATCH_CONFIDENCE, reason=f"keyword {found.group(0)!r} (scripted)"
            )
    return LLMReplyVerdict(label=ReplyLabel.question, confidence=GUESS_CONFIDENCE, reason="no keyword (scripted)")


def _in_language(text: str | None, language: Language) -> bool:
    return bool(text) and detect_language(text or "", min_hits=2).language == language


def scripted_draft(request: DraftRequest) -> LLMDraft:
    """The scripted writer's draft for ``request`` (see the module docstring)."""
    spec, profile = request.spec, request.profile
    language = choose_language(spec, request.recipient, profile).language
    offer = spec.offer
    value, proof, ask = _FALLBACK[language]
    lines: list[str] = []
    claims: list[LLMClaim] = []
    if request.previous:
        earlier = request.previous[0].subject
        lines.append(
            f"vor einigen Tagen schrieb ich Ihnen zu „{earlier}“." if language == "de"
            else f"A few days ago I wrote to you about “{earlier}”."
        )
        # a follow-up says something the first mail did not: the fixed sentences, no quote
        lines += [value.format(product=offer.product), proof]
    else:
        facts = sorted(profile.facts, key=lambda f: f.kind != "news")
        if facts:
            quoted = _DATED.sub("", facts[0].text).strip().rstrip(".")
            lines.append(
                f"in Ihren Neuigkeiten habe ich gelesen: „{quoted}“." if language == "de"
                else f"I read on your website: “{quoted}”."
            )
            claims.append(LLMClaim(text=quoted, fact_id=facts[0].id))
        lines.append(offer.value_proposition if _in_language(offer.value_proposition, language)
                     else value.format(product=offer.product))
        first_proof = offer.proof_points[0] if offer.proof_points else None
        lines.append(first_proof if first_proof and _in_language(first_proof, language) else proof)
    lines.append(offer.call_to_action if _in_language(offer.call_to_action, language) else ask)
    first = request.previous[0].subject if request.previous else None
    subject = f"Re: {first}" if first else f"{offer.product} – {request.company_name}"
    return LLMDraft(
        subject=subject[: spec.writer.max_subject_chars].rstrip(),
        body="\n\n".join(lines),
        claims=claims,
    )


def rubric_for(share_passed: float) -> JudgeRubric:
    """The scripted judge's rubric for a draft that passed ``share_passed`` of its checks."""
    score = 1 + round(4 * min(max(share_passed, 0.0), 1.0))
    return JudgeRubric(
        groundedness=score, personalisation=score, clarity=score, tone=score, call_to_action=score, overall=score,
        reason=f"{share_passed:.0%} of the deterministic checks passed (scripted judge)",
    )


def pairwise_for(first_share: float, second_share: float) -> PairwiseVerdict:
    """The scripted pairwise verdict: the larger share of passed checks wins, equal is a tie."""
    if first_share == second_share:
        return PairwiseVerdict(winner="tie", reason="equal share of passed checks (scripted judge)")
    return PairwiseVerdict(
        winner="A" if first_share > second_share else "B", reason="more checks passed (scripted judge)"
    )


Answers = dict[type[BaseModel], Callable[[], BaseModel]]


def responder(answers: Answers) -> Callable[[ScriptedCall], Any]:
    """A ScriptedLLM ``respond`` function answering each schema (or a subclass of it) from ``answers``.

    Subclasses count: the writer narrows ``LLMDraft`` per lead (its fact ids become an enum),
    and ScriptedLLM validates the answer against the narrowed class. A request for a schema
    without an answer is an error naming it, so a suite that starts asking a new question
    fails loudly instead of scoring garbage.
    """

    def respond(call: ScriptedCall) -> BaseModel:
        schema = call.schema
        answer = next((make for base, make in answers.items() if schema and issubclass(schema, base)), None)
        if answer is None:
            wanted = schema.__name__ if schema else "free text"
            known = ", ".join(sorted(s.__name__ for s in answers)) or "nothing"
            raise AssertionError(f"the scripted eval model answers {known}, not {wanted}")
        return answer()

    return respond


def research_answers() -> Answers:
    """The scripted research model: an empty summary."""
    return {ResearchSummary: ResearchSummary}
