"""Stage 1 of the reply cascade: what headers and message structure say for certain.

* Bounces: RFC 3464 delivery status reports (``multipart/report;
  report-type=delivery-status``, ``Action: failed|delayed``, ``Status: 5.x.x`` hard /
  ``4.x.x`` soft), classic mailer-daemon and Exchange/Notes/qmail notices without one.
* Opt-outs: unambiguous unsubscribe / objection wording in human mail ("Art. 21 DSGVO",
  "bitte austragen", "remove me from your list"): a legal duty, so not left to chance.
* Automatic mail: RFC 3834 ``Auto-Submitted`` (anything but ``no``), ``X-Autoreply``,
  ``X-Autorespond``, ``Precedence: bulk|junk|auto_reply``, read receipts (RFC 8098) and
  delivery receipts, out-of-office subjects in English and German.

A rule either decides a label with high confidence, or only says "automatic" and leaves
out-of-office versus auto-reply to the trained model. It never guesses about human mail.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32

from agents.reply_types import BounceKind, ReplyInput, ReplyLabel

RULE_CONFIDENCE = 0.97
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([45])\d\d(?=[ -]|$)", re.MULTILINE)
_ACTION = re.compile(r"^action:\s*(failed|delayed|delivered|relayed|expanded)\s*$", re.IGNORECASE | re.MULTILINE)
_STATUS_FIELD = re.compile(r"^status:\s*([245]\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)
_RECIPIENT_FIELD = re.compile(r"^final-recipient:\s*rfc822;\s*<?([^\s>]+@[^\s>]+)>?", re.IGNORECASE | re.MULTILINE)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|microsoftexchange[0-9a-f]*|bounces?)$", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|returned to sender|delivery status notification|delivery (has )?failed|"
    r"mail delivery failed|delivery failure|failure notice|delayed mail|delivery delayed|"
    r"could not send message|message .{0,40}delayed|not delivered|unzustellbar|nicht zustellbar|"
    r"zustellungsfehler|zustellung (fehlgeschlagen|verzögert)|verzögerte nachricht|nachricht abgewiesen|"
    r"nachricht verzögert|delivery_failure|undelivered",
    re.IGNORECASE,
)
_FAILURE_BODY = re.compile(
    r"could ?n[o']t be delivered|could not deliver|wasn't delivered|was not delivered|delivery has failed|"
    r"undeliverable|permanent (fatal )?error|not (yet )?been delivered|user unknown|no such user|"
    r"address (couldn't|could not) be found|recipient address rejected|mailbox (full|unavailable)|"
    r"does not exist|unable to deliver|delivery (is )?delayed|still undelivered|"
    r"nicht zugestellt|nicht übermittelt|nicht erreichbar:|unbekannt|existiert nicht|"
    r"zustellung .{0,30}(fehlgeschlagen|verzögert)|konnte nicht .{0,40}zugestellt|abgewiesen",
    re.IGNORECASE,
)
_SOFT_BODY = re.compile(
    r"will (be retried|keep trying|retry)|still being retried|warning only|not (yet )?been delivered yet|"
    r"message not delivered yet|temporary|temporarily|mailbox (is )?full|over quota|quota exceeded|"
    r"out of storage|delivery (is )?delayed|delayed|deferred|"
    r"vorübergehend|verzögert|weitere zustellversuche|wird weiter|postfach (ist )?voll|speicherplatz",
    re.IGNORECASE,
)
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply"}
# Subjects that only automatic absence notices carry.
_OOO_SUBJECT = re.compile(
    r"out of (the )?office|abwesenheitsnotiz|\babwesend\b|\babwesenheit\b|\bim urlaub\b|"
    r"\bon (annual )?leave\b|\bon vacation\b|^\s*away\s*:|office closed|nicht im büro",
    re.IGNORECASE,
)
# Subjects of automatic mail that may be an absence notice or something else.
_AUTO_SUBJECT = re.compile(
    r"automatic reply|automatische antwort|auto[- ]?reply|auto[- ]?response|autoreply|"
    r"automatische rückantwort|réponse automatique",
    re.IGNORECASE,
)
# Subjects of acknowledgements and ticket systems.
_ACK_SUBJECT = re.compile(
    r"\[(ticket|case)?\s*#?[A-Z]*-?\d{3,}\]|\bticket\b|\bcase \d+|eingangsbestätigung|empfangsbestätigung|"
    r"request received|we (have )?received|thank you for (contacting|your (message|e-?mail|enquiry))|"
    r"your (enquiry|request|inquiry)\b|ihre anfrage|^\s*(read|gelesen|delivered|zugestellt)\s*:|"
    r"acknowledg",
    re.IGNORECASE,
)


# Opt-out wording (UWG § 7, DSGVO Art. 17/21, CAN-SPAM). A person who writes this must be
# suppressed even if the trained model hesitates: a missed objection is the costly error.
_OPT_OUT = re.compile(
    r"\bunsubscribe\b|\bopt[- ]?(?:me\s+)?out\b|"
    r"\bremove\s+(?:me|my\b|us\b|this\s+address|our\s+company|all\s+contacts)|"
    r"\btake\s+(?:me|us)\s+off\b|\bstop\s+(?:e-?mailing|sending|contacting|writing)|"
    r"\b(?:do\s+not|don'?t|never)\s+(?:contact|e-?mail|send|write)\b|\bno\s+(?:more|further)\s+(?:e-?mails|messages|marketing)|"
    r"\bobject\s+to\s+the\s+processing|\b(?:art(?:icle|\.)?\s*21)\b|\b(?:delete|erase)\s+(?:all\s+)?(?:my|personal)\s+"
    r"(?:data|details|contact)|\bleave\s+me\s+alone|"
    r"\babmelden\b|\babbestellen\b|\baustragen\b|\bwiderspr(?:echen|eche|uch)|\bwiderrufe\b|"
    r"\baus\s+(?:ihrem|ihren|dem|allen|sämtlichen|ihrer|eurem)\s+(?:verteiler|mailinglisten?|adressliste|liste|datenbank)|"
    r"\b(?:streichen|löschen|entfernen)\s+sie\s+(?:mich|meine|unser)|\bkeine\s+(?:weiteren\s+)?(?:e-?mails|mails|"
    r"nachrichten|zusendungen|werbung|kontaktaufnahmen?)\b|\bnicht\s+mehr\s+(?:zu\s+)?(?:an)?(?:schreiben|kontaktieren)|"
    r"\bunterlassen\b|\buntersagen\b|\bin\s+ruhe\b|^\W*stopp?\W*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class BounceDetails:
    """What a delivery failure report says."""

    kind: BounceKind
    status: str | None = None
    recipient: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class RuleVerdict:
    """Stage 1's finding: a decided label, or only that the mail is automatic."""

    label: ReplyLabel | None
    confidence: float
    automatic: bool
    reasons: list[str] = field(default_factory=list)
    bounce: BounceDetails | None = None


def bounce_kind_for_status(status: str) -> BounceKind:
    """5.x.x is hard, 4.x.x soft; x.2.2 (mailbox full) is soft: the address exists."""
    if status.startswith("4") or status.endswith(".2.2"):
        return "soft"
    return "hard"


def _parse(raw: str) -> Message:
    return email.message_from_string(raw, policy=compat32)


def _report_type(reply: ReplyInput, message: Message | None) -> str | None:
    if message is not None and message.get_content_type() == "multipart/report":
        return str(message.get_param("report-type") or "").lower() or "unknown"
    content_type = reply.header("content-type").lower()
    if content_type.startswith("multipart/report"):
        found = re.search(r"report-type\s*=\s*\"?([\w-]+)", content_type)
        return found.group(1) if found else "unknown"
    return None


def _status_text(message: Message | None, reply: ReplyInput) -> str:
    """The machine-readable delivery-status part, or failing that the whole text."""
    if message is not None:
        for part in message.walk():
            if part.get_content_type() == "message/delivery-status":
                payload = part.get_payload()
                if isinstance(payload, list):
                    return "\n\n".join(block.as_string() for block in payload if isinstance(block, Message))
                return str(payload)
    return reply.raw or reply.body


def _dsn_verdict(reply: ReplyInput, message: Message | None, report_type: str) -> RuleVerdict:
    if report_type == "disposition-notification":
        return RuleVerdict(
            ReplyLabel.auto_reply, 0.99, True, ["read receipt (multipart/report; disposition-notification)"]
        )
    status_text = _status_text(message, reply)
    actions = [a.lower() for a in _ACTION.findall(status_text)]
    statuses = _STATUS_FIELD.findall(status_text)
    recipient = next(iter(_RECIPIENT_FIELD.findall(status_text)), None)
    if actions and all(a in {"delivered", "relayed", "expanded"} for a in actions):
        return RuleVerdict(ReplyLabel.auto_reply, 0.98, True, [f"delivery receipt (Action: {actions[0]})"])
    status = statuses[0] if statuses else None
    if status is not None:
        kind = bounce_kind_for_status(status)
    elif "delayed" in actions:
        kind = "soft"
    else:
        kind = _kind_from_text(reply.body)[0]
    if "delayed" in actions and "failed" not in actions:
        kind = "soft"
    action = actions[0] if actions else "unknown"
    reason = f"delivery status report: Action: {action}, Status: {status or 'none'}"
    return RuleVerdict(
        ReplyLabel.bounce,
        0.99,
        True,
        [reason],
        BounceDetails(kind=kind, status=status, recipient=recipient, reason=reason),
    )


def _kind_from_text(text: str) -> tuple[BounceKind, str | None]:
    """Hard or soft from an enhanced status code, else an SMTP code, else the wording."""
    found = _STATUS.search(text)
    if found:
        status = found.group(0)
        return bounce_kind_for_status(status), status
    code = _SMTP_CODE.search(text)
    if code and code.group(1) == "4":
        return "soft", None
    if code:
        return ("soft" if _SOFT_BODY.search(text) else "hard"), None
    return ("soft" if _SOFT_BODY.search(text) else "hard"), None


def bounce_details(reply: ReplyInput) -> BounceDetails:
    """Hard/soft, status and failed address of a bounce, from its report or its wording."""
    message = _parse(reply.raw) if reply.raw else None
    report_type = _report_type(reply, message)
    if report_type == "delivery-status":
        verdict = _dsn_verdict(reply, message, report_type)
        if verdict.bounce is not None:
            return verdict.bounce
    kind, status = _kind_from_text(reply.body)
    if status is None and _SOFT_BODY.search(reply.body):
        kind = "soft"
    addresses = [a.lower() for a in _ADDRESS.findall(reply.header("x-failed-recipients") or reply.body)]
    return BounceDetails(kind=kind, status=status, recipient=next(iter(addresses), None), reason="notice text")


def automatic_reasons(reply: ReplyInput) -> list[str]:
    """The header evidence that a machine sent this mail (empty for human mail)."""
    reasons = []
    auto_submitted = reply.header("auto-submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        reasons.append(f"Auto-Submitted: {auto_submitted}")
    for name in ("x-autoreply", "x-autorespond"):
        if name in reply.headers:
            reasons.append(f"{name} header")
    precedence = reply.header("precedence").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        reasons.append(f"Precedence: {precedence}")
    return reasons


def _sender_is_daemon(reply: ReplyInput) -> bool:
    senders = reply.addresses("from")
    if not senders:
        local = reply.header("from").strip().partition("@")[0].strip("<> ")
        return bool(_DAEMON.match(local))
    return any(_DAEMON.match(address.partition("@")[0]) for _, address in senders)


def _notice_verdict(reply: ReplyInput) -> RuleVerdict | None:
    """A bounce without a machine-readable report: two independent signs are needed."""
    signs = {
        "sender is a mail system": _sender_is_daemon(reply),
        "NDR header": "x-failed-recipients" in reply.headers or "x-ms-exchange-message-is-ndr" in reply.headers,
    }
    content = {
        "bounce subject": bool(_BOUNCE_SUBJECT.search(reply.subject)),
        "failure wording": bool(_FAILURE_BODY.search(reply.body)),
    }
    if not any(content.values()) or (not any(signs.values()) and not all(content.values())):
        return None
    evidence = [name for name, present in (*signs.items(), *content.items()) if present]
    return RuleVerdict(
        ReplyLabel.bounce, RULE_CONFIDENCE, True, ["bounce notice: " + ", ".join(evidence)], bounce_details(reply)
    )


def apply_rules(reply: ReplyInput) -> RuleVerdict | None:
    """Stage 1: a verdict from headers and structure, or None for mail that looks human."""
    message = _parse(reply.raw) if reply.raw else None
    report_type = _report_type(reply, message)
    if report_type in {"delivery-status", "disposition-notification"}:
        return _dsn_verdict(reply, message, report_type)
    notice = _notice_verdict(reply)
    if notice is not None:
        return notice
    reasons = automatic_reasons(reply)
    if _OOO_SUBJECT.search(reply.subject):
        return RuleVerdict(ReplyLabel.out_of_office, RULE_CONFIDENCE, True, [*reasons, "out-of-office subject"])
    if _AUTO_SUBJECT.search(reply.subject):
        reasons.append("automatic-reply subject")
    elif reasons and _ACK_SUBJECT.search(reply.subject):
        return RuleVerdict(ReplyLabel.auto_reply, 0.95, True, [*reasons, "acknowledgement subject"])
    if reasons:
        return RuleVerdict(None, 0.0, True, reasons)
    opt_out = _OPT_OUT.search(reply.text or reply.body)
    if opt_out:
        return RuleVerdict(ReplyLabel.unsubscribe, 0.95, False, [f"opt-out wording: {opt_out.group(0).strip()!r}"])
    return None
