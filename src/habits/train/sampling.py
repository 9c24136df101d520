"""Which problems a GRPO batch trains on: DAPO's dynamic sampling and a solve-rate curriculum.

GRPO learns only from groups whose completions differ: a group that is all right or all wrong has
no correctness signal. Two options act on that, both judged by the verifier's **binary** verdict
and never by a shaped reward (on GeneralPoints' +5/-1/-2/-3 an all-wrong group still has reward
spread, and training on those differences -- which kind of wrong -- is known to wreck the policy):

* **dynamic sampling** (DAPO, arXiv 2503.14476; missing from TRL): after a batch is generated and
  verified, groups without a right *and* a wrong completion are dropped and the batch is refilled
  with groups for new problems, for up to ``max_rounds`` generation rounds. Groups still missing
  then are *fillers*: present in the batch (its size is fixed) but left out of the loss.
* **solve-rate curriculum**: every verified completion updates its problem's measured solve rate,
  and batches draw problems with weight p (1 - p), p being the solve rate smoothed towards the run's
  mean -- so problems the model solves sometimes but not always come up most, and both the ones it
  always solves and the ones it never does fade. It matters when problems recur (``train_size``
  smaller than what ``max_steps`` consumes, or a small ``train_file``).

This module holds the policy only (no TRL); :mod:`habits.train.trl_seam` applies it to TRL's batches.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def groups_with_spread(correct: Sequence[bool], group_size: int) -> list[bool]:
    """Per group of ``group_size`` consecutive completions: does it hold both a right and a wrong one?"""
    if len(correct) % group_size:
        raise ValueError(f"{len(correct)} verdicts do not split into groups of {group_size}")
    return [0 < sum(map(bool, correct[i:i + group_size])) < group_size for i in range(0, len(correct), group_size)]


@dataclass
class SolveRates:
    """Measured solve rate per problem (keyed by the row's ``problem`` text), pooled over the run."""

    attempts: dict[str, int] = field(default_factory=dict)
    solved: dict[str, int] = field(default_factory=dict)
    prior_strength: float = 2.0  # pseudo-attempts pulling a problem's rate towards the run's mean

    def observe(self, keys: Sequence[str], correct: Sequence[bool]) -> None:
        for key, ok in zip(keys, correct, strict=True):
            self.attempts[key] = self.attempts.get(key, 0) + 1
            self.solved[key] = self.solved.get(key, 0) + int(bool(ok))

    def mean(self) -> float:
        total = sum(self.attempts.values())
        return (sum(self.solved.values()) + 0.5) / (total + 1.0)  # 0.5 before anything is measured

    def rate(self, key: str, mean: float | None = None) -> float:
        mean = self.mean() if mean is None else mean
        return (self.solved.get(key, 0) + self.prior_strength * mean) / (self.attempts.get(key, 0)
                                                                         + self.prior_strength)

    def weights(self, keys: Sequence[str]) -> list[float]:
        """Sampling weight p (1 - p) per problem, never exactly 0 (a rate is an estimate)."""
        mean = self.mean()
        return [max(p * (1.0 - p), 1e-3) for p in (self.rate(key, mean) for key in keys)]

    def to_dict(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "solved": self.solved}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SolveRates:
        return cls(dict(data.get("attempts", {})), dict(data.get("solved", {})))


@dataclass
class GroupSampler:
    """Draws groups of rows for a GRPO batch and keeps the solve-rate table.

    ``rows`` are the training rows (``prompt`` + ``problem``); ``correctness()`` returns the binary
    verdicts of the batch most recently scored (one per completion, in batch order).
    """

    rows: list[dict[str, Any]]
    num_generations: int
    correctness: Callable[[], Sequence[bool]]
    dynamic: bool = False
    max_rounds: int = 4
    curriculum: str = "uniform"
    seed: int = 0
    rates: SolveRates = field(default_factory=SolveRates)
    _rng: random.Random | None = None

    def rng(self, process: int) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(f"habits-sampling:{self.seed}:{process}")
        return self._rng

    def first(self, batch: list[dict[str, Any]], process: int = 0) -> list[dict[str, Any]]:
        """The batch to generate first: TRL's own rows, or (curriculum) as many groups drawn by solve rate."""
        if self.curriculum != "solve_rate":
            return batch
        return self.draw(len(batch) // self.num_generations, process)

    def draw(self, groups: int, process: int = 0) -> list[dict[str, Any]]:
        """``groups`` problems, each repeated ``num_generations`` times (fresh dicts: TRL writes into rows)."""
        rng = self.rng(process)
        pool = list(range(len(self.rows)))
        if self.curriculum == "solve_rate":
            weights = self.rates.weights([str(self.rows[i]["problem"]) for i in pool])
        else:
            weights = [1.0] * len(pool)
        chosen: list[int] = []
        while len(chosen) < groups:
            if not pool:  # fewer problems than groups: start over (a problem may recur)
                pool = list(range(len(self.rows)))
                weights = [1.0] * len(pool) if self.curriculum != "solve_rate" else \
                    self.rates.weights([str(self.rows[i]["problem"]) for i in pool])
            at = rng.choices(range(len(pool)), weights=weights)[0]
            chosen.append(pool.pop(at))
            weights.pop(at)
        return [dict(self.rows[i]) for i in chosen for _ in range(self.num_generations)]

    def observe(self, rows: Sequence[Mapping[str, Any]], correct: Sequence[bool]) -> None:
        self.rates.observe([str(row["problem"]) for row in rows], correct)
