"""Speed of the configured model: load time, prompt and generation tokens/s, structured-call latency.

    .venv/bin/python benchmarks/llm_bench.py                      # the embedded model
    .venv/bin/python benchmarks/llm_bench.py --runs 20 --threads 2
    .venv/bin/python benchmarks/llm_bench.py --base-url http://127.0.0.1:8080/v1 --json-mode json_object

Prints figures; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from agents.llm import LLM, Message
from agents.llm_local import LocalLLM
from agents.llm_openai import OpenAICompatibleLLM, parse_json_mode
from agents.llm_usage import collect_usage


class ReplyLabel(BaseModel):
    label: Literal[
        "interested",
        "not_interested",
        "not_now",
        "wrong_person",
        "out_of_office",
        "unsubscribe",
        "question",
        "bounce",
        "other",
    ]


LONG_PROMPT = (
    "Die Spedition Nord GmbH mit Sitz in Hamburg betreibt Lager in Bremen, Hannover und Kiel. "
    "Das Unternehmen beschäftigt rund 450 Mitarbeitende und hat im letzten Jahr ein neues "
    "Gefahrstofflager eröffnet. Geschäftsführerin ist Dr. Anna Weber. "
) * 12
CLASSIFY = [
    Message(
        role="system",
        content="Classify the reply to a sales email with one label: interested, not_interested, not_now, "
        "wrong_person, out_of_office, unsubscribe, question, bounce, other.",
    ),
    Message(
        role="user",
        content="Vielen Dank, ich bin bis zum 12. nicht im Büro. Ihre Mail wird nicht weitergeleitet.",
    ),
]


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def timed_complete(llm: LLM, messages: list[Message], max_tokens: int) -> tuple[float, int, int]:
    with collect_usage() as usages:
        started = time.perf_counter()
        await llm.complete(messages, max_tokens=max_tokens)
        elapsed = time.perf_counter() - started
    return elapsed, sum(u.input_tokens for u in usages), sum(u.output_tokens for u in usages)


def unique(i: int, text: str) -> str:
    # a different first line defeats llama.cpp's prompt-prefix cache, as distinct real prompts do
    return f"Auftrag {i * 7919 % 1000}-{i}:\n{text}"


async def run(llm: LLM, runs: int) -> None:
    if isinstance(llm, LocalLLM):
        import llama_cpp  # noqa: F401 - import time is not model load time

    rss_before = rss_mb()
    first, _, _ = await timed_complete(llm, [Message(role="user", content="Hi")], 1)
    print(f"model                     {llm.model_name}")
    load = llm.runtime().load_seconds if isinstance(llm, LocalLLM) else None
    print(
        f"first call                {first:.2f} s"
        + (f" (model load {load:.2f} s)" if load is not None else "")
        + f", RSS +{rss_mb() - rss_before:.0f} MB"
    )

    prompt_rates, gen_rates = [], []
    prompt_tokens = 0
    for i in range(runs):
        elapsed, prompt_tokens, _ = await timed_complete(
            llm, [Message(role="user", content=unique(i, LONG_PROMPT))], 1
        )
        prompt_rates.append(prompt_tokens / elapsed)
    prompt_rate = statistics.median(prompt_rates)
    for i in range(runs):
        elapsed, tokens_in, tokens_out = await timed_complete(
            llm, [Message(role="user", content=unique(i, "Write a long story about a lighthouse keeper."))], 128
        )
        generation_time = max(elapsed - tokens_in / prompt_rate, 1e-6)
        gen_rates.append(tokens_out / generation_time)
    print(f"prompt processing         {prompt_rate:.0f} tok/s (median of {runs}, {prompt_tokens} tokens each)")
    print(
        f"generation                {statistics.median(gen_rates):.0f} tok/s "
        f"(median; min {min(gen_rates):.0f}, max {max(gen_rates):.0f})"
    )

    latencies = []
    for i in range(runs):
        messages = [CLASSIFY[0], Message(role="user", content=unique(i, CLASSIFY[1]["content"]))]
        started = time.perf_counter()
        await llm.structured(messages, ReplyLabel)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(f"structured 9-way label    p50 {statistics.median(latencies):.3f} s, p95 {p95:.3f} s")

    started = time.perf_counter()
    await asyncio.gather(*(llm.structured(CLASSIFY, ReplyLabel) for _ in range(8)))
    print(f"8 concurrent structured   {time.perf_counter() - started:.2f} s total (serialised on one thread)")
    print(f"RSS now                   {rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads (embedded model)")
    parser.add_argument("--model-path", type=Path, default=None, help="GGUF file (default: the bundled one)")
    parser.add_argument("--base-url", default=None, help="benchmark an OpenAI-compatible endpoint instead")
    parser.add_argument("--model", default="default", help="model name at --base-url")
    parser.add_argument("--json-mode", default="json_schema", help="json_schema | json_object | prompt")
    args = parser.parse_args()
    os.environ.pop("OUTREACH_FORBID_REAL_MODELS", None)
    llm: LLM
    if args.base_url:
        llm = OpenAICompatibleLLM(
            model=args.model, base_url=args.base_url, json_mode=parse_json_mode(args.json_mode)
        )
    else:
        llm = LocalLLM(args.model_path, n_threads=args.threads)
    asyncio.run(run(llm, args.runs))


if __name__ == "__main__":
    main()
