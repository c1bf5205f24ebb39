"""Making deleted personal data actually gone from the files behind each store.

A DELETE in SQLite leaves the bytes in free pages and in the write-ahead log; chromadb
keeps every added document in its own embedded log (``embeddings_queue``) until the vector
index is persisted, and its HNSW files carry uninitialised heap memory in their unused
capacity. After an erasure these helpers rewrite those files, and
``find_residue`` checks every store for the address, so "erased" can be verified rather
than assumed. PostgreSQL gets a VACUUM of the touched tables; its WAL archive and backups
age out on the operator's schedule (see docs/compliance.md).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import JSON, String, Text, cast, func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

log = logging.getLogger(__name__)

MAX_SCAN_BYTES = 64 * 1024 * 1024
CHROMA_DB_FILE = "chroma.sqlite3"
_CHROMA_DELETE_OP = 3


class ScrubError(RuntimeError):
    """A store file could not be rewritten (locked, unreadable)."""


def vacuum_sqlite_file(path: Path) -> None:
    """Rebuild a SQLite file without free pages and empty its WAL (no-op if it does not exist)."""
    if not path.exists():
        return
    try:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise ScrubError(f"cannot compact {path}: {exc}") from exc


def vacuum_store(engine: Engine, tables: Iterable[str] = ()) -> None:
    """Compact the relational store after a deletion: VACUUM on SQLite, per table on PostgreSQL."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        for table in sorted(set(tables)):
            if table in SQLModel.metadata.tables:
                connection.exec_driver_sql(f'VACUUM "{table}"')


def scrub_chroma_log(chroma_dir: Path) -> int:
    """Blank the logged documents of items deleted since, then compact chroma's SQLite file.

    chromadb replays its log only up to the persisted index; a logged add that a later
    delete cancelled carries nothing that replay needs, so its metadata (which holds the
    document text) is emptied. Returns how many log entries were blanked.
    """
    path = chroma_dir / CHROMA_DB_FILE
    if not path.exists():
        return 0
    try:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            blanked = 0
            if "embeddings_queue" in tables:
                cursor = connection.execute(
                    "UPDATE embeddings_queue SET metadata = '{}' WHERE operation != ? AND metadata != '{}' "
                    "AND EXISTS (SELECT 1 FROM embeddings_queue AS later WHERE later.operation = ? "
                    "AND later.topic = embeddings_queue.topic AND later.id = embeddings_queue.id "
                    "AND later.seq_id > embeddings_queue.seq_id)",
                    (_CHROMA_DELETE_OP, _CHROMA_DELETE_OP),
                )
                blanked = cursor.rowcount
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise ScrubError(f"cannot scrub the chroma log {path}: {exc}") from exc
    return blanked


_HNSW_HEADER = struct.Struct("<iQQQQQQiiQQQdQ")  # chroma's hnswlib header.bin, format version 1


def zero_unused_hnsw_capacity(chroma_dir: Path) -> int:
    """Zero the unused slots of every local HNSW index file; returns how many files were changed.

    hnswlib allocates its element capacity with ``malloc`` and writes all of it to
    ``data_level0.bin``, so slots beyond the element count hold whatever the process heap
    held — which can be personal data the process handled earlier. Only slots past
    ``cur_element_count`` are touched; hnswlib never reads them.
    """
    changed = 0
    for header_path in sorted(chroma_dir.glob("*/header.bin")):
        data_path = header_path.with_name("data_level0.bin")
        try:
            header = header_path.read_bytes()
            if len(header) != _HNSW_HEADER.size or not data_path.is_file():
                continue
            fields = _HNSW_HEADER.unpack(header)
            version, max_elements, count, slot = fields[0], fields[2], fields[3], fields[4]
            size = data_path.stat().st_size
            if version != 1 or slot <= 0 or count > max_elements or size != max_elements * slot:
                log.warning("not scrubbing %s: unexpected HNSW layout", data_path)
                continue
            start = count * slot
            with data_path.open("r+b") as handle:
                handle.seek(start)
                tail = handle.read()
                if tail.strip(b"\x00"):
                    handle.seek(start)
                    handle.write(bytes(len(tail)))
                    handle.flush()
                    os.fsync(handle.fileno())
                    changed += 1
        except OSError as exc:
            raise ScrubError(f"cannot scrub the HNSW index {data_path}: {exc}") from exc
    return changed


def _files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def files_mentioning(folder: Path, needles: Iterable[str]) -> list[Path]:
    """Files under ``folder`` whose bytes contain any needle (case-insensitive)."""
    wanted = [n.lower().encode() for n in needles if n]
    found: list[Path] = []
    for path in _files(folder):
        try:
            if path.stat().st_size > MAX_SCAN_BYTES:
                log.warning("not scanning %s: larger than %d bytes", path, MAX_SCAN_BYTES)
                continue
            data = path.read_bytes().lower()
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            continue
        if any(needle in data for needle in wanted):
            found.append(path)
    return found


def _text_columns() -> Iterator[tuple[str, str, object]]:
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON) or "JSON" in type(column.type).__name__.upper():
                yield table.name, column.name, column


def sql_residue(engine: Engine, needle: str) -> list[str]:
    """``table.column (n rows)`` for every text or JSON column anywhere that still contains ``needle``."""
    found: list[str] = []
    lowered = needle.lower()
    with engine.connect() as connection:
        for table_name, column_name, column in _text_columns():
            table = SQLModel.metadata.tables[table_name]
            condition = func.lower(cast(column, Text)).contains(lowered, autoescape=True)
            count = connection.execute(select(func.count()).select_from(table).where(condition)).scalar_one()
            if count:
                found.append(f"{table_name}.{column_name} ({count} rows)")
    return found
