"""Small store helpers for the email tables: insert-unless-present and guarded state changes.

``INSERT … ON CONFLICT DO NOTHING`` (SQLite ≥ 3.24 and PostgreSQL) keeps idempotent inserts
inside the caller's transaction: no savepoint (pysqlite's savepoints are unreliable) and no
IntegrityError that would poison the session.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from tools.crm.db import session_scope
from tools.crm.models import AuditEvent, OutboxMessage, OutboxStatus, Task

log = logging.getLogger(__name__)

UNKNOWN_OUTCOME = "unknown outcome after crash; needs review"


def insert_if_absent(session: Session, row: SQLModel) -> bool:
    """Insert ``row`` unless a unique constraint says it exists; True when inserted."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {column.name: getattr(row, column.name) for column in table.columns}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - make_engine only builds these two
        raise RuntimeError(f"unsupported dialect {dialect}")
    result = session.connection().execute(statement)
    return bool(result.rowcount == 1)


def move_outbox(
    engine: Engine,
    row_id: uuid.UUID,
    *,
    expect: OutboxStatus,
    values: dict[str, Any],
    extra: list[SQLModel] | None = None,
    where: list[Any] | None = None,
) -> bool:
    """Change an outbox row only if it is still in ``expect`` (and ``where`` holds).

    The conditional UPDATE is the lock: of two workers, exactly one sees rowcount 1.
    ``extra`` rows (audit events, review tasks) commit in the same transaction, or not at all.
    """
    with session_scope(engine) as session:
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)  # type: ignore[arg-type]
            .where(OutboxMessage.status == expect)  # type: ignore[arg-type]
            .values(**values)
        )
        for condition in where or []:
            statement = statement.where(condition)
        result = session.connection().execute(statement)
        if result.rowcount != 1:
            log.warning("outbox row %s was no longer %s; left unchanged", row_id, expect.value)
            return False
        for row in extra or []:
            session.add(row)
    return True


def audit(action: str, row: OutboxMessage, **data: Any) -> AuditEvent:
    """An audit event about an outbox row."""
    return AuditEvent(
        actor="outbox",
        action=action,
        entity_type="outbox",
        entity_id=str(row.id),
        data={"message_id": row.message_id, "lead_id": str(row.lead_id), "step": row.step, **data},
    )


def review_task(row: OutboxMessage, reason: str) -> Task:
    """A task asking a human whether a mail with an unknown outcome reached the recipient."""
    return Task(
        lead_id=row.lead_id,
        kind="review",
        title=f"Check whether the mail to {row.to_email} was delivered (step {row.step})",
        body=(
            f"{reason}\n\nThe outbox will not resend it on its own. Check the sent folder or the "
            f"server log for Message-ID {row.message_id}; if it was not delivered, requeue the outbox row."
        ),
        payload={"outbox_id": str(row.id), "message_id": row.message_id, "to_email": row.to_email},
    )
