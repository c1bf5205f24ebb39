"""Research scorer: field precision/recall of a profile against the hand-written truth, and its sources.

Every stated field of a ``CompanyCase`` becomes a set of expected items; the profile gives
the predicted items of the same fields. An item matches when its normalised key is equal
(names without academic titles, register and VAT ids without spaces). ``people.role``,
``people.email`` and ``news.date`` are scored on the people/news matched by name/title:
a wrong role of a found person is a false positive, a role not found a miss.

Source correctness: for every matched item whose field carries sources, the pages the
profile cites for it (``Fact.source_url``, ``Person.source_url``, ``NewsItem.source_url``)
must all be pages the truth lists as stating it. A matched value without a cited source is
a source error too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agents.profile import CompanyProfile, Fact
from evals.datasets.companies_schema import CompanyCase, ExpectedValue
from evals.scorers.text import norm_email, norm_ident, norm_name, norm_text, page_path

# Scored fields in report order; "people"/"news" fan out into their attribute fields.
FIELD_ORDER = (
    "legal_name",
    "register_court",
    "register_number",
    "vat_id",
    "location",
    "employees",
    "directors",
    "people",
    "people.role",
    "people.email",
    "news",
    "news.date",
    "emails",
)
_FANOUT = {"people": ("people", "people.role", "people.email"), "news": ("news", "news.date")}


@dataclass(frozen=True)
class Item:
    """One value of one field: its matching key, how to show it, and its sources.

    ``sources`` of an expected item are the allowed page paths, of a predicted item the
    cited URLs; ``None`` means the field carries no sources (not checked).
    """

    key: str
    display: str
    sources: tuple[str, ...] | None = None


@dataclass
class FieldScore:
    """Counts of one field of one company (or summed over many)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    sources_checked: int = 0
    sources_ok: int = 0

    def add(self, other: FieldScore) -> None:
        """Add ``other``'s counts to these."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.sources_checked += other.sources_checked
        self.sources_ok += other.sources_ok


@dataclass
class CompanyScore:
    """How one profile compares with its truth."""

    case_id: str
    fields: dict[str, FieldScore] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    source_errors: list[str] = field(default_factory=list)
    forbidden_found: list[str] = field(default_factory=list)
    flags_expected: int = 0
    flags_missing: list[str] = field(default_factory=list)

    @property
    def total(self) -> FieldScore:
        """All fields summed."""
        total = FieldScore()
        for score in self.fields.values():
            total.add(score)
        return total

    @property
    def perfect(self) -> bool:
        """True when nothing was missed, invented, mis-sourced or leaked."""
        return not (
            self.missed or self.false_positives or self.source_errors or self.forbidden_found or self.flags_missing
        )


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def prf(score: FieldScore) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 (None where undefined: nothing predicted / nothing expected)."""
    precision = _ratio(score.tp, score.tp + score.fp)
    recall = _ratio(score.tp, score.tp + score.fn)
    if precision is None or recall is None:
        return precision, recall, None
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- expected items --------------------------------------------------------------------------


def _value_items(values: Iterable[ExpectedValue | None], key: Callable[[str], str]) -> list[Item]:
    return [Item(key(v.value), v.value, tuple(page_path(s) for s in v.sources)) for v in values if v is not None]


def expected_items(case: CompanyCase) -> dict[str, list[Item]]:
    """The expected items of every scored field of ``case``."""
    items: dict[str, list[Item]] = {}
    for name in case.stated_fields:
        if name in ("legal_name", "location", "register_court"):
            items[name] = _value_items([getattr(case, name)], norm_text)
        elif name in ("register_number", "vat_id"):
            items[name] = _value_items([getattr(case, name)], norm_ident)
        elif name == "employees":
            items[name] = [] if case.employees is None else [Item(str(case.employees), str(case.employees))]
        elif name == "directors":
            items[name] = _value_items(case.directors, norm_name)
        elif name == "emails":
            items[name] = [Item(norm_email(e), e) for e in case.emails]
        elif name == "people":
            items["people"] = [
                Item(norm_name(p.name), p.name, tuple(page_path(s) for s in p.sources)) for p in case.people
            ]
        elif name == "news":
            items["news"] = [
                Item(norm_text(n.title), n.title, tuple(page_path(s) for s in n.sources)) for n in case.news
            ]
    return items


# --- predicted items -------------------------------------------------------------------------


def _fact_sources(profile: CompanyProfile, kinds: tuple[str, ...], test: Callable[[Fact], bool]) -> tuple[str, ...]:
    return tuple(f.source_url for f in profile.facts if f.kind in kinds and test(f))


def _scalar(profile: CompanyProfile, name: str) -> list[Item]:
    value = getattr(profile, name)
    if value is None:
        return []
    text = str(value)
    if name == "employees":
        return [Item(text, text)]
    if name in ("register_number", "vat_id"):
        ident = norm_ident(text)
        kinds: tuple[str, ...] = ("register",) if name == "register_number" else ("vat_id",)
        return [Item(ident, text, _fact_sources(profile, kinds, lambda f: ident in norm_ident(f.text)))]
    key = norm_text(text)
    kinds = {"legal_name": ("legal_name",), "register_court": ("register",), "location": ("location", "address")}[name]
    return [Item(key, text, _fact_sources(profile, kinds, lambda f: key in norm_text(f.text)))]


def _director_sources(profile: CompanyProfile, director: str) -> tuple[str, ...]:
    key = norm_name(director)
    return _fact_sources(profile, ("director",), lambda f: norm_name(f.text.split(" (", 1)[0]) == key)


def predicted_items(profile: CompanyProfile, fields: Iterable[str]) -> dict[str, list[Item]]:
    """The profile's items of ``fields`` (stated field names; people/news fan out)."""
    items: dict[str, list[Item]] = {}
    for name in fields:
        if name in ("legal_name", "register_court", "register_number", "vat_id", "location", "employees"):
            items[name] = _scalar(profile, name)
        elif name == "directors":
            items[name] = [Item(norm_name(d), d, _director_sources(profile, d)) for d in profile.directors]
        elif name == "emails":
            items[name] = [Item(norm_email(e), e) for e in profile.emails]
        elif name == "people":
            items["people"] = [Item(norm_name(p.name), p.name, (p.source_url,)) for p in profile.people]
        elif name == "news":
            items["news"] = [Item(norm_text(n.title), n.title, (n.source_url,)) for n in profile.news]
    return items


# --- matching --------------------------------------------------------------------------------


def _match(
    name: str, expected: list[Item], predicted: list[Item], score: CompanyScore
) -> list[tuple[Item, Item]]:
    """One-to-one matches by key; counts, misses and false positives go into ``score``."""
    result = FieldScore()
    pool: dict[str, list[Item]] = {}
    for item in expected:
        pool.setdefault(item.key, []).append(item)
    pairs: list[tuple[Item, Item]] = []
    for item in predicted:
        candidates = pool.get(item.key)
        if candidates:
            pairs.append((candidates.pop(0), item))
        else:
            result.fp += 1
            score.false_positives.append(f"{name}: {item.display}")
    result.tp = len(pairs)
    for leftover in pool.values():
        result.fn += len(leftover)
        score.missed.extend(f"{name}: {item.display}" for item in leftover)
    for want, got in pairs:
        if want.sources is None or got.sources is None:
            continue
        result.sources_checked += 1
        cited = sorted({page_path(url) for url in got.sources})
        if cited and all(path in want.sources for path in cited):
            result.sources_ok += 1
        else:
            where = ", ".join(cited) or "no source"
            score.source_errors.append(f"{name}: {want.display} cited {where}, stated on {', '.join(want.sources)}")
    score.fields[name] = result
    return pairs


def _attribute(
    name: str, expected: list[tuple[str, set[str]]], found: dict[str, str | None], score: CompanyScore
) -> None:
    """Score an attribute (role, email, date) of the people/news matched by name/title.

    ``expected``: (who, accepted keys) of every expected person/item stating the attribute;
    ``found``: the predicted attribute (None: not stated) of each matched person/item by who.
    """
    result = FieldScore()
    accepted = dict(expected)
    for who, value in found.items():
        if value is None:
            continue
        if value in accepted.get(who, set()):
            result.tp += 1
        else:
            result.fp += 1
            score.false_positives.append(f"{name}: {who}: {value}")
    for who, keys in expected:
        if found.get(who) not in keys:
            result.fn += 1
            score.missed.append(f"{name}: {who}")
    score.fields[name] = result


def _people_attributes(case: CompanyCase, profile: CompanyProfile, score: CompanyScore) -> None:
    matched = {norm_name(p.name): p for p in profile.people}
    found = [(want, matched.get(norm_name(want.name))) for want in case.people]
    _attribute(
        "people.role",
        [(want.name, {norm_text(r) for r in want.roles}) for want in case.people if want.roles],
        {want.name: norm_text(got.role) if got.role else None for want, got in found if got is not None},
        score,
    )
    _attribute(
        "people.email",
        [(want.name, {norm_email(want.email)}) for want in case.people if want.email],
        {want.name: norm_email(got.email) if got.email else None for want, got in found if got is not None},
        score,
    )


def _news_dates(case: CompanyCase, profile: CompanyProfile, score: CompanyScore) -> None:
    matched = {norm_text(n.title): n for n in profile.news}
    found = [(want, matched.get(norm_text(want.title))) for want in case.news]
    _attribute(
        "news.date",
        [(want.title, {want.date.isoformat()}) for want in case.news if want.date],
        {want.title: got.date for want, got in found if got is not None},
        score,
    )


def score_profile(case: CompanyCase, profile: CompanyProfile) -> CompanyScore:
    """Compare one researched profile with its truth."""
    score = CompanyScore(case_id=case.id)
    stated = case.stated_fields
    expected = expected_items(case)
    predicted = predicted_items(profile, stated)
    for name in stated:
        _match(name, expected[name], predicted[name], score)
        if name == "people":
            _people_attributes(case, profile, score)
        elif name == "news":
            _news_dates(case, profile, score)
    dumped = norm_text(profile.model_dump_json())
    score.forbidden_found = [text for text in case.must_not_contain if norm_text(text) in dumped]
    score.flags_expected = len(case.flags)
    score.flags_missing = [p for p in case.flags if not any(flag.startswith(p) for flag in profile.flags)]
    return score


def _metric_fields(scores: Iterable[CompanyScore]) -> dict[str, FieldScore]:
    totals: dict[str, FieldScore] = {}
    for score in scores:
        for name, counts in score.fields.items():
            totals.setdefault(name, FieldScore()).add(counts)
    return {name: totals[name] for name in FIELD_ORDER if name in totals}


def aggregate(scores: list[CompanyScore]) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Flat metrics (micro-averaged over all companies) and per-field details.

    Metrics: ``precision``/``recall``/``f1`` over every field, ``<field>.precision`` and
    ``<field>.recall``, ``source_accuracy``, ``forbidden_found`` (lower is better),
    ``flags_recall`` and ``perfect_profiles`` (share of companies without any error).
    """
    per_field = _metric_fields(scores)
    total = FieldScore()
    for counts in per_field.values():
        total.add(counts)
    precision, recall, f1 = prf(total)
    metrics: dict[str, float | None] = {"precision": precision, "recall": recall, "f1": f1}
    details: dict[str, Any] = {"fields": {}}
    for name, counts in per_field.items():
        p, r, f = prf(counts)
        metrics[f"{name}.precision"] = p
        metrics[f"{name}.recall"] = r
        details["fields"][name] = {"tp": counts.tp, "fp": counts.fp, "fn": counts.fn, "precision": p, "recall": r,
                                   "f1": f, "sources_checked": counts.sources_checked, "sources_ok": counts.sources_ok}
    metrics["source_accuracy"] = _ratio(total.sources_ok, total.sources_checked)
    metrics["forbidden_found"] = float(sum(len(s.forbidden_found) for s in scores))
    flags = sum(s.flags_expected for s in scores)
    metrics["flags_recall"] = _ratio(flags - sum(len(s.flags_missing) for s in scores), flags)
    metrics["perfect_profiles"] = _ratio(sum(1 for s in scores if s.perfect), len(scores))
    details["counts"] = dict(Counter({"tp": total.tp, "fp": total.fp, "fn": total.fn}))
    return metrics, details


LOWER_IS_BETTER = frozenset({"forbidden_found"})
