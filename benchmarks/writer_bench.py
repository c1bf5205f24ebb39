"""Writer cost outside the model: template drafts, guardrails, repair overhead, edit distance.

    .venv/bin/python benchmarks/writer_bench.py              # CPU-only figures
    .venv/bin/python benchmarks/writer_bench.py --local      # plus one forced llm draft on the embedded model

The template strategy is the offline default, so its throughput bounds how fast a campaign
can fill the approval queue without a model; the guardrails run on every draft of either
strategy. Prints figures; asserts that the drafts pass (or, with --local, are flagged).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from agents.campaign import load_campaign
from agents.footer import legal_footer, sign_off
from agents.guardrails import GuardrailContext, check_draft
from agents.language import salutation_line
from agents.nodes.writer import draft_email
from agents.profile import CompanyProfile, Fact, NewsItem
from agents.rep_edits import normalized_edit_distance
from agents.testing import ScriptedLLM
from agents.writer_llm import LLMClaim, LLMDraft
from agents.writer_types import DraftRequest, Recipient

CAMPAIGN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "campaigns" / "writer_de.yaml"
TEXT = (
    "In Ihren Neuigkeiten habe ich gelesen, dass Müller Maschinenbau eine neue Montagehalle in Stuttgart "
    "eröffnet. Unser Cloud-CRM für den Mittelstand zeigt Ihrem Vertrieb alle Kundenkontakte, Angebote und "
    "Wartungsverträge an einem Ort. Hätten Sie in der kommenden Woche 15 Minuten für ein kurzes Gespräch?"
)


def make_request(index: int) -> DraftRequest:
    spec = load_campaign(CAMPAIGN)
    title = f"Müller Maschinenbau eröffnet Montagehalle Nummer {index} in Stuttgart"
    news = Fact(kind="news", text=f"2024-03-12: {title}", source_url=f"https://m{index}.example/news")
    profile = CompanyProfile(
        domain=f"m{index}.example",
        name=f"Müller {index} GmbH",
        country="DE",
        news=[NewsItem(title=title, date="2024-03-12", source_url=news.source_url)],
        facts=[news, Fact(kind="description", text="Wir bauen Sondermaschinen.", source_url=news.source_url)],
    )
    recipient = Recipient(first_name="Anna", last_name=f"Schmidt{index}", salutation="Frau")
    return DraftRequest(spec=spec, recipient=recipient, profile=profile)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench_template(n: int) -> None:
    requests = [make_request(i) for i in range(n)]
    started = time.perf_counter()
    results = [await draft_email(r) for r in requests]
    elapsed = time.perf_counter() - started
    assert all(not r.flagged for r in results), [r.flagged_reasons for r in results if r.flagged][:1]
    print(f"template drafts: {n} in {elapsed:.2f} s = {n / elapsed:.0f} drafts/s ({1000 * elapsed / n:.1f} ms each)")


def bench_guardrails(n: int) -> None:
    request = make_request(0)
    spec, recipient = request.spec, request.recipient
    ctx = GuardrailContext(
        spec=spec, language="de", step=1, recipient=recipient, profile=request.profile,
        salutation=salutation_line("de", recipient), sign_off=sign_off(spec, "de"), footer=legal_footer(spec, "de"),
    )
    body = f"{ctx.salutation}\n\n{TEXT}\n\n{ctx.sign_off}\n\n{ctx.footer}\n"
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        check_draft("Ihre neue Montagehalle", body, [], ctx)
        timings.append(1000 * (time.perf_counter() - started))
    print(
        f"guardrails (16 checks, one composed mail): p50 {statistics.median(timings):.2f} ms, "
        f"p95 {percentile(timings, 0.95):.2f} ms over {n} runs"
    )


async def bench_repairs(n: int) -> None:
    request = make_request(0)
    fact_id = request.profile.facts[0].id
    bad = LLMDraft(subject="Re: Montagehalle", body=TEXT, claims=[LLMClaim(text="Montagehalle", fact_id=fact_id)])
    started = time.perf_counter()
    for _ in range(n):
        llm = ScriptedLLM([bad, bad, bad])
        result = await draft_email(request, llm=llm)
        assert result.flagged and len(llm.calls) == 3
    elapsed = time.perf_counter() - started
    print(f"llm strategy, 2 repair rounds, scripted model: {1000 * elapsed / n:.1f} ms per draft (writer overhead)")


def bench_edit_distance() -> None:
    words = TEXT.split() * 5
    edited = [w.upper() if i % 7 == 0 else w for i, w in enumerate(words)]
    a, b = " ".join(words), " ".join(edited)
    for unit in ("word", "char"):
        started = time.perf_counter()
        value = normalized_edit_distance(a, b, unit=unit)  # type: ignore[arg-type]
        print(
            f"normalized_edit_distance ({unit}, {len(words)} words / {len(a)} chars): {value:.3f} "
            f"in {1000 * (time.perf_counter() - started):.1f} ms"
        )


async def bench_local() -> None:
    from agents.llm_local import LocalLLM
    from agents.llm_usage import collect_usage

    os.environ.pop("OUTREACH_FORBID_REAL_MODELS", None)
    request = make_request(0)
    started = time.perf_counter()
    with collect_usage() as usage:
        result = await draft_email(request, llm=LocalLLM(), strategy="llm")
    elapsed = time.perf_counter() - started
    tokens_in = sum(u.input_tokens for u in usage)
    tokens_out = sum(u.output_tokens for u in usage)
    print(
        f"embedded model, forced llm strategy: {elapsed:.1f} s, {len(usage)} generations, "
        f"{tokens_in} prompt / {tokens_out} output tokens; strategy {result.strategy}, flagged {result.flagged}"
    )
    for reason in result.flagged_reasons[:5]:
        print(f"  flagged: {reason[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drafts", type=int, default=200, help="template drafts to time")
    parser.add_argument("--local", action="store_true", help="also time one forced llm draft on the embedded model")
    args = parser.parse_args()
    asyncio.run(bench_template(args.drafts))
    bench_guardrails(500)
    asyncio.run(bench_repairs(50))
    bench_edit_distance()
    if args.local:
        asyncio.run(bench_local())


if __name__ == "__main__":
    main()
