"""Where a lead's thread goes next: pure, typed decisions used by the graph nodes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ValidationError

AfterScore = Literal["draft", "finish"]
AfterApproval = Literal["send", "draft", "classify", "finish"]
AfterWait = Literal["classify", "draft", "finish"]
AfterClassify = Literal["await_reply", "draft", "finish"]


class ApprovalDecision(BaseModel):
    """How a rep answered the approval interrupt (or that a reply arrived meanwhile)."""

    kind: Literal["approval", "reply"] = "approval"
    action: Literal["approve", "edit", "reject", "regenerate"] | None = None
    actor: str = "rep"
    subject: str | None = None
    body: str | None = None
    reason: str | None = None
    instruction: str | None = None
    inbound_id: str | None = None


class WaitEvent(BaseModel):
    """What woke a thread waiting for a reply."""

    kind: Literal["reply", "timer"]
    inbound_id: str | None = None


class ResumeError(ValueError):
    """A resume value does not fit the interrupt it is meant for."""


def parse_decision(value: object) -> ApprovalDecision:
    """Validate an approval resume value; a reply event is accepted too (stop on any reply)."""
    try:
        decision = ApprovalDecision.model_validate(value)
    except ValidationError as exc:
        raise ResumeError(f"invalid approval decision: {exc.errors()[0]['msg']}") from exc
    if decision.kind == "approval" and decision.action is None:
        raise ResumeError("an approval decision needs an action")
    if decision.kind == "reply" and not decision.inbound_id:
        raise ResumeError("a reply event needs inbound_id")
    if decision.action == "edit" and not (decision.body or decision.subject):
        raise ResumeError("an edit needs a new subject or body")
    if decision.action == "reject" and not decision.reason:
        raise ResumeError("a rejection needs a reason")
    if decision.action == "regenerate" and not decision.instruction:
        raise ResumeError("a regeneration needs an instruction")
    return decision


def parse_wait_event(value: object) -> WaitEvent:
    """Validate a resume value for a thread waiting for a reply."""
    try:
        event = WaitEvent.model_validate(value)
    except ValidationError as exc:
        raise ResumeError(f"invalid wait event: {exc.errors()[0]['msg']}") from exc
    if event.kind == "reply" and not event.inbound_id:
        raise ResumeError("a reply event needs inbound_id")
    return event


def route_after_score(*, fit: bool, allowed: bool) -> AfterScore:
    """Draft only leads that fit the ICP and may lawfully be emailed."""
    return "draft" if fit and allowed else "finish"


def route_after_approval(decision: ApprovalDecision) -> AfterApproval:
    """approve/edit → send; regenerate → draft; reject → finish; a reply → classify."""
    if decision.kind == "reply":
        return "classify"
    match decision.action:
        case "approve" | "edit":
            return "send"
        case "regenerate":
            return "draft"
        case _:
            return "finish"


def route_after_wait(event: WaitEvent, *, has_next_step: bool) -> AfterWait:
    """A reply is classified; a timer drafts the next follow-up or closes a finished sequence."""
    if event.kind == "reply":
        return "classify"
    return "draft" if has_next_step else "finish"


LABEL_ROUTES: dict[str, AfterClassify] = {
    "interested": "finish",
    "question": "finish",
    "referral": "finish",
    "not_interested": "finish",
    "unsubscribe": "finish",
    "bounce": "finish",
    "not_now": "await_reply",
    "out_of_office": "await_reply",
    "auto_reply": "await_reply",
}


def route_after_classify(label: str, *, soft_bounce: bool = False, needs_review: bool = False) -> AfterClassify:
    """Escalations, refusals and hard bounces end the thread; pauses, automatic mail and replies
    awaiting a human's review wait again."""
    if needs_review or (label == "bounce" and soft_bounce):
        return "await_reply"
    return LABEL_ROUTES.get(label, "finish")
