"""The regression gate: compare a report with a baseline report and name every metric that dropped.

A metric regresses when it is worse than the baseline by more than ``max_drop``: lower for
ordinary metrics, higher for the variant's ``lower_is_better`` ones (counts such as
``errors`` or ``forbidden_found``, distances). A variant or metric the baseline has but the
new report lacks is a failure too — a gate that measured nothing must not pass. Metrics
undefined in the baseline (``None``) are skipped. A different dataset digest is only a
warning: the baseline may be older than an intended change of the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evals.results import EvalReport

TOLERANCE = 1e-9


class GateError(ValueError):
    """The two reports cannot be compared (different suites)."""


@dataclass(frozen=True)
class Regression:
    """One metric that got worse than allowed (``current`` None: not measured any more)."""

    variant: str
    metric: str
    baseline: float
    current: float | None
    lower_is_better: bool = False

    @property
    def change(self) -> float | None:
        """How much worse, as a positive number (None when not measured)."""
        if self.current is None:
            return None
        return self.current - self.baseline if self.lower_is_better else self.baseline - self.current

    def describe(self, max_drop: float) -> str:
        """One line naming the metric and the numbers."""
        name = f"{self.variant}.{self.metric}"
        if self.current is None:
            return f"{name}: {self.baseline:.4f} in the baseline, not measured now"
        verb = "rose" if self.lower_is_better else "dropped"
        return (
            f"{name} {verb} from {self.baseline:.4f} to {self.current:.4f} "
            f"(by {self.change:.4f}, more than the allowed {max_drop:.4f})"
        )


@dataclass
class GateResult:
    """Outcome of one comparison."""

    max_drop: float
    regressions: list[Regression] = field(default_factory=list)
    missing_variants: list[str] = field(default_factory=list)
    checked: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when nothing regressed and every baseline variant was measured."""
        return not self.regressions and not self.missing_variants

    def lines(self) -> list[str]:
        """Human-readable findings, failures first."""
        out = [f"variant {name!r} is in the baseline but was not run" for name in self.missing_variants]
        out += [r.describe(self.max_drop) for r in self.regressions]
        return out + [f"warning: {w}" for w in self.warnings]


def check_regressions(current: EvalReport, baseline: EvalReport, *, max_drop: float = 0.02) -> GateResult:
    """Every metric of ``baseline`` that ``current`` is worse at by more than ``max_drop``."""
    if max_drop < 0:
        raise GateError(f"max_drop must not be negative, got {max_drop}")
    if current.suite != baseline.suite:
        raise GateError(f"the baseline is a {baseline.suite!r} report, this run is {current.suite!r}")
    result = GateResult(max_drop=max_drop)
    if current.dataset.digest != baseline.dataset.digest:
        result.warnings.append(
            f"the dataset changed since the baseline ({baseline.dataset.digest} → {current.dataset.digest})"
        )
    for old in baseline.variants:
        new = current.variant(old.name)
        if new is None:
            result.missing_variants.append(old.name)
            continue
        lower = set(old.lower_is_better) | set(new.lower_is_better)
        for metric, before in old.metrics.items():
            if before is None:
                continue
            after = new.metrics.get(metric)
            regression = Regression(old.name, metric, before, after, metric in lower)
            result.checked += 1
            change = regression.change
            if change is None or change > max_drop + TOLERANCE:
                result.regressions.append(regression)
    return result
