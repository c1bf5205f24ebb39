"""Store-file scrubbing: SQLite free pages, chroma's log and the HNSW index's unused capacity."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agents.compliance.scrub import (
    files_mentioning,
    scrub_chroma_log,
    vacuum_sqlite_file,
    zero_unused_hnsw_capacity,
)
from memory.embeddings import HashingEmbedder
from memory.store import VectorMemory, persistent_client
from memory.types import Interaction

SECRET = b"erika.private@example.org"


def test_vacuum_removes_deleted_rows_from_the_file(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA secure_delete=OFF")  # the SQLite default (some distributions build it on)
    connection.execute("CREATE TABLE t (v TEXT)")
    connection.executemany("INSERT INTO t VALUES (?)", [(SECRET.decode() + str(i),) for i in range(50)])
    connection.execute("DELETE FROM t WHERE v LIKE 'erika%'")
    connection.close()
    assert files_mentioning(tmp_path, [SECRET.decode()])  # deleted, but still in the bytes
    vacuum_sqlite_file(db)
    assert files_mentioning(tmp_path, [SECRET.decode()]) == []
    vacuum_sqlite_file(tmp_path / "missing.db")  # nothing to do


def test_chroma_log_and_hnsw_capacity_are_scrubbed_and_the_memory_still_works(tmp_path: Path) -> None:
    chroma = tmp_path / "chroma"
    memory = VectorMemory(persistent_client(chroma), HashingEmbedder())
    memory.add([Interaction(id="gone", kind="reply", text=f"from {SECRET.decode()}", contact="c1"),
                Interaction(id="kept", kind="reply", text="another person", contact="c2")])
    memory.delete_contact("c1")
    (data_file,) = chroma.glob("*/data_level0.bin")
    with data_file.open("r+b") as handle:  # what hnswlib's uninitialised capacity can hold
        handle.seek(data_file.stat().st_size - 4096)
        handle.write(SECRET * 10)
    assert len(files_mentioning(chroma, [SECRET.decode()])) == 2  # the log and the index file
    assert scrub_chroma_log(chroma) == 1
    assert zero_unused_hnsw_capacity(chroma) == 1
    assert zero_unused_hnsw_capacity(chroma) == 0
    assert files_mentioning(chroma, [SECRET.decode()]) == []
    reopened = VectorMemory(persistent_client(chroma), HashingEmbedder())
    assert [i.id for i in reopened.for_contact("c2")] == ["kept"]
    assert [hit.interaction.id for hit in reopened.similar("another person", k=3)] == ["kept"]
