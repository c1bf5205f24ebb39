"""The llm strategy end to end with a scripted model: pass, repair, flag, fall back, recall."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agents.campaign import CampaignSpec
from agents.nodes.writer import choose_strategy, draft_email, is_capable
from agents.profile import Fact
from agents.testing import ScriptedLLM
from agents.writer_llm import LLMClaim, LLMDraft, draft_schema, token_budget
from agents.writer_types import DraftRequest, WriterConfigError
from memory.types import Interaction

GOOD_TEXT = (
    "In Ihren Neuigkeiten habe ich gelesen, dass Müller Maschinenbau eine neue Montagehalle in Stuttgart "
    "eröffnet. Mit mehr Maschinen beim Kunden wächst auch der Aufwand im Vertrieb.\n\n"
    "Unser Cloud-CRM für den Mittelstand zeigt Ihrem Vertrieb alle Kundenkontakte, Angebote und "
    "Wartungsverträge an einem Ort.\n\n"
    "Hätten Sie in der kommenden Woche 15 Minuten für ein kurzes Gespräch?"
)
ENGLISH_TEXT = (
    "I read that you are opening a new assembly hall, and I would like to show you how our CRM can help "
    "your sales team keep every customer contact, quote and service contract in one place. Would you have "
    "some time next week for a short call with me about it?"
)


def answer(
    fact_id: str,
    *,
    text: str = GOOD_TEXT,
    subject: str = "Ihre neue Montagehalle in Stuttgart",
    claim: str = "neue Montagehalle in Stuttgart",
) -> LLMDraft:
    return LLMDraft(subject=subject, body=text, claims=[LLMClaim(text=claim, fact_id=fact_id)])


async def test_grounded_draft_passes_first_time(request_de: DraftRequest, news_fact: Fact) -> None:
    polite = "Sehr geehrte Frau Schmidt,\n\n" + GOOD_TEXT + "\n\nMit freundlichen Grüßen\nErika Mustermann"
    llm = ScriptedLLM([answer(news_fact.id, text=polite)])
    result = await draft_email(request_de, llm=llm)
    llm.assert_complete()
    assert len(llm.calls) == 1
    assert result.strategy == "llm" and "capable" in result.strategy_reason
    assert (result.prompt_id, result.prompt_version) == ("writer", "2")
    assert not result.flagged and result.repair_rounds == 0
    assert result.body.startswith("Sehr geehrte Frau Schmidt,\n\nin Ihren Neuigkeiten")
    assert result.body.count("Sehr geehrte Frau Schmidt") == 1
    assert result.body.count("Mit freundlichen Grüßen") == 1
    assert "Registergericht: Amtsgericht Charlottenburg, HRB 123456 B" in result.body
    assert result.claims[0].fact_id == news_fact.id
    assert result.body_html is not None and result.body_html.startswith("<p>Sehr geehrte Frau Schmidt,</p>")
    call = llm.calls[0]
    assert call.context is not None and (call.context.prompt_id, call.context.prompt_version) == ("writer", "2")
    assert call.context.agent == "writer" and call.context.lead_id == "lead-1"
    assert call.temperature == 0.4
    assert news_fact.id in call.prompt_text and "Sehr geehrte Frau Schmidt," in call.prompt_text


def _with(text_change: Callable[[str], str]) -> Callable[[str], LLMDraft]:
    return lambda fact_id: answer(fact_id, text=text_change(GOOD_TEXT))


BAD_ANSWERS: dict[str, tuple[Callable[[str], LLMDraft], str]] = {
    "invented claim": (
        lambda fact_id: answer(fact_id, claim="neue Montagehalle in München mit 300 Mitarbeitenden"),
        "grounded_claims",
    ),
    "invented number": (_with(lambda t: t + "\n\nSeit 1987 sind wir Marktführer."), "unsupported_specifics"),
    "placeholder": (
        _with(lambda t: t.replace("Unser Cloud-CRM", "Hallo {first_name}, unser Cloud-CRM")),
        "placeholders",
    ),
    "wrong language": (lambda fact_id: answer(fact_id, text=ENGLISH_TEXT, claim="new assembly hall"), "language"),
    "fake Re:": (lambda fact_id: answer(fact_id, subject="Re: Ihre neue Montagehalle"), "reply_prefix"),
    "informal du": (_with(lambda t: t.replace("Hätten Sie", "Hättest du")), "formal_address"),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
async def test_a_failing_draft_is_repaired_with_the_reasons(
    case: str, request_de: DraftRequest, news_fact: Fact
) -> None:
    bad, check = BAD_ANSWERS[case]
    llm = ScriptedLLM([bad(news_fact.id), answer(news_fact.id)])
    result = await draft_email(request_de, llm=llm)
    llm.assert_complete()
    assert len(llm.calls) == 2
    assert not result.flagged and result.repair_rounds == 1
    assert result.attempts[0].failures and result.attempts[0].failures[0].startswith(f"{check}:")
    repair_request = llm.calls[1].messages
    assert repair_request[-2]["role"] == "assistant"  # the failed answer goes back to the model
    assert repair_request[-1]["role"] == "user" and f"- {check}:" in repair_request[-1]["content"]
    assert llm.calls[1].temperature == 0.2
    assert result.subject == "Ihre neue Montagehalle in Stuttgart"


async def test_flagged_after_two_failed_repairs(request_de: DraftRequest, news_fact: Fact) -> None:
    bad = answer(news_fact.id, subject="AW: Montagehalle")
    llm = ScriptedLLM([bad, bad, bad])
    result = await draft_email(request_de, llm=llm)
    llm.assert_complete()
    assert len(llm.calls) == 3
    assert result.flagged and result.repair_rounds == 2
    assert any(reason.startswith("reply_prefix:") for reason in result.flagged_reasons)
    assert [a.round for a in result.attempts] == [0, 1, 2]
    assert result.strategy == "llm"


async def test_follow_up_references_the_first_mail(
    follow_up_de: Callable[..., DraftRequest], news_fact: Fact
) -> None:
    first_body = "Sehr geehrte Frau Schmidt,\n\n" + GOOD_TEXT
    request = follow_up_de("Ihre neue Montagehalle in Stuttgart", first_body)
    follow_text = (
        "vor einigen Tagen schrieb ich Ihnen zu Ihrer neuen Halle. Ein Gedanke dazu: Unsere Kunden sehen vor "
        "jedem Besuch auf einen Blick, welche Maschinen beim Kunden laufen und wann die nächste Wartung ansteht. "
        "So wird aus dem Servicetermin ein Verkaufsgespräch. Hätten Sie in der kommenden Woche 15 Minuten?"
    )
    no_reference = follow_text.replace("vor einigen Tagen schrieb ich Ihnen zu Ihrer neuen Halle. ", "")
    llm = ScriptedLLM(
        [
            LLMDraft(subject="Ein Gedanke zur Wartung", body=no_reference, claims=[]),
            LLMDraft(subject="Re: Ihre neue Montagehalle in Stuttgart", body=follow_text, claims=[]),
        ]
    )
    result = await draft_email(request, llm=llm)
    llm.assert_complete()
    prompt = llm.calls[0].prompt_text
    assert "Earlier mail" in prompt and "Ihre neue Montagehalle in Stuttgart" in prompt
    assert "Mit mehr Maschinen beim Kunden" in prompt  # the earlier message itself, for not repeating it
    assert result.attempts[0].failures[0].startswith("follow_up_reference:")
    assert not result.flagged and result.subject == "Re: Ihre neue Montagehalle in Stuttgart"
    assert "vor einigen Tagen schrieb ich Ihnen" in result.body


async def test_schema_failure_falls_back_to_the_template(request_de: DraftRequest) -> None:
    # the model layer already re-asks for the schema, so the writer does not ask again
    llm = ScriptedLLM(["I am sorry, here is an email: ..."])
    result = await draft_email(request_de, llm=llm)
    llm.assert_complete()
    assert len(llm.calls) == 1
    assert result.strategy == "template" and result.prompt_id == "template"
    assert result.flagged and result.flagged_reasons[0].startswith("writer: the model's answer did not fit")
    assert "template strategy drafted" in result.strategy_reason
    assert result.attempts[0].failures[0].startswith("output_format:")
    assert "„Müller Maschinenbau eröffnet neue Montagehalle in Stuttgart“" in result.body


async def test_prompt_variant_selects_an_older_version(request_de: DraftRequest, news_fact: Fact) -> None:
    llm = ScriptedLLM([answer(news_fact.id)])
    result = await draft_email(request_de, llm=llm, prompt_variant="writer@1")
    llm.assert_complete()
    assert (result.prompt_id, result.prompt_version) == ("writer", "1")
    assert llm.calls[0].temperature == 0.3


async def test_rep_instruction_reaches_the_prompt(request_de: DraftRequest, news_fact: Fact) -> None:
    llm = ScriptedLLM([answer(news_fact.id)])
    await draft_email(request_de, llm=llm, instruction="Bitte kürzer und ohne Fachbegriffe.")
    llm.assert_complete()
    assert "Bitte kürzer und ohne Fachbegriffe." in llm.calls[0].prompt_text


async def test_recall_puts_rep_edits_history_and_good_mails_into_the_prompt(
    request_de: DraftRequest, news_fact: Fact, list_memory: object
) -> None:
    from agents.rep_edits import style_examples

    memory = list_memory
    assert hasattr(memory, "add")
    memory.add(  # type: ignore[attr-defined]
        [
            Interaction(
                id="rep_edit:1", kind="rep_edit", campaign="writer-de", text="Maschinenbau Vertrieb: kürzer, direkter",
                extra={"before": "Lange Einleitung über Cloud-CRM und Mittelstand", "draft_id": "d1"},
            ),
            Interaction(
                id="rep_edit:other", kind="rep_edit", campaign="another-campaign", text="Maschinenbau ganz anders",
                extra={"before": "x"},
            ),
            Interaction(
                id="sent:1", kind="sent_email", outcome="positive", company="kunde.example",
                text="Sehr geehrter Herr Weber,\n\nWartungsverträge im Maschinenbau ...",
            ),
            Interaction(
                id="reply:1", kind="reply", contact="contact-anna", company="mueller-maschinenbau.example",
                text="Bitte melden Sie sich nach der Messe wieder.",
            ),
        ]
    )
    examples = style_examples(memory, campaign="writer-de", query="Maschinenbau Vertrieb")  # type: ignore[arg-type]
    assert [e.draft_id for e in examples] == ["d1"]
    llm = ScriptedLLM([answer(news_fact.id)])
    await draft_email(request_de, llm=llm, memory=memory)  # type: ignore[arg-type]
    llm.assert_complete()
    prompt = llm.calls[0].prompt_text
    assert "Lange Einleitung über Cloud-CRM und Mittelstand" in prompt and "kürzer, direkter" in prompt
    assert "Maschinenbau ganz anders" not in prompt  # another campaign's edits stay out
    assert "Bitte melden Sie sich nach der Messe wieder." in prompt
    assert "Wartungsverträge im Maschinenbau" in prompt


class _Named:
    def __init__(self, name: str, capable: bool | None = None) -> None:
        self.model_name = name
        if capable is not None:
            self.capable = capable


def test_strategy_rule() -> None:
    assert not is_capable(_Named("local/SmolLM2-135M-Instruct"))  # type: ignore[arg-type]
    assert not is_capable(_Named("local"))  # type: ignore[arg-type]
    assert is_capable(_Named("gpt-4o-mini"))  # type: ignore[arg-type]
    assert is_capable(_Named("local", capable=True))  # type: ignore[arg-type]
    assert not is_capable(_Named("gpt-4o", capable=False))  # type: ignore[arg-type]
    assert choose_strategy("auto", None)[0] == "template"
    assert choose_strategy("auto", _Named("local/x"))[0] == "template"  # type: ignore[arg-type]
    assert choose_strategy("auto", _Named("gpt-4o"))[0] == "llm"  # type: ignore[arg-type]
    assert choose_strategy("template", _Named("gpt-4o"))[0] == "template"  # type: ignore[arg-type]
    assert choose_strategy("llm", _Named("local/x"))[0] == "llm"  # type: ignore[arg-type]
    with pytest.raises(WriterConfigError, match="no model"):
        choose_strategy("llm", None)
    with pytest.raises(WriterConfigError, match="unknown writer strategy"):
        choose_strategy("magic", None)


async def test_auto_with_the_embedded_model_never_calls_it(request_de: DraftRequest) -> None:
    llm = ScriptedLLM([], model_name="local/SmolLM2-135M-Instruct")
    result = await draft_email(request_de, llm=llm)
    llm.assert_complete()
    assert llm.calls == [] and result.strategy == "template"
    assert "embedded model" in result.strategy_reason


async def test_forcing_llm_without_a_model_and_bad_steps_are_errors(
    request_de: DraftRequest, spec_de: CampaignSpec
) -> None:
    with pytest.raises(WriterConfigError, match="no model"):
        await draft_email(request_de, strategy="llm")
    with pytest.raises(WriterConfigError, match="no earlier mail"):
        await draft_email(request_de.model_copy(update={"step": 2}))
    from agents.campaign import CampaignError

    with pytest.raises(CampaignError, match="no sequence step 9"):
        await draft_email(request_de.model_copy(update={"step": 9}))


async def test_schema_failure_in_a_repair_round_keeps_nothing_of_the_model(
    request_de: DraftRequest, news_fact: Fact
) -> None:
    llm = ScriptedLLM([answer(news_fact.id, subject="Re: Halle"), "not json"])
    result = await draft_email(request_de, llm=llm)
    llm.assert_complete()
    assert len(llm.calls) == 2 and result.strategy == "template" and result.flagged
    assert [a.note for a in result.attempts][:2] == ["first draft", "model output did not fit the schema"]


def test_token_budget_follows_the_word_limit() -> None:
    assert token_budget(900, 180) == 740
    assert token_budget(900, 400) == 900
    assert token_budget(None, 40) == 320


async def test_a_fact_id_outside_the_list_does_not_fit_the_schema(request_de: DraftRequest, news_fact: Fact) -> None:
    llm = ScriptedLLM([answer("f_made_up")])
    result = await draft_email(request_de, llm=llm)
    llm.assert_complete()
    assert llm.calls[0].schema is not None
    enum = llm.calls[0].schema.model_json_schema()["$defs"]["LLMClaim"]["properties"]["fact_id"]["enum"]
    assert news_fact.id in enum and "f_made_up" not in enum
    assert result.strategy == "template" and result.flagged  # the model layer would have re-asked first


def test_draft_schema_bounds_what_a_constrained_model_can_generate() -> None:
    schema = draft_schema(["f_1", "f_2", "f_1"]).model_json_schema()
    claim = schema["$defs"]["LLMClaim"]["properties"]
    assert claim["fact_id"]["enum"] == ["f_1", "f_2"] and claim["text"]["maxLength"] == 200
    assert schema["properties"]["claims"]["maxItems"] == 5
    assert schema["properties"]["subject"]["maxLength"] == 150
    assert "maxLength" not in schema["properties"]["body"]
    assert draft_schema([]).model_json_schema()["properties"]["claims"]["maxItems"] == 0
