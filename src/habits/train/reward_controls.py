"""Control rewards that tell what RL learned from the reward: a random reward and a format-only reward.

"Spurious reward" results (2025) found RL gains with rewards that carry no information about
correctness; a study that credits the true reward must beat both controls, trained the same way:

* :class:`RandomReward` -- 1.0 with probability ``p``, else 0.0, independent of the completion. It
  is a fixed function of (seed, training step, process, position in the batch), never of the text,
  so the same completion is not always rewarded the same (that would be a learnable signal) and a
  rerun with the same seed gives the same rewards.
* :class:`FormatOnlyReward` -- 1.0 when the completion's answer parses in the task's format, right
  or wrong, else 0.0: the task's verifier gives the verdict and a verdict whose reason is one of
  :data:`habits.tasks.base.FORMAT_ERRORS` (``no_answer``, ``malformed``) is a format failure --
  the same line the logged ``format_error`` share draws, so the mean format-only reward is
  ``1 - format_error``.

Both follow TRL's reward contract, ``f(completions, **columns) -> list[float]``, like
:class:`habits.train.rewards.OutcomeReward`: the ``problem`` column carries each prompt's problem,
``final_attempt`` (verify-and-revise rollouts) the attempt that is scored, and ``log_metric`` lets
them log the batch's true accuracy and format errors next to the control reward, so a run trained on
a control still shows how correct it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from habits.metrics import measure
from habits.tasks.base import FORMAT_ERRORS, Task


def _process_index() -> int:
    """This process's rank (0 alone): every process scores its own slice of the batch."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover -- torch is a dependency
        return 0
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


class RandomReward:
    """1.0 with probability ``p`` (else 0.0), independent of the completion; deterministic per seed.

    With ``task`` given, the batch is also verified so ``log_metric`` can log its true accuracy.

    >>> reward = RandomReward(p=0.5, seed=3)
    >>> reward(["a", "b", "c", "d"]) == RandomReward(p=0.5, seed=3)(["w", "x", "y", "z"])
    True
    """

    __name__ = "random_reward"  # TRL names the logged reward column after this

    def __init__(self, p: float = 0.5, seed: int = 0, task: Task | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"random reward: p must be between 0 and 1, got {p}")
        self.p = p
        self.seed = seed
        self.task = task
        self.calls = 0  # the step, when the trainer does not say (outside TRL)

    def draw(self, step: int, index: int, process: int = 0) -> float:
        """The reward of completion ``index`` of ``process``'s batch at ``step``."""
        key = f"random-reward:{self.seed}:{step}:{process}:{index}".encode()
        uniform = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64
        return 1.0 if uniform < self.p else 0.0

    def __call__(self, completions: list[Any], problem: list[Any] | None = None,
                 final_attempt: list[str] | None = None, trainer_state: Any = None,
                 log_metric: Callable[[str, float], None] | None = None, **columns: Any) -> list[float]:
        step = trainer_state.global_step if trainer_state is not None else self.calls
        self.calls += 1
        process = _process_index()
        rewards = [self.draw(step, index, process) for index in range(len(completions))]
        if log_metric is not None and self.task is not None and problem is not None:
            texts = list(final_attempt) if final_attempt is not None else completions
            for name, value in measure(self.task, problem, texts, behaviors=False).log_values().items():
                log_metric(name, value)
        return rewards


class FormatOnlyReward:
    """1.0 when the task's verifier finds a checkable answer (right or wrong), else 0.0.

    >>> from habits.tasks import get_task
    >>> reward = FormatOnlyReward(get_task("countdown"))
    >>> reward(["<answer>(3+5)*2</answer>", "<answer>1+1</answer>", "no idea"],
    ...        problem=[{"numbers": [2, 3, 5], "target": 16}] * 3)
    [1.0, 1.0, 0.0]
    """

    __name__ = "format_only_reward"

    def __init__(self, task: Task) -> None:
        self.task = task

    def __call__(self, completions: list[Any], problem: Sequence[Any], final_attempt: list[str] | None = None,
                 log_metric: Callable[[str, float], None] | None = None, **columns: Any) -> list[float]:
        texts = list(final_attempt) if final_attempt is not None else completions
        batch = measure(self.task, problem, texts, behaviors=False)
        if log_metric is not None and batch.n:
            for name, value in batch.log_values().items():
                log_metric(name, value)
        return [0.0 if verdict is None or verdict.reason in FORMAT_ERRORS else 1.0
                for verdict in batch.verdicts]


CONTROLS = ("random", "format_only")


def control_reward(kind: str, task: Task, p: float = 0.5, seed: int = 0) -> RandomReward | FormatOnlyReward:
    """The control reward named ``kind`` (``random`` or ``format_only``) for ``task``."""
    if kind == "random":
        return RandomReward(p=p, seed=seed, task=task)
    if kind == "format_only":
        return FormatOnlyReward(task)
    raise ValueError(f"unknown control reward {kind!r}; choose one of: {', '.join(CONTROLS)}")
