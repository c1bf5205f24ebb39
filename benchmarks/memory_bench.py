"""Vector memory throughput and latency at 10k and 100k interactions.

    .venv/bin/python benchmarks/memory_bench.py                       # 10k then 100k, embedded chroma
    .venv/bin/python benchmarks/memory_bench.py --sizes 10000 --queries 300
    .venv/bin/python benchmarks/memory_bench.py --server http://127.0.0.1:8000

Synthetic interactions (German and English sales sentences, five kinds, one contact per
~5 interactions) are added in batches; at each size it measures add throughput (embedding
included), embedding alone, and p50/p95 of the queries the agents make. Prints figures.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from memory.embeddings import HashingEmbedder
from memory.store import VectorMemory, http_client, persistent_client
from memory.types import Interaction, InteractionKind, Outcome

WORDS_DE = (
    "Lager", "Logistik", "Spedition", "Termin", "Angebot", "Rückruf", "Interesse", "Budget", "Einkauf",
    "Geschäftsführung", "Digitalisierung", "Software", "Pilotprojekt", "Standort", "Hamburg", "München", "Berlin",
    "Köln", "Mitarbeitende", "Nachfolge", "Ausschreibung", "Messe", "Vertrieb", "Kunden", "Service", "Wartung",
    "Maschinen", "Produktion", "Qualität", "Kosten", "Zeitplan", "Entscheidung", "nächste", "Woche",
)  # fmt: skip
WORDS_EN = (
    "warehouse", "logistics", "freight", "meeting", "offer", "callback", "interest", "budget", "purchasing",
    "management", "software", "pilot", "site", "London", "Leeds", "staff", "tender", "trade", "fair", "sales",
    "customers", "service", "maintenance", "machines", "production", "quality", "costs", "schedule", "decision",
    "next", "week",
)  # fmt: skip
INDUSTRIES = ("logistics", "manufacturing", "software", "food", "retail", "construction", "healthcare", "energy")
KINDS: tuple[str, ...] = get_args(InteractionKind)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def sentence(rng: random.Random) -> str:
    words = WORDS_DE if rng.random() < 0.6 else WORDS_EN
    return " ".join(rng.choice(words) for _ in range(rng.randint(12, 40))).capitalize() + "."


def interaction(n: int, seed: int) -> Interaction:
    """Interaction number ``n``: the same for the same (n, seed), so deleted ones can be put back."""
    rng = random.Random(seed * 1_000_003 + n)
    contact = n // 5
    return Interaction(
        id=f"i{n}",
        kind=rng.choice(KINDS),
        text=sentence(rng),
        company=f"company{contact // 3}.example",
        contact=f"c{contact}",
        campaign=f"campaign{contact % 7}",
        industry=INDUSTRIES[contact % len(INDUSTRIES)],
        outcome=rng.choice(OUTCOMES),
        language="de",
        at=T0 + timedelta(minutes=n),
    )


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def measure(label: str, queries: int, run: Callable[[int], Any]) -> None:
    samples = []
    for i in range(queries):
        started = time.perf_counter()
        run(i)
        samples.append(time.perf_counter() - started)
    print(f"  {label:<44} {percentiles(samples)}")


def bench(memory: VectorMemory, sizes: list[int], queries: int, batch: int, seed: int) -> None:
    rng = random.Random(seed)
    have = 0
    sample = [interaction(n, seed).text for n in range(min(batch, sizes[0]))]
    memory.embedder.embed(sample[:10])  # warm up: imports and vectorizer set-up are not throughput
    started = time.perf_counter()
    memory.embedder.embed(sample)
    print(f"embedding alone: {len(sample) / (time.perf_counter() - started):,.0f} texts/s ({memory.embedder.name})")
    for size in sizes:
        print(f"\n== {size:,} interactions ==")
        new_items = size - have
        add_seconds = 0.0
        while have < size:
            items = [interaction(n, seed) for n in range(have, min(size, have + batch))]
            started = time.perf_counter()
            memory.add(items)
            add_seconds += time.perf_counter() - started
            have += len(items)
        rate = new_items / add_seconds
        print(f"  add: {new_items:,} in {add_seconds:.1f} s = {rate:,.0f} items/s (embedding included)")
        print(f"  count: {memory.count():,}")

        query_figures(memory, size, queries, rng, seed)


def query_figures(memory: VectorMemory, size: int, queries: int, rng: random.Random, seed: int) -> None:
    """p50/p95 of the agents' queries at the current size."""
    texts = [sentence(rng) for _ in range(queries)]
    contacts = [f"c{rng.randrange(size // 5)}" for _ in range(queries)]
    measure("similar(kind='reply') - one partition", queries, lambda i: memory.similar(texts[i], kind="reply"))
    measure("similar() - all five partitions", queries, lambda i: memory.similar(texts[i]))
    measure(
        "similar(kind='reply', industry, outcome)",
        queries,
        lambda i: memory.similar(texts[i], kind="reply", industry="logistics", outcome="positive"),
    )
    measure("similar(contact=...) all kinds", queries, lambda i: memory.similar(texts[i], contact=contacts[i]))
    companies = [f"company{rng.randrange(size // 15)}.example" for _ in range(queries)]
    measure(
        "similar(kind='reply', company=...)",
        queries,
        lambda i: memory.similar(texts[i], kind="reply", company=companies[i]),
    )
    measure("for_contact()", queries, lambda i: memory.for_contact(contacts[i]))
    victims = rng.sample(range(size // 5), min(20, queries))
    measure("delete_contact()", len(victims), lambda i: memory.delete_contact(f"c{victims[i]}"))
    memory.add([interaction(n, seed) for c in victims for n in range(5 * c, 5 * c + 5)])  # put them back


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--features", type=int, default=512, help="HashingEmbedder n_features")
    parser.add_argument("--server", default=None, help="chroma server URL (default: embedded, temp dir)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    embedder = HashingEmbedder(n_features=args.features)
    workdir: Path | None = None
    if args.server:
        memory = VectorMemory(http_client(args.server), embedder, prefix=f"bench{int(time.time())}")
    else:
        workdir = Path(tempfile.mkdtemp(prefix="memory-bench-"))
        memory = VectorMemory(persistent_client(workdir), embedder)
    print(f"backend: {args.server or f'embedded at {workdir}'}; embedder {embedder.name}")
    try:
        bench(memory, sizes, args.queries, args.batch, args.seed)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
