"""Research speed and cost: pages per second and seconds per company over 20 local sites.

Serves 20 company sites on 127.0.0.1 (the German and English fixture sites, ten ports
each, so 20 distinct companies), researches all of them at concurrency 1 and 8 in one
Chromium, and prints pages/s, seconds per company, model calls and tokens per company,
then the cache path (research reused from the store: no browser, no model call).

    .venv/bin/python -m benchmarks.research_bench                 # scripted model, estimated tokens
    .venv/bin/python -m benchmarks.research_bench --llm local --companies 4   # embedded model, real tokens
    .venv/bin/python -m benchmarks.research_bench --llm none --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agents.llm import LLM
from agents.llm_usage import collect_usage, estimate_tokens
from agents.nodes.research import research_company
from agents.profile import CompanyProfile
from agents.research_llm import ResearchSummary
from agents.research_store import load_fresh_profile, save_profile
from agents.testing import ScriptedCall, ScriptedLLM
from tools.browser import Browser
from tools.crm.db import make_engine, session_scope, upgrade_schema
from tools.crm.types import utcnow
from tools.local_sites import serve_site
from tools.settings import Settings

SITES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sites"
TEMPLATES = ("mueller-maschinenbau", "acme-analytics")


@dataclass
class RunFigures:
    """One research run over all companies."""

    concurrency: int
    companies: int
    wall_s: float
    pages: int
    pages_per_s: float
    s_per_company_wall: float
    s_per_company_mean: float
    s_per_company_p95: float
    llm_calls: int
    llm_calls_per_company: float
    input_tokens_per_company: float
    output_tokens_per_company: float
    tokens_estimated: bool
    facts_per_company: float


def _scripted_answer(call: ScriptedCall) -> ResearchSummary:
    """A plausible answer computed from the prompt: copies one line of the first page."""
    lines = [line for line in call.prompt_text.splitlines() if 40 < len(line) < 200 and "<" not in line]
    return ResearchSummary(description=lines[0] if lines else None, industry="Software", industry_evidence=None)


def _model(kind: str, settings: Settings) -> LLM | None:
    if kind == "none":
        return None
    if kind == "local":
        from agents.llm_local import LocalLLM

        return LocalLLM(settings.local_model_path, n_threads=settings.local_model_threads)
    return ScriptedLLM(respond=_scripted_answer, model_name="scripted")


async def _research_all(
    urls: list[str], settings: Settings, llm: LLM | None, concurrency: int
) -> tuple[RunFigures, list[CompanyProfile]]:
    browser = Browser.from_settings(settings.model_copy(update={"browser_concurrency": concurrency}))
    slots = asyncio.Semaphore(concurrency)
    durations: list[float] = []
    async with browser:

        async def one(url: str) -> CompanyProfile:
            async with slots:
                started = time.perf_counter()
                profile = await research_company(url, browser=browser, llm=llm, settings=settings)
                durations.append(time.perf_counter() - started)
                return profile

        with collect_usage() as usages:
            started = time.perf_counter()
            profiles = await asyncio.gather(*(one(url) for url in urls))
            wall = time.perf_counter() - started
        pages = browser.pages_loaded
    calls = len(usages) if llm is not None and not isinstance(llm, ScriptedLLM) else _scripted_calls(llm)
    input_tokens, output_tokens, estimated = _tokens(llm, usages)
    n = len(urls)
    figures = RunFigures(
        concurrency=concurrency,
        companies=n,
        wall_s=round(wall, 2),
        pages=pages,
        pages_per_s=round(pages / wall, 2),
        s_per_company_wall=round(wall / n, 3),
        s_per_company_mean=round(statistics.mean(durations), 3),
        s_per_company_p95=round(sorted(durations)[max(0, int(0.95 * n) - 1)], 3),
        llm_calls=calls,
        llm_calls_per_company=round(calls / n, 2),
        input_tokens_per_company=round(input_tokens / n, 1),
        output_tokens_per_company=round(output_tokens / n, 1),
        tokens_estimated=estimated,
        facts_per_company=round(sum(len(p.facts) for p in profiles) / n, 1),
    )
    return figures, list(profiles)


def _scripted_calls(llm: LLM | None) -> int:
    return len(llm.calls) if isinstance(llm, ScriptedLLM) else 0


def _tokens(llm: LLM | None, usages: list[Any]) -> tuple[int, int, bool]:
    if isinstance(llm, ScriptedLLM):
        prompt = sum(estimate_tokens(call.prompt_text) for call in llm.calls)
        output = sum(estimate_tokens(_scripted_answer(call).model_dump_json()) for call in llm.calls)
        llm.calls.clear()
        return prompt, output, True
    return sum(u.input_tokens for u in usages), sum(u.output_tokens for u in usages), False


def _cache_path(profiles: list[CompanyProfile], data_dir: Path, ttl_days: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{data_dir / 'bench.db'}")
    upgrade_schema(engine)
    with session_scope(engine) as session:
        for profile in profiles:
            save_profile(session, profile)
    llm = ScriptedLLM()  # any model call on the cache path would fail the script
    started = time.perf_counter()
    hits = 0
    now = utcnow()
    for profile in profiles:
        with session_scope(engine) as session:
            hits += load_fresh_profile(session, domain=profile.domain, ttl_days=ttl_days, now=now) is not None
    elapsed = time.perf_counter() - started
    engine.dispose()
    return {
        "companies": len(profiles),
        "hits": hits,
        "llm_calls": len(llm.calls),
        "browser_pages": 0,
        "ms_per_company": round(1000 * elapsed / max(1, len(profiles)), 2),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Serve the sites, research them at each concurrency, then time the cache path."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        settings = Settings(
            data_dir=Path(tmp),
            url_allowlist=["127.0.0.1"],
            politeness_delay_s=0.0,
            crawl_max_pages=args.max_pages,
        )
        urls = [
            stack.enter_context(serve_site(SITES / TEMPLATES[i % len(TEMPLATES)])).url("/")
            for i in range(args.companies)
        ]
        runs: list[RunFigures] = []
        profiles: list[CompanyProfile] = []
        for concurrency in args.concurrency:
            figures, profiles = await _research_all(urls, settings, _model(args.llm, settings), concurrency)
            runs.append(figures)
        return {
            "llm": args.llm,
            "machine": {"cpus": _cpus()},
            "runs": [asdict(r) for r in runs],
            "cache": _cache_path(profiles, Path(tmp), settings.research_ttl_days),
        }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _print(result: dict[str, Any]) -> None:
    print(f"research benchmark — model: {result['llm']}, {result['machine']['cpus']} CPU(s)")
    header = f"{'conc':>4} {'companies':>9} {'wall s':>7} {'pages':>5} {'pages/s':>7} {'s/company':>9} " \
             f"{'mean s':>7} {'p95 s':>6} {'calls/co':>8} {'in tok/co':>9} {'out tok/co':>10} {'facts/co':>8}"
    print(header)
    for r in result["runs"]:
        print(
            f"{r['concurrency']:>4} {r['companies']:>9} {r['wall_s']:>7} {r['pages']:>5} {r['pages_per_s']:>7} "
            f"{r['s_per_company_wall']:>9} {r['s_per_company_mean']:>7} {r['s_per_company_p95']:>6} "
            f"{r['llm_calls_per_company']:>8} {r['input_tokens_per_company']:>9} "
            f"{r['output_tokens_per_company']:>10} {r['facts_per_company']:>8}"
        )
    if result["runs"] and result["runs"][0]["tokens_estimated"]:
        print("(tokens estimated at ~4 characters per token: the scripted model reports none)")
    cache = result["cache"]
    print(
        f"cache path: {cache['hits']}/{cache['companies']} reused, {cache['llm_calls']} model calls, "
        f"{cache['browser_pages']} browser pages, {cache['ms_per_company']} ms per company"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--companies", type=int, default=20, help="How many local sites (default 20).")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8], help="Concurrency levels.")
    parser.add_argument("--llm", choices=("scripted", "local", "none"), default="scripted")
    parser.add_argument("--max-pages", type=int, default=8, help="Crawl budget per site.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    args = parser.parse_args(argv)
    if args.companies < 1 or any(c < 1 for c in args.concurrency):
        parser.error("--companies and --concurrency must be at least 1")
    result = asyncio.run(run(args))
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
