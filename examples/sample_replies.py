"""The sample replies of the demo (``replies/*.eml``) and their manifest.

Each reply names the thread it answers through ``{message_id}`` placeholders
(``In-Reply-To``, ``References``; in the bounce also the returned ``Message-ID``).
``SampleReply.render`` fills them with the Message-ID of the mail the demo actually sent
to that contact, giving the raw bytes an inbound mailbox would hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from tools.email.message import MSG_ID_RE

REPLIES_DIR = Path(__file__).resolve().parent / "replies"
MESSAGE_ID_PLACEHOLDER = b"{message_id}"


class SampleRepliesError(ValueError):
    """The manifest or a reply file is unusable, or a Message-ID to fill in is malformed."""


class SampleReply(BaseModel):
    """One reply file, whom it comes from and what the classifier should make of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(pattern=r"^[\w.-]+\.eml$")
    contact: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    label: str = Field(pattern=r"^[a-z_]+$")
    language: Literal["de", "en"]
    summary: str
    expect: dict[str, str | bool] = Field(default_factory=dict)
    _directory: Path = PrivateAttr(default=REPLIES_DIR)

    @property
    def path(self) -> Path:
        """Where the .eml file lies."""
        return self._directory / self.file

    def raw(self) -> bytes:
        """The file as stored, placeholders included."""
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise SampleRepliesError(f"{self.path}: cannot read: {exc.strerror}") from exc

    def render(self, message_id: str) -> bytes:
        """The reply with every ``{message_id}`` replaced by ``message_id`` (``<id@host>``)."""
        if not MSG_ID_RE.fullmatch(message_id):
            raise SampleRepliesError(f"not a Message-ID (expected <local@domain>): {message_id!r}")
        raw = self.raw()
        if MESSAGE_ID_PLACEHOLDER not in raw:
            raise SampleRepliesError(f"{self.path}: has no {{message_id}} placeholder")
        return raw.replace(MESSAGE_ID_PLACEHOLDER, message_id.encode("ascii"))


class SampleReplies(BaseModel):
    """The manifest: the demo sender and every reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    replies: list[SampleReply] = Field(min_length=1)

    def for_contact(self, email: str) -> list[SampleReply]:
        """The replies from ``email`` (case-insensitive)."""
        wanted = email.strip().lower()
        return [reply for reply in self.replies if reply.contact.lower() == wanted]


def load_replies(directory: Path = REPLIES_DIR) -> SampleReplies:
    """Read ``manifest.yaml`` in ``directory``; every listed file must exist and carry the placeholder."""
    path = directory / "manifest.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SampleRepliesError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SampleRepliesError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SampleRepliesError(f"{path}: must be a mapping with 'sender' and 'replies'")
    try:
        manifest = SampleReplies.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SampleRepliesError(f"{path}: {problems}") from exc
    seen: set[str] = set()
    for reply in manifest.replies:
        reply._directory = directory
        if reply.file in seen:
            raise SampleRepliesError(f"{path}: {reply.file} is listed twice")
        seen.add(reply.file)
        if MESSAGE_ID_PLACEHOLDER not in reply.raw():
            raise SampleRepliesError(f"{reply.path}: has no {{message_id}} placeholder")
    return manifest
