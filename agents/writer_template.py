"""The ``template`` strategy: the campaign's step template, personalised deterministically.

Personalisation quotes a sourced fact verbatim inside a fixed, grammatical frame — the
newest news headline with its date, else a product line or a description sentence from
the website — and cites that fact as the claim. The offline default (the embedded model
is no writer) and the fallback when a model fails.

Template placeholders: ``{company} {first_name} {last_name} {full_name} {role} {product}
{value_proposition} {call_to_action} {proof_point} {sender_name} {sender_title}
{sender_company} {personalization} {previous_subject}``. An unknown name is a campaign
error; a known one without a value (say ``{first_name}`` for an unnamed contact) is left
in place, so the placeholder guardrail flags that draft for the rep. ``{personalization}``
belongs on its own line; without it the personal sentence opens the mail. A repair round
drops the personalisation (the neutral variant); there is nothing further to change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from agents.campaign import CampaignSpec, StepTemplate
from agents.guardrail_rules import refers_to_previous, thread_subject
from agents.language import detect_language
from agents.profile import CompanyProfile, Fact
from agents.text_signals import digit_runs
from agents.writer_types import Candidate, Claim, DraftRequest, Language, WriterConfigError

PHRASES_VERSION = "p1"
PLACEHOLDERS = frozenset(
    {
        "company", "first_name", "last_name", "full_name", "role", "product", "value_proposition",
        "call_to_action", "proof_point", "sender_name", "sender_title", "sender_company",
        "personalization", "previous_subject",
    }
)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_DE_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DATE_IN_TEXT = re.compile(
    r"^\s*(?P<a>\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4})\s*[:|–—-]\s*(?P<t1>.+)$"
    r"|^(?P<t2>.+?)\s*[(|–—-]\s*(?P<b>\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4})\)?\s*$"
)
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

DEFAULT_TEMPLATES: dict[Language, dict[str, StepTemplate]] = {
    "de": {
        "initial": StepTemplate(
            subject="{product} für {company}",
            body="{personalization}\n\nMein Name ist {sender_name} von {sender_company}. Wir bieten "
            "{product} an. {value_proposition}\n\n{call_to_action}",
        ),
        "follow_up": StepTemplate(
            subject="Re: {previous_subject}",
            body="Vor einigen Tagen schrieb ich Ihnen zu „{previous_subject}“. Ich möchte nicht aufdringlich "
            "sein und frage deshalb nur noch einmal kurz nach: Ist {product} für {company} derzeit ein Thema, "
            "oder ist jemand anderes bei Ihnen dafür zuständig?\n\nWenn es gerade nicht passt, ist das "
            "völlig in Ordnung – eine kurze Antwort genügt.",
        ),
    },
    "en": {
        "initial": StepTemplate(
            subject="{product} for {company}",
            body="{personalization}\n\nI am {sender_name} from {sender_company}. We offer {product}. "
            "{value_proposition}\n\n{call_to_action}",
        ),
        "follow_up": StepTemplate(
            subject="Re: {previous_subject}",
            body="A few days ago I wrote to you about “{previous_subject}”. I do not want to be a bother, so "
            "just one short question: is {product} a topic for {company} right now, or is someone else on "
            "your team responsible for it?\n\nIf the timing is wrong, that is perfectly fine – a short reply "
            "is enough.",
        ),
    },
}


@dataclass(frozen=True)
class Personalisation:
    """A personal sentence and the claim (fact) it rests on."""

    sentence: str
    claim: Claim


def format_date(raw: str, language: Language) -> str:
    """ISO dates in the reader's format (12.03.2024 / 12 March 2024); anything else verbatim."""
    match = _ISO_DATE.match(raw.strip())
    if not match:
        return raw.strip()
    year, month, day = (int(g) for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return raw.strip()
    if language == "de":
        return f"{day:02d}.{month:02d}.{year}"
    return f"{day} {_MONTHS_EN[month - 1]} {year}"


def _sort_key(raw: str | None) -> tuple[int, int, int]:
    if raw:
        iso = _ISO_DATE.match(raw.strip())
        if iso:
            return int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
        de = _DE_DATE.match(raw.strip())
        if de:
            return int(de.group(3)), int(de.group(2)), int(de.group(1))
    return (0, 0, 0)


def _quotable(text: str, limit: int) -> bool:
    return 8 <= len(text) <= limit and "\n" not in text and "http" not in text and "{" not in text


def _news(profile: CompanyProfile) -> list[tuple[str, str | None, Fact]]:
    """(headline, date, fact) of news the profile can cite, newest first."""
    found: list[tuple[str, str | None, Fact]] = []
    cited: set[str] = set()
    for item in profile.news:
        title = item.title.strip()
        fact = next((f for f in profile.facts if title and title in f.text), None)
        if fact is not None and _quotable(title, 160):
            found.append((title, item.date, fact))
            cited.add(fact.id)
    for fact in profile.facts:
        if fact.kind != "news" or fact.id in cited:
            continue
        match = _DATE_IN_TEXT.match(fact.text)
        title = (match.group("t1") or match.group("t2")) if match else fact.text
        when = (match.group("a") or match.group("b")) if match else None
        title = title.strip().strip("„“”\"")
        if _quotable(title, 160):
            found.append((title, when, fact))
    return sorted(found, key=lambda entry: _sort_key(entry[1]), reverse=True)


def _quote(text: str, language: Language) -> str:
    return f"„{text}“" if language == "de" else f"“{text}”"


def _fits(text: str, language: Language) -> bool:
    """Not clearly in the other language (a German quote in an English mail reads oddly)."""
    guess = detect_language(text, min_hits=2).language
    return guess is None or guess == language


def personalisations(profile: CompanyProfile, language: Language) -> list[Personalisation]:
    """Candidate personal sentences, best first: news, then product, then description.

    Only facts not clearly written in the other language are quoted.
    """
    out: list[Personalisation] = []
    for title, when, fact in _news(profile):
        if not _fits(title, language):
            continue
        quoted = _quote(title, language)
        shown = format_date(when, language) if when else None
        if language == "de":
            sentence = (
                f"In Ihren Neuigkeiten vom {shown} habe ich die Meldung {quoted} gelesen."
                if shown
                else f"In Ihren Neuigkeiten habe ich die Meldung {quoted} gelesen."
            )
        else:
            sentence = (
                f"I read your news from {shown}: {quoted}." if shown else f"I read your news: {quoted}."
            )
        # the claim carries the date as the fact writes it, and only when the fact has it
        dated = bool(when) and digit_runs(when or "") <= digit_runs(fact.text)
        claim_text = f"{quoted} ({when})" if dated else quoted
        out.append(Personalisation(sentence, Claim(text=claim_text, fact_id=fact.id)))
    for fact in profile.facts:
        text = fact.text.strip()
        if fact.kind == "product" and _quotable(text, 80) and _fits(text, language):
            quoted = _quote(text.rstrip("."), language)
            sentence = (
                f"Auf Ihrer Website stellen Sie {quoted} vor."
                if language == "de"
                else f"On your website you present {quoted}."
            )
            out.append(Personalisation(sentence, Claim(text=quoted, fact_id=fact.id)))
    for fact in profile.facts:
        text = fact.text.strip()
        one_sentence = len(re.findall(r"[.!?](\s|$)", text)) <= 1
        if fact.kind == "description" and _quotable(text, 180) and one_sentence and _fits(text, language):
            quoted = _quote(text, language)
            lead = "Auf Ihrer Website schreiben Sie:" if language == "de" else "Your website says:"
            end = "" if text[-1] in ".!?" else "."
            out.append(Personalisation(f"{lead} {quoted}{end}", Claim(text=quoted, fact_id=fact.id)))
    return out


def step_template(spec: CampaignSpec, step: int, language: Language) -> tuple[StepTemplate, bool]:
    """The campaign's template for this step and language, else the built-in one (and whether built-in)."""
    own = spec.step(step).templates.get(language)
    if own is not None:
        return own, False
    return DEFAULT_TEMPLATES[language]["initial" if step == 1 else "follow_up"], True


def fill(text: str, values: dict[str, str | None], *, where: str) -> str:
    """Replace ``{name}`` placeholders; unknown names raise, names without a value stay."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            allowed = ", ".join(sorted(PLACEHOLDERS))
            raise WriterConfigError(f"{where}: unknown placeholder {{{name}}}; use one of: {allowed}")
        value = values.get(name)
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(replace, text)


class TemplateStrategy:
    """Drafts from the step template; the repair round is the neutral (unpersonalised) variant."""

    name = "template"
    prompt_id = "template"

    def __init__(self, request: DraftRequest, *, language: Language) -> None:
        self.request = request
        self.language = language
        self.template, self.built_in = step_template(request.spec, request.step, language)
        self.where = (
            f"built-in {language} template"
            if self.built_in
            else f"sequence step {request.step} template '{language}'"
        )
        for part in (self.template.subject, self.template.body):
            fill(part, {}, where=self.where)  # unknown placeholders fail before any drafting
        used = " ".join(p.body for p in request.previous)
        # a follow-up never repeats the observation an earlier mail already made
        options = [p for p in personalisations(request.profile, language) if p.claim.text not in used]
        # without a {personalization} slot only the first mail opens with the observation
        wanted = request.step == 1 or "{personalization}" in self.template.body
        self.personal = options[0] if options and wanted else None
        self._neutral_done = False

    @property
    def prompt_version(self) -> str:
        """Hash of the template text (and the phrase set), so reply rates attribute to it."""
        source = f"{PHRASES_VERSION}\n{self.template.subject}\n{self.template.body}"
        return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]

    def _values(self, personal: Personalisation | None) -> dict[str, str | None]:
        request, spec = self.request, self.request.spec
        recipient = request.recipient
        previous = thread_subject(request.previous) or None
        return {
            "company": request.company_name,
            "first_name": recipient.first_name,
            "last_name": recipient.last_name,
            "full_name": recipient.full_name or None,
            "role": recipient.role,
            "product": spec.offer.product,
            "value_proposition": spec.offer.value_proposition,
            "call_to_action": spec.offer.call_to_action,
            "proof_point": spec.offer.proof_points[0] if spec.offer.proof_points else None,
            "sender_name": spec.sender.name,
            "sender_title": spec.sender.title,
            "sender_company": spec.sender.legal.company_name,
            "personalization": personal.sentence if personal else "",
            "previous_subject": previous,
        }

    def _render(self, personal: Personalisation | None) -> Candidate:
        values = self._values(personal)
        subject = fill(self.template.subject, values, where=self.where)
        body = fill(self.template.body, values, where=self.where)
        if personal is not None and "{personalization}" not in self.template.body:
            body = f"{personal.sentence}\n\n{body}"
        request = self.request
        if request.step > 1 and request.previous and not refers_to_previous(
            subject, body, request.previous, self.language
        ):
            quoted = _quote(thread_subject(request.previous), self.language)
            opener = (
                f"Vor einigen Tagen schrieb ich Ihnen zu {quoted}."
                if self.language == "de"
                else f"A few days ago I wrote to you about {quoted}."
            )
            body = f"{opener}\n\n{body}"
        claims = [personal.claim] if personal else []
        note = "personalised from a fact" if personal else "neutral variant (no personalisation)"
        return Candidate(subject=subject.strip(), text=body, claims=claims, note=note)

    async def draft(self, previous: Candidate | None = None, failures: list[str] | None = None) -> Candidate | None:
        """First: personalised (if a fact allows). Repair: the neutral variant once, then nothing."""
        if previous is None:
            return self._render(self.personal)
        if self.personal is None or self._neutral_done:
            return None
        self._neutral_done = True
        return self._render(None)
