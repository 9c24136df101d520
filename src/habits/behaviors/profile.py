"""A model's behavior profile: aggregate per-response counts into shares and means with intervals,
and a readiness verdict that names the missing behaviors.

``aggregate(counts)`` is what ``habits diagnose`` prints; :mod:`habits.metrics` reads the same
shares and means for evaluation JSONs and the per-step RL log.

Shares (fraction of responses with at least one instance) get Wilson score intervals, which stay
inside [0, 1] and behave at 0% and 100%; mean counts get Student-t intervals (or a seeded
percentile bootstrap, for skewed counts). A behavior is *present* when its share reaches
``min_share`` (default 10%: one response in ten shows it); the model is *ready* for RL when every
``required`` behavior is present. Counts recorded as missing (``None``, an unreadable judge answer)
are left out of that behavior's statistics and reported.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from statistics import NormalDist

from habits.behaviors.taxonomy import BEHAVIORS


@dataclass
class Thresholds:
    """When a behavior counts as present and a model as ready."""

    min_share: float = 0.10  # present if at least this share of responses shows the behavior
    required: tuple[str, ...] = BEHAVIORS  # behaviors that must all be present for "ready"
    confidence: float = 0.95  # interval coverage
    strict: bool = False  # judge presence by the interval's lower bound instead of the point estimate

    def __post_init__(self) -> None:
        if not 0 <= self.min_share <= 1:
            raise ValueError(f"min_share must be between 0 and 1, got {self.min_share}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")
        if isinstance(self.required, str):
            self.required = tuple(name.strip() for name in self.required.split(",") if name.strip())
        unknown = [name for name in self.required if name not in BEHAVIORS]
        if unknown:
            raise ValueError(
                f"unknown behavior(s) {', '.join(unknown)} in required; choose from {', '.join(BEHAVIORS)}"
            )
        self.required = tuple(self.required)


@dataclass
class BehaviorStats:
    """One behavior over ``n`` responses (``missing`` more had no count)."""

    behavior: str
    n: int
    missing: int
    with_behavior: int  # responses with at least one instance
    share: float
    share_low: float
    share_high: float
    mean: float
    mean_low: float
    mean_high: float
    present: bool


@dataclass
class Profile:
    """The behavior profile of a set of responses and the readiness verdict."""

    n: int
    behaviors: dict[str, BehaviorStats]
    present: list[str]
    missing: list[str]  # required behaviors that are not present
    ready: bool
    verdict: str
    thresholds: Thresholds = field(default_factory=Thresholds)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["thresholds"]["required"] = list(self.thresholds.required)
        return out


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n`` (``(0, 1)`` when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def t_quantile(confidence: float, df: int) -> float:
    """Two-sided Student-t critical value (Cornish-Fisher expansion; within 0.5% for df >= 3)."""
    z = _z(confidence)
    if df <= 0:
        return math.inf
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    exact_small = {1: 12.706, 2: 4.303}  # the expansion is poor for df 1-2 at 95%
    if df in exact_small and abs(confidence - 0.95) < 1e-9:
        return exact_small[df]
    return z + g1 / df + g2 / df**2 + g3 / df**3


def mean_interval(
    values: Sequence[float], confidence: float = 0.95, method: str = "t", resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Interval for the mean of ``values``: Student-t, or a seeded percentile bootstrap."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = sum(values) / n
    if n == 1:
        return mean, mean
    if method == "bootstrap":
        rng = random.Random(seed)
        means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
        tail = (1 - confidence) / 2
        return means[int(tail * (resamples - 1))], means[int((1 - tail) * (resamples - 1))]
    if method != "t":
        raise ValueError(f"interval method must be 't' or 'bootstrap', got {method!r}")
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = t_quantile(confidence, n - 1) * math.sqrt(variance / n)
    return mean - half, mean + half


def aggregate(
    counts: Iterable[Mapping[str, int | None]], thresholds: Thresholds | None = None, method: str = "t"
) -> Profile:
    """Shares, mean counts, intervals and the readiness verdict for a list of counts dicts."""
    thresholds = thresholds or Thresholds()
    rows = list(counts)
    stats: dict[str, BehaviorStats] = {}
    for name in BEHAVIORS:
        values = [row.get(name) for row in rows]
        known = [int(v) for v in values if v is not None]
        k = sum(1 for v in known if v > 0)
        share = k / len(known) if known else 0.0
        low, high = wilson_interval(k, len(known), thresholds.confidence)
        mean = sum(known) / len(known) if known else 0.0
        mean_low, mean_high = mean_interval(known, thresholds.confidence, method)
        present = bool(known) and (low if thresholds.strict else share) >= thresholds.min_share
        stats[name] = BehaviorStats(
            name,
            len(known),
            len(values) - len(known),
            k,
            share,
            low,
            high,
            mean,
            mean_low,
            mean_high,
            present,
        )
    present = [name for name in BEHAVIORS if stats[name].present]
    missing = [name for name in thresholds.required if not stats[name].present]
    return Profile(
        len(rows),
        stats,
        present,
        missing,
        not missing and bool(rows),
        _verdict(rows, stats, missing, thresholds),
        thresholds,
    )


def _verdict(
    rows: list, stats: Mapping[str, BehaviorStats], missing: list[str], thresholds: Thresholds
) -> str:
    if not rows:
        return "no responses to judge"
    bar = f"{thresholds.min_share:.0%} of responses"
    if not missing:
        return f"ready for RL: {', '.join(thresholds.required)} each appear in at least {bar}"
    shown = ", ".join(f"{name} ({stats[name].share:.0%})" for name in missing)
    return (
        f"not ready: missing {shown} -- below {bar}. RL amplifies habits a model already has; prime "
        f"with SFT on traces that show {', '.join(missing)} first (habits prime-data)."
    )
