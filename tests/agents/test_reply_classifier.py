"""The cascade's control flow: rules and a confident model decide alone; the LLM only when unsure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agents.llm import LLMUnavailable
from agents.nodes.reply_classifier import CascadeConfig, LLMReplyVerdict, classify_reply
from agents.reply_types import ReplyInput, ReplyLabel, Stage
from agents.testing import ScriptedCall, ScriptedLLM
from memory.types import Interaction
from tools.crm.models import InboundMessage

UNSURE = CascadeConfig(model_threshold=1.01, automatic_threshold=1.01)  # the model is never sure enough
SURE = CascadeConfig(model_threshold=0.0)
DATE = "Wed, 12 Mar 2025 09:00:00 +0100"


def human(body: str, subject: str = "Re: Angebot") -> ReplyInput:
    return ReplyInput.build(subject=subject, body=body, headers={"From": "Anna <anna@kunde.example>", "Date": DATE})


class FakeMemory:
    """The two Memory calls the cascade may make; records the contact asked for."""

    def __init__(self, items: list[Interaction]) -> None:
        self.items = items
        self.asked: list[str] = []

    def for_contact(self, contact: str) -> list[Interaction]:
        self.asked.append(contact)
        return self.items


async def test_a_rule_decides_without_model_or_llm() -> None:
    llm = ScriptedLLM()  # any call would fail: the script is empty
    reply = ReplyInput.build(
        subject="Abwesenheitsnotiz: Angebot",
        body="Ich bin bis einschließlich 15.01.2027 nicht im Büro.",
        headers={"From": "a@kunde.example", "Date": "Mon, 4 Jan 2027 09:00:00 +0100"},
    )
    result = await classify_reply(reply, llm=llm, config=UNSURE)
    assert (result.label, result.stage, result.is_automatic) == (ReplyLabel.out_of_office, Stage.rules, True)
    assert result.fields.return_date == date(2027, 1, 16)
    assert llm.calls == []


async def test_a_confident_model_is_not_overruled_by_the_llm() -> None:
    llm = ScriptedLLM()
    result = await classify_reply(human("Kein Interesse, danke."), llm=llm, config=SURE)
    assert result.stage is Stage.model and llm.calls == []
    assert result.scores and abs(sum(result.scores.values()) - 1) < 0.01


async def test_the_llm_is_asked_when_the_model_is_unsure_with_history() -> None:
    history = [
        Interaction(
            id="1",
            kind="sent_email",
            text="Wir bieten ein CRM für den Mittelstand.",
            contact="c1",
            at=datetime(2025, 3, 1, tzinfo=UTC),
        )
    ]
    memory = FakeMemory(history)
    llm = ScriptedLLM([LLMReplyVerdict(label=ReplyLabel.interested, confidence=0.9, reason="asks for a call")])
    result = await classify_reply(
        human("Passt Ihnen Donnerstag um 14 Uhr?"), llm=llm, memory=memory, contact_id="c1", config=UNSURE
    )
    llm.assert_complete()
    assert (result.label, result.stage, result.confidence) == (ReplyLabel.interested, Stage.llm, 0.9)
    assert result.fields.meeting_time == "2025-03-13T14:00"
    assert memory.asked == ["c1"]
    (call,) = llm.calls
    assert call.schema is LLMReplyVerdict and "Wir bieten ein CRM" in call.prompt_text
    assert "Passt Ihnen Donnerstag" in call.prompt_text and call.context is not None
    assert call.context.prompt_id == "reply_classifier"


async def test_an_unsure_llm_hands_over_to_a_human() -> None:
    llm = ScriptedLLM([LLMReplyVerdict(label=ReplyLabel.not_now, confidence=0.4)])
    result = await classify_reply(human("Hmm, schwierig gerade."), llm=llm, config=UNSURE)
    llm.assert_complete()
    assert (result.label, result.stage, result.provisional) == (ReplyLabel.not_now, Stage.human, True)
    assert result.reasons[-1] == "unsure: a human confirms the label"


async def test_llm_failure_hands_over_to_a_human_with_the_model_guess() -> None:
    llm = ScriptedLLM([LLMUnavailable("endpoint down")])
    result = await classify_reply(human("Kein Interesse."), llm=llm, config=UNSURE)
    llm.assert_complete()
    assert result.stage is Stage.human and result.provisional
    assert result.label is ReplyLabel(max(result.scores, key=lambda k: result.scores[k]))
    assert any("LLMUnavailable" in reason for reason in result.reasons)


async def test_without_an_llm_an_unsure_reply_goes_to_a_human() -> None:
    result = await classify_reply(human("Hmm."), config=UNSURE)
    assert result.stage is Stage.human and "no LLM configured" in result.reasons


async def test_the_embedded_model_is_skipped_unless_forced() -> None:
    embedded = ScriptedLLM(model_name="local/SmolLM2-135M-Instruct")
    result = await classify_reply(human("Hmm."), llm=embedded, config=UNSURE)
    assert result.stage is Stage.human and embedded.calls == []
    forced = ScriptedLLM([LLMReplyVerdict(label=ReplyLabel.question, confidence=0.95)], model_name="local/x")
    forced_result = await classify_reply(
        human("Hmm."), llm=forced, config=CascadeConfig(model_threshold=1.01, llm_policy="always")
    )
    forced.assert_complete()
    assert forced_result.stage is Stage.llm


async def test_automatic_mail_limits_the_llm_to_automatic_labels() -> None:
    def answer(call: ScriptedCall) -> LLMReplyVerdict:
        assert "answer only with one of out_of_office, auto_reply" in call.prompt_text
        return LLMReplyVerdict(label=ReplyLabel.interested, confidence=0.99)

    llm = ScriptedLLM([answer])
    reply = ReplyInput.build(
        subject="Automatische Antwort: Angebot",
        body="Danke für Ihre Nachricht.",
        headers={"From": "a@kunde.example", "Auto-Submitted": "auto-replied"},
    )
    result = await classify_reply(reply, llm=llm, config=UNSURE)
    llm.assert_complete()
    assert result.stage is Stage.human and result.label in {ReplyLabel.out_of_office, ReplyLabel.auto_reply}
    assert result.is_automatic
    assert any("contradicts the automatic headers" in reason for reason in result.reasons)


async def test_a_stored_inbound_message_is_classified_from_its_columns() -> None:
    inbound = InboundMessage(
        subject="Undelivered Mail Returned to Sender",
        from_email="mailer-daemon@mail.firma.example",
        body_text="Your message could not be delivered: 550 5.1.1 <anna@kunde.example>: User unknown",
        headers={"from": "MAILER-DAEMON@mail.firma.example", "auto-submitted": "auto-replied"},
    )
    result = await classify_reply(inbound)
    assert (result.label, result.stage, result.fields.bounce_kind) == (ReplyLabel.bounce, Stage.rules, "hard")


@pytest.mark.parametrize("text", ["Bitte nehmen Sie mich aus Ihrem Verteiler.", "Remove me from your list."])
async def test_unsubscribe_never_needs_the_llm(text: str) -> None:
    llm = ScriptedLLM()
    result = await classify_reply(human(text), llm=llm, config=UNSURE)
    assert result.label is ReplyLabel.unsubscribe and result.stage is Stage.rules and llm.calls == []


async def test_a_webhook_payload_stored_as_raw_json_is_not_parsed_as_mail() -> None:
    inbound = InboundMessage(
        subject="AW: Angebot",
        from_email="anna@kunde.example",
        body_text="Bitte austragen.",
        headers={"from": "anna@kunde.example"},
        raw='{"from": "anna@kunde.example", "text": "x"}',
    )
    result = await classify_reply(inbound)
    assert (result.label, result.stage) == (ReplyLabel.unsubscribe, Stage.rules)
