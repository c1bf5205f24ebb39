"""Wall time of the eval suites, and what the response cache saves on a re-run.

    .venv/bin/python benchmarks/eval_bench.py                    # scripted model, all suites
    .venv/bin/python benchmarks/eval_bench.py --model local --suites replies

Each suite runs twice in a fresh data folder: the first run asks the model, the second is
answered from the cache. Prints seconds, calls and cache hits per run; a measurement, not a
test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from evals.context import EvalContext
from evals.llms import ModelKind
from evals.runner import SUITES, run_eval
from tools.settings import Settings

sys.path.append(str(Path(__file__).resolve().parents[1]))  # examples/ for the research suite


async def measure(suite: str, model: ModelKind, data_dir: Path, limit: int | None) -> None:
    settings = Settings(data_dir=data_dir, url_allowlist=["127.0.0.1"])
    for run in ("first", "cached"):
        ctx = EvalContext(settings=settings, models=[model], limit=limit)
        started = time.perf_counter()
        report = await run_eval(suite, ctx)
        elapsed = time.perf_counter() - started
        calls = sum(v.usage.calls for v in report.variants)
        cached = sum(v.usage.cached_calls for v in report.variants)
        print(f"{suite:9} {run:7} {report.dataset.rows:4} cases {elapsed:7.1f} s  {calls:5} calls  {cached:5} cached")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["scripted", "local", "openai"], default="scripted")
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--limit", type=int, default=None, help="at most this many cases per suite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for suite in args.suites.split(","):
            asyncio.run(measure(suite.strip(), args.model, Path(folder) / suite.strip(), args.limit))


if __name__ == "__main__":
    main()
