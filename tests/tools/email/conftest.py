"""Fixtures for the email tests: CRM rows to hang outbox rows on, and real mail servers on loopback.

- ``smtp_server``: aiosmtpd on 127.0.0.1 recording every accepted message (raw bytes);
  ``script`` lets a test answer the next DATA with an error code or a dropped connection.
- ``tls_smtp_server``: the same with STARTTLS required and AUTH, using a self-signed
  certificate generated here with ``cryptography``.
- ``imap_server``: pymap's in-memory IMAP server in a subprocess, with one user.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.engine import Engine

from tools.crm.db import session_scope
from tools.crm.models import Campaign, Contact, Lead


@dataclass
class LeadRefs:
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    lead_id: uuid.UUID
    email: str


@pytest.fixture
def make_lead() -> Callable[..., LeadRefs]:
    """Create a campaign, a contact and a lead; returns their ids."""

    def make(engine: Engine, email: str | None = None, campaign: str | None = None) -> LeadRefs:
        email = email or f"kontakt-{uuid.uuid4().hex[:8]}@kunde.example"
        with session_scope(engine) as session:
            camp = Campaign(name=campaign or f"camp-{uuid.uuid4().hex[:8]}")
            contact = Contact(email=email, first_name="Erika", last_name="Musterfrau")
            session.add(camp)
            session.add(contact)
            session.flush()
            lead = Lead(campaign_id=camp.id, contact_id=contact.id)
            session.add(lead)
            session.flush()
            return LeadRefs(camp.id, contact.id, lead.id, email)

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on (right now)."""
    return free_port()


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it accepted and follows a per-DATA script."""

    messages: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # "ok", "451 …", "550 …", "accept-and-drop"
    data_calls: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_calls += 1
        action = self.script.pop(0) if self.script else "ok"
        if action[:1] in {"4", "5"}:
            return action
        self.messages.append(bytes(envelope.original_content or envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if action == "accept-and-drop":
            # The message is stored, but the client never hears back: an uncertain outcome.
            server.transport.abort()
            return "250 2.0.0 Ok"
        return f"250 2.0.0 Ok: queued as Q{len(self.messages)}"


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder

    @property
    def messages(self) -> list[bytes]:
        return self.recorder.messages


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, recorder)
    finally:
        controller.stop()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class TlsSmtpServer(SmtpServer):
    client_context: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    username: str = "sender@firma.example"
    password: str = "s3cret"


@pytest.fixture
def tls_contexts(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server, client) TLS contexts for a self-signed localhost / 127.0.0.1 certificate."""
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    return server_context, ssl.create_default_context(cafile=str(cert))


@pytest.fixture
def smtps_server(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[TlsSmtpServer]:
    """Implicit TLS (SMTPS, port-465 style), no AUTH."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ssl_context=tls_contexts[0])
    controller.start()
    try:
        yield TlsSmtpServer(port, recorder, tls_contexts[1])
    finally:
        controller.stop()


@pytest.fixture
def tls_smtp_server(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[TlsSmtpServer]:
    """STARTTLS required, AUTH required."""
    server_context, client_context = tls_contexts
    recorder = Recorder()
    port = free_port()
    info = TlsSmtpServer(port, recorder, client_context)

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == info.username \
            and data.password.decode() == info.password
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, tls_context=server_context,
        require_starttls=True, authenticator=authenticator, auth_required=True,
    )
    controller.start()
    try:
        yield info
    finally:
        controller.stop()


@dataclass
class ImapServer:
    host: str
    port: int
    username: str
    password: str
    folder: str = "INBOX"


@pytest.fixture
def imap_server(_pymap: ImapServer) -> ImapServer:
    """A fresh, empty folder on the shared pymap server (starting pymap takes seconds)."""
    import imaplib

    folder = f"Test-{uuid.uuid4().hex[:8]}"
    client = imaplib.IMAP4(_pymap.host, _pymap.port, timeout=10)
    try:
        client.login(_pymap.username, _pymap.password)
        status, detail = client.create(folder)
        assert status == "OK", detail
    finally:
        client.logout()
    return ImapServer(_pymap.host, _pymap.port, _pymap.username, _pymap.password, folder)


@pytest.fixture(scope="module")
def _pymap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    """pymap (dict backend) on loopback without TLS; the demo user is our mailbox."""
    tmp_path = tmp_path_factory.mktemp("pymap")
    port = free_port()
    pymap = Path(sys.executable).with_name("pymap")
    log = (tmp_path / "pymap.log").open("wb")
    process = subprocess.Popen(
        [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--no-tls", "--no-service", "admin",
         "dict", "--demo-user", "vertrieb@firma.example", "--demo-password", "pw"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pymap did not start: {(tmp_path / 'pymap.log').read_text()}")
                time.sleep(0.05)
        yield ImapServer("127.0.0.1", port, "vertrieb@firma.example", "pw")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
