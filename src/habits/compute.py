"""Training compute in FLOPs, as the SFT-vs-RL paper counts it, and evaluation points at equal compute.

Chu et al. (2025, "SFT Memorizes, RL Generalizes", §5 and its appendix) compare SFT and RL at equal
training compute, with the usual estimates of 6·N FLOPs per trained token (forward and backward)
and 2·N per token a forward pass reads (Kaplan et al. 2020), N the parameter count:

* SFT: ``X_SFT = 6·N·(D_init + D_SFT)``
* RL:  ``X_RL  = 6·N·(D_init + D_RL) + 2·N·D_buffer``,  with  ``D_buffer ≈ λ·D_RL``

``D_init`` are the tokens of the SFT that made the shared start checkpoint (both arms carry it),
``D_SFT`` / ``D_RL`` the tokens each arm trains on, and ``D_buffer`` the tokens the model reads to
*generate* the RL rollouts -- on-policy RL pays for inference on top of training. The paper
approximates ``D_buffer ≈ E·d̄_i·d̄_o`` (E generations, d̄_i / d̄_o their mean input and output
lengths in tokens: each output token is produced by a forward pass over the input, without a KV
cache) and writes it as ``λ·D_RL``; λ is the *generation factor*: inference token-reads per trained
token. The paper reports λ ≈ 6 for GeneralPoints and 5.1 for V-IRL.

λ here is either configured (e.g. the paper's value, :func:`paper_lambda`: each task's
``paper_generation_factor``) or *measured* from the
rollouts of the run itself with the paper's definition: ``λ = E·d̄_i·d̄_o / D_RL``, where ``D_RL``
counts every token of every rollout once per optimisation pass over it (GRPO's ``num_iterations``,
PPO's epochs) -- see :func:`measured_lambda`. The measured value depends on prompt and completion
lengths, so a tiny model with short prompts gets a very different λ from the paper's; the recipe
decides which to use, and the log says which was used (``compute/lambda``).

Not counted, as in the paper: the reference model's forward pass (KL penalty) and the old-policy
log-probabilities of extra optimisation passes; padding; the cost of evaluation.

Equal compute: :func:`match_compute` maps one shared grid of FLOPs to a step of each arm and
refuses, with a sentence that names the recipe's file and line when given them, grids that an arm
cannot reach or resolve (:class:`ComputeMatchError`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

def paper_lambda(task: Any) -> float | None:
    """The paper's λ for ``task`` (a Task, or a registered task name), or None when the paper reports none.

    Each task states its own (``Task.paper_generation_factor``: 6 for GeneralPoints, 5.1 for V-IRL).
    """
    if isinstance(task, str):
        from habits.tasks import task_class

        task = task_class(task)
    return getattr(task, "paper_generation_factor", None)


# -- the paper's estimate -----------------------------------------------------------------------
def sft_flops(n_params: float, sft_tokens: float, init_tokens: float = 0.0) -> float:
    """``6·N·(D_init + D_SFT)``: FLOPs of an SFT arm after training on ``sft_tokens``.

    >>> sft_flops(1e9, 1000)
    6000000000000.0
    """
    _check_nonnegative(n_params=n_params, sft_tokens=sft_tokens, init_tokens=init_tokens)
    return 6.0 * n_params * (init_tokens + sft_tokens)


def rl_flops(n_params: float, rl_tokens: float, lam: float, init_tokens: float = 0.0) -> float:
    """``6·N·(D_init + D_RL) + 2·N·λ·D_RL``: FLOPs of an RL arm after training on ``rl_tokens``.

    >>> rl_flops(1e9, 1000, lam=6.0) / sft_flops(1e9, 1000)  # a trained RL token costs (6 + 2·6) / 6 = 3x
    3.0
    """
    _check_nonnegative(n_params=n_params, rl_tokens=rl_tokens, lam=lam, init_tokens=init_tokens)
    return 6.0 * n_params * (init_tokens + rl_tokens) + 2.0 * n_params * lam * rl_tokens


def buffer_tokens(rollouts: float, mean_prompt: float, mean_completion: float) -> float:
    """The paper's ``D_buffer ≈ E·d̄_i·d̄_o``: token-reads to generate ``rollouts`` completions."""
    _check_nonnegative(rollouts=rollouts, mean_prompt=mean_prompt, mean_completion=mean_completion)
    return rollouts * mean_prompt * mean_completion


def measured_lambda(mean_prompt: float, mean_completion: float, passes: int = 1) -> float:
    """λ of rollouts with these mean lengths (tokens), trained on ``passes`` times each.

    ``E·d̄_i·d̄_o / D_RL`` with ``D_RL = passes·E·(d̄_i + d̄_o)``: the rollout count cancels.

    >>> measured_lambda(100, 50, passes=4)  # 100·50 / (4·150)
    8.333333333333334
    """
    if passes < 1:
        raise ValueError(f"passes (optimisation passes over each rollout) must be >= 1, got {passes}")
    _check_nonnegative(mean_prompt=mean_prompt, mean_completion=mean_completion)
    total = mean_prompt + mean_completion
    return 0.0 if total == 0 else mean_prompt * mean_completion / (passes * total)


def count_parameters(model: Any) -> int:
    """N: parameters of a torch model, each shared (tied) tensor once -- what a token passes through."""
    return sum(p.numel() for p in model.parameters())


def _check_nonnegative(**values: float) -> None:
    for name, value in values.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


# -- equal compute ------------------------------------------------------------------------------
class ComputeMatchError(ValueError):
    """A grid of compute points that an arm cannot match; the message names file:line when known."""

    def __init__(self, message: str, arm: str | None = None, point: int | None = None) -> None:
        super().__init__(message)
        self.arm = arm
        self.point = point


def located(message: str, path: str | Path | None = None, line: int | None = None) -> str:
    """``path:line: message`` (or ``path: message``, or the bare message), as config errors read."""
    if path is None:
        return message
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"


def cumulative_flops(per_step: float | Sequence[float], steps: int | None = None,
                     start: float = 0.0) -> list[float]:
    """FLOPs after step 0, 1, …: ``start``, then adding each step's FLOPs.

    ``per_step``: one number (every step costs the same: a planned estimate, ``steps`` needed) or
    the measured FLOPs of each step in order.

    >>> cumulative_flops(2.0, steps=3, start=1.0)
    [1.0, 3.0, 5.0, 7.0]
    """
    if isinstance(per_step, (int, float)):
        if steps is None or steps < 0:
            raise ValueError("cumulative_flops: give steps (>= 0) with a constant per-step cost")
        costs: Sequence[float] = [float(per_step)] * steps
    else:
        costs = list(per_step)[:steps] if steps is not None else list(per_step)
    out = [float(start)]
    for cost in costs:
        if not math.isfinite(cost) or cost < 0:
            raise ValueError(f"a step's FLOPs must be a finite number >= 0, got {cost!r}")
        out.append(out[-1] + cost)
    return out


def compute_grid(arms: Mapping[str, Sequence[float]], n: int) -> list[float]:
    """``n`` evenly spaced compute points every arm can reach: from the latest start to the earliest end.

    The first point lies one spacing above the latest start (the start itself is each arm's step 0,
    evaluated anyway), the last at the smallest total any arm reaches.

    >>> compute_grid({"sft": [0, 1, 2, 3, 4], "rl": [0, 4, 8]}, 2)
    [2.0, 4.0]
    """
    if n < 1:
        raise ValueError(f"compute_grid: n must be >= 1, got {n}")
    if not arms:
        raise ValueError("compute_grid: no arms")
    start = max(series[0] for series in arms.values())
    end = min(series[-1] for series in arms.values())
    if end <= start:
        raise ComputeMatchError(f"the arms share no compute range: the latest start ({start:.3g} FLOPs) is "
                                f"not below the earliest end ({end:.3g} FLOPs); give the arms more steps")
    step = (end - start) / n
    return [start + step * (i + 1) for i in range(n)]


def match_compute(arms: Mapping[str, Sequence[float]], points: Sequence[float], *, tolerance: float = 0.25,
                  path: str | Path | None = None, line: int | None = None,
                  arm_lines: Mapping[str, int] | None = None) -> dict[str, list[int]]:
    """The step of each arm at each compute point: ``{arm: [step per point]}``.

    ``arms``: cumulative FLOPs per arm after step 0, 1, … (:func:`cumulative_flops`); ``points``:
    FLOPs, increasing. Each point goes to the arm's step whose compute is nearest; the match must
    be within ``tolerance`` (relative to the point) and two points may not fall on one step.

    Raises :class:`ComputeMatchError` naming the arm, the point and what to change, placed at
    ``path:line`` (or the arm's own line from ``arm_lines``) when they are given, e.g.
    ``study.yaml:14: compute point 3 (4e+12 FLOPs) is beyond arm 'sft' (2e+12 FLOPs after 50 steps) ...``.

    >>> match_compute({"sft": cumulative_flops(1.0, 8), "rl": cumulative_flops(3.0, 3)}, [3.0, 6.0])
    {'sft': [3, 6], 'rl': [1, 2]}
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    points = [float(p) for p in points]

    def fail(message: str, arm: str | None = None, point: int | None = None) -> ComputeMatchError:
        where = (arm_lines or {}).get(arm, line) if arm is not None else line
        return ComputeMatchError(located(message, path, where), arm, point)

    if not points:
        raise fail("no compute points given; list at least one (FLOPs)")
    for index, point in enumerate(points):
        if not math.isfinite(point) or point <= 0:
            raise fail(f"compute point {index + 1} must be a positive number of FLOPs, got {point!r}",
                       point=index)
        if index and point <= points[index - 1]:
            raise fail(f"compute points must increase: point {index + 1} ({point:.3g}) is not above point "
                       f"{index} ({points[index - 1]:.3g})", point=index)
    matched: dict[str, list[int]] = {}
    for arm, series in arms.items():
        if not series:
            raise fail(f"arm {arm!r} has no compute series", arm)
        steps = []
        for index, point in enumerate(points):
            step = min(range(len(series)), key=lambda s: (abs(series[s] - point), s))
            if abs(series[step] - point) > tolerance * point:
                raise fail(_mismatch(arm, series, index, point, tolerance), arm, index)
            if steps and step == steps[-1]:
                raise fail(f"compute points {index} and {index + 1} ({points[index - 1]:.3g} and {point:.3g} "
                           f"FLOPs) fall on the same step ({step}) of arm {arm!r}, whose steps cost about "
                           f"{_step_cost(series):.3g} FLOPs; space the points further apart", arm, index)
            steps.append(step)
        matched[arm] = steps
    return matched


def _step_cost(series: Sequence[float]) -> float:
    return (series[-1] - series[0]) / max(1, len(series) - 1)


def _mismatch(arm: str, series: Sequence[float], index: int, point: float, tolerance: float) -> str:
    head = f"compute point {index + 1} ({point:.3g} FLOPs)"
    if point > series[-1]:
        return (f"{head} is beyond arm {arm!r}, which reaches {series[-1]:.3g} FLOPs after {len(series) - 1} "
                "steps; lower the point or give the arm more steps")
    if point < series[0]:
        return (f"{head} is below the compute arm {arm!r} starts from ({series[0]:.3g} FLOPs, spent by its "
                "earlier stages); raise the point or leave the arm out of this grid")
    return (f"{head} falls between steps of arm {arm!r}, whose steps cost about {_step_cost(series):.3g} "
            f"FLOPs: no step is within {tolerance:.0%} of it; use smaller steps for that arm or move the "
            "point")


def flops_at(rows: Sequence[Mapping[str, Any]], step: int, key: str = "compute/flops") -> float | None:
    """The logged FLOPs at ``step`` in a run's ``metrics.jsonl`` rows (to label an evaluation point).

    Step 0 (before any update) has no row; its compute is the stage's start, which the caller knows.
    """
    found = [row[key] for row in rows if row.get("step") == step and row.get(key) is not None]
    return float(found[-1]) if found else None
