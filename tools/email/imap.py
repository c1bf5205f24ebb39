"""Poll an IMAP folder: fetch UNSEEN mail, store it, and only then mark it seen.

Stdlib ``imaplib`` is enough: polling is a short, sequential job (``outreach inbox poll``,
cron or a worker loop) and needs no event loop. Order per message: ``BODY.PEEK[]`` (does
not set \\Seen) → ingest and COMMIT → ``STORE +FLAGS (\\Seen)``. A crash between commit and
flag leaves the mail unseen; the next poll fetches it again and the Message-ID dedupe
stores it once. Mail that is not parseable stays unseen in the mailbox for a human: it is
recorded as an ``inbox.unreadable`` audit event (folder, UIDVALIDITY, UID, error), which
later polls skip, and flagged ``$OutreachFailed`` where the server allows keywords
(Exchange and pymap do not, hence the audit record).
"""

from __future__ import annotations

import hashlib
import imaplib
import ipaddress
import logging
import ssl
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tools.crm.db import session_scope
from tools.crm.models import AuditEvent
from tools.email.errors import ImapError, ParseError
from tools.email.ingest import store_raw_email
from tools.settings import Settings

log = logging.getLogger(__name__)

FAILED_KEYWORD = "$OutreachFailed"
UNREADABLE = "inbox.unreadable"


@dataclass
class PollReport:
    """What one poll did."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check(response: tuple[str, Any], what: str) -> Any:
    status, data = response
    if status != "OK":
        detail = data[0].decode(errors="replace") if data and isinstance(data[0], bytes) else data
        raise ImapError(f"IMAP {what} failed: {detail}")
    return data


def _connect(settings: Settings, timeout: float, ssl_context: ssl.SSLContext | None) -> imaplib.IMAP4:
    host = settings.imap_host
    if not host:
        raise ImapError("IMAP is not configured: set OUTREACH_IMAP_HOST (and _USERNAME, _PASSWORD)")
    if not settings.imap_username or settings.imap_password is None:
        raise ImapError("IMAP login is not configured: set OUTREACH_IMAP_USERNAME and OUTREACH_IMAP_PASSWORD")
    context = ssl_context or ssl.create_default_context()
    try:
        if settings.imap_ssl:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, settings.imap_port, ssl_context=context,
                                                      timeout=timeout)
        else:
            client = imaplib.IMAP4(host, settings.imap_port, timeout=timeout)
            if "STARTTLS" in client.capabilities:
                client.starttls(ssl_context=context)
            elif not _is_loopback(host):
                client.logout()
                raise ImapError(
                    f"refusing to send the IMAP password unencrypted to {host}: "
                    "set OUTREACH_IMAP_SSL=true or use a server that offers STARTTLS"
                )
        client.login(settings.imap_username, settings.imap_password.get_secret_value())
    except (imaplib.IMAP4.error, OSError) as exc:
        raise ImapError(f"cannot log in to IMAP {host}:{settings.imap_port}: {exc}") from exc
    return client


def _message_bytes(data: Any) -> bytes | None:
    for item in data or []:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_mailbox(
    engine: Engine,
    settings: Settings,
    *,
    limit: int | None = None,
    timeout: float = 30.0,
    ssl_context: ssl.SSLContext | None = None,
) -> PollReport:
    """Fetch UNSEEN mail from ``settings.imap_folder`` and ingest it (see module docstring)."""
    client = _connect(settings, timeout, ssl_context)
    report = PollReport()
    try:
        _check(client.select(_quote(settings.imap_folder)), f"SELECT {settings.imap_folder}")
        _, validity = client.response("UIDVALIDITY")
        mailbox = _mailbox_key(settings.imap_folder, validity[0] if validity and validity[0] else b"0")
        found = _check(client.uid("SEARCH", "UNSEEN"), "SEARCH")
        uids = [uid.decode() for uid in (found[0].split() if found and found[0] else [])]
        skip = _known_unreadable(engine, mailbox, uids)
        todo = [uid for uid in uids if uid not in skip]
        for uid in todo[:limit] if limit is not None else todo:
            _poll_one(client, engine, settings, uid, mailbox, report)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise ImapError(f"IMAP session with {settings.imap_host} failed: {exc}") from exc
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError) as exc:
            log.debug("IMAP logout failed: %s", exc)
    return report


def _mailbox_key(folder: str, validity: bytes) -> str:
    """Names one folder incarnation: UIDs are only stable within a UIDVALIDITY."""
    return f"{hashlib.sha256(folder.encode()).hexdigest()[:12]}:{validity.decode(errors='replace')[:20]}"


def _known_unreadable(engine: Engine, mailbox: str, uids: list[str]) -> set[str]:
    if not uids:
        return set()
    keys = [f"{mailbox}:{uid}" for uid in uids]
    with Session(engine) as session:
        known = session.exec(
            select(AuditEvent.entity_id)
            .where(AuditEvent.action == UNREADABLE)
            .where(col(AuditEvent.entity_id).in_(keys))
        ).all()
    return {str(key).rpartition(":")[2] for key in known}


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _poll_one(
    client: imaplib.IMAP4, engine: Engine, settings: Settings, uid: str, mailbox: str, report: PollReport
) -> None:
    raw = _message_bytes(_check(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}"))
    if raw is None:
        return  # expunged meanwhile
    report.fetched += 1
    try:
        with session_scope(engine) as session:
            inbound, created = store_raw_email(session, raw, settings=settings)
            matched = inbound.lead_id is not None
    except ParseError as exc:
        report.failed.append(f"uid {uid}: {exc}")
        with session_scope(engine) as session:
            session.add(AuditEvent(
                actor="imap", action=UNREADABLE, entity_type="imap_message", entity_id=f"{mailbox}:{uid}",
                data={"folder": settings.imap_folder, "uid": uid, "error": str(exc), "size": len(raw)},
            ))
        client.uid("STORE", uid, "+FLAGS", f"({FAILED_KEYWORD})")  # best effort, see module docstring
        return
    # Committed: only now may the mail count as seen.
    _check(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), f"STORE {uid}")
    if not created:
        report.duplicates += 1
        return
    report.stored += 1
    if matched:
        report.matched += 1
    else:
        report.unmatched += 1
