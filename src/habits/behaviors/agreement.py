"""How well a classifier agrees with gold labels: presence precision / recall / F1 and count correlation.

Used by ``habits behaviors agree`` on the labeled fixtures and by anyone comparing the lexical
classifier with a judge. Fixtures: ``tuning`` / ``heldout`` (Countdown and GeneralPoints traces) and
``varied_tuning`` / ``varied_heldout`` (more authors' styles: terse, chatty, math prose, code, other
languages' punctuation, web prose), and ``blind_tuning`` / ``blind_heldout`` (written and labeled
from the taxonomy alone by an author who never saw the classifier). The held-out files are never
used to tune the classifier.
Predictions recorded as missing (``None``) are left out of that behavior's statistics and counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS

FIXTURES = ("tuning", "heldout", "varied_tuning", "varied_heldout", "blind_tuning", "blind_heldout")


@dataclass(frozen=True)
class BehaviorAgreement:
    """Agreement on one behavior over the rows where both gold and prediction are known."""

    behavior: str
    n: int
    missing: int  # predictions recorded as None
    true_positive: int
    false_positive: int
    false_negative: int
    precision: float
    recall: float
    f1: float
    pearson: float | None  # correlation of counts; None when either side is constant
    spearman: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fixture_path(name: str) -> Path:
    """Path of a shipped fixture file, one of :data:`FIXTURES` (``"heldout"``, ``"blind_heldout"`` ...)."""
    if name not in FIXTURES:
        raise ValueError(
            f"unknown fixture {name!r}; choose one of: {', '.join(FIXTURES)} (or pass a file path)"
        )
    return Path(str(resources.files("habits.behaviors") / "fixtures" / f"{name}.jsonl"))


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation, or None when either sequence is constant or shorter than 2."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def ranks(values: Sequence[float]) -> list[float]:
    """Ranks starting at 1, ties sharing their average rank (as Spearman's rho needs)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman rank correlation (Pearson on average ranks)."""
    return pearson(ranks(xs), ranks(ys))


def agreement(
    gold: Sequence[Mapping[str, int]], predicted: Sequence[Mapping[str, int | None] | None]
) -> dict[str, BehaviorAgreement]:
    """Per-behavior agreement of ``predicted`` counts with ``gold`` counts (same order, same length)."""
    if len(gold) != len(predicted):
        raise ValueError(
            f"agreement needs as many predictions as gold rows ({len(predicted)} vs {len(gold)})"
        )
    out: dict[str, BehaviorAgreement] = {}
    for name in BEHAVIORS:
        pairs = [(g[name], p.get(name) if p is not None else None) for g, p in zip(gold, predicted)]
        known = [(g, p) for g, p in pairs if p is not None]
        tp = sum(1 for g, p in known if g > 0 and p > 0)
        fp = sum(1 for g, p in known if g == 0 and p > 0)
        fn = sum(1 for g, p in known if g > 0 and p == 0)
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * precision * recall, 1) / (precision + recall) if precision + recall else 0.0
        xs, ys = [float(g) for g, _ in known], [float(p) for _, p in known]
        out[name] = BehaviorAgreement(
            name,
            len(known),
            len(pairs) - len(known),
            tp,
            fp,
            fn,
            precision,
            recall,
            f1,
            pearson(xs, ys),
            spearman(xs, ys),
        )
    return out


def macro_f1(result: Mapping[str, BehaviorAgreement]) -> float:
    """Mean presence F1 over the four behaviors."""
    return sum(result[name].f1 for name in BEHAVIORS) / len(BEHAVIORS)
