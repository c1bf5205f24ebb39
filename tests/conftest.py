"""Suite-wide fixtures: no network beyond loopback, per-test settings and databases."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine, make_url

from tools.crm.db import make_engine, upgrade_schema
from tools.settings import Settings

POSTGRES_URL = os.environ.get("OUTREACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkBlocked(RuntimeError):
    """A test tried to reach a host other than loopback."""


def _guard(address: Any) -> None:
    if isinstance(address, tuple) and not _is_loopback(address[0]):
        raise NetworkBlocked(f"tests may not reach {address[0]!r}: only loopback is allowed")


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    _guard(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    _guard(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    """Every test runs with sockets to non-loopback addresses refused."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's OUTREACH_* variables or .env, or a real model."""
    for key in list(os.environ):
        if key.startswith("OUTREACH_") and key != "OUTREACH_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("OUTREACH_ENV_FILE", str(tmp_path / "no.env"))
    monkeypatch.setenv("OUTREACH_FORBID_REAL_MODELS", "1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data dir and SQLite database for this test."""
    return Settings(data_dir=tmp_path / "data", url_allowlist=["127.0.0.1", "localhost"])


def _postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def postgres_database() -> Iterator[str]:
    """A throw-away PostgreSQL database (its URL), dropped afterwards; skip/fail without a server."""
    if not _postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL is required under CI=true but 127.0.0.1:5432 is not reachable")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    admin = make_engine(POSTGRES_URL, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
    name = f"outreach_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database for this test."""
    yield from postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on SQLite, then on PostgreSQL (repository tests run on both)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade_schema(engine)
        yield engine
        engine.dispose()
        return
    for url in postgres_database():
        engine = make_engine(url, pool_size=2)
        upgrade_schema(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated SQLite engine in the test's data dir."""
    eng = make_engine(settings.effective_database_url)
    upgrade_schema(eng)
    yield eng
    eng.dispose()
