"""Reward functions for GRPO, in TRL's contract: ``f(completions, **columns) -> list[float]``.

* :class:`OutcomeReward` -- the task's exact reward under the scheme of the task config. It also
  reports, through TRL's ``log_metric`` hook, what the papers plot per step: accuracy, share of
  format errors, and the four behavior counts of the step's completions.
* :func:`format_reward` -- 1.0 when a completion closes its ``<think>`` block and gives an
  ``<answer>`` block (DOTALL, so multi-line answers count), else 0.0.
* :func:`resolve_reward` -- ``"package.module:function"`` import paths for user rewards.

When a verify-and-revise rollout (:mod:`habits.train.rollouts`) ran several attempts, it passes
each attempt's own reward as the ``attempt_rewards`` column and the rollout's reward is their sum
(the episode's return: every attempt counts, and a used-up budget is penalised, as in the paper);
accuracy and behaviors are measured on the last attempt (the ``final_attempt`` column).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from habits.metrics import BatchMetrics, measure
from habits.tasks import Task
from habits.tasks.base import completion_text

# The think block must be closed and followed by a tagged answer; DOTALL because reasoning spans lines.
_FORMAT = re.compile(r"^\s*<think>.*?</think>.*?<answer>.*?</answer>", re.DOTALL)


class OutcomeReward:
    """The task's outcome reward, plus per-step accuracy, format errors and behavior counts.

    Each completion is verified once (:func:`habits.metrics.measure`); the reward and the logged
    numbers are read off the same verdict.

    >>> from habits.tasks import get_task
    >>> reward = OutcomeReward(get_task("countdown"), behaviors=False)
    >>> reward(["<answer>(3+5)*2</answer>", "no idea"], problem=[{"numbers": [2, 3, 5], "target": 16}] * 2)
    [1.0, 0.0]
    """

    def __init__(self, task: Task, behaviors: bool = True) -> None:
        self.task = task
        self.__name__ = task.reward_function().__name__  # TRL names the logged reward column after this
        self.behaviors = behaviors
        self.last_correct: list[bool] = []  # the last batch's binary verdicts: what dynamic sampling filters on

    def __call__(self, completions: list[Any], problem: list[Any], final_attempt: list[str] | None = None,
                 log_metric: Callable[[str, float], None] | None = None,
                 attempt_rewards: list[list[float]] | None = None, **columns: Any) -> list[float]:
        texts = list(final_attempt) if final_attempt is not None else completions
        # Counting behaviors costs ~15x the reward: only when there is somewhere to log them.
        batch = measure(self.task, problem, texts, behaviors=self.behaviors and log_metric is not None)
        self.last_correct = [bool(v.correct) for v in batch.verdicts]
        if log_metric is not None and attempt_rewards:
            log_metric("revise/first_attempt_reward", sum(r[0] for r in attempt_rewards) / len(attempt_rewards))
            log_metric("revise/last_attempt_reward", sum(r[-1] for r in attempt_rewards) / len(attempt_rewards))
        if log_metric is not None and batch.n:
            for name, value in step_stats(batch, columns.get("attempts")).items():
                log_metric(name, value)
        if attempt_rewards is not None:  # a verify-and-revise episode earns the sum of its attempts' rewards
            return [float(sum(per_attempt)) for per_attempt in attempt_rewards]
        return batch.rewards()


def step_stats(batch: BatchMetrics, attempts: Sequence[int] | None = None) -> dict[str, float]:
    """What one RL step logs about its completions: accuracy, format errors, behavior means, attempts."""
    stats = batch.log_values()
    if attempts is not None:
        stats["revise/attempts"] = sum(attempts) / len(attempts)
    return stats


def format_reward(completions: list[Any], prompts: list[Any] | None = None, **_: Any) -> list[float]:
    """1.0 if the completion closes ``<think>`` and then gives ``<answer>…</answer>``, else 0.0.

    Base-style prompts end with an opened ``<think>`` that the completion continues, so the
    prompt's tag is counted as the completion's opening tag.

    >>> format_reward(["step 1\\nstep 2</think>\\n<answer>\\n1+2\\n</answer>"], prompts=["... <think>"])
    [1.0]
    >>> format_reward(["<answer>3</answer>"], prompts=["Q"])
    [0.0]
    """
    out = []
    for index, completion in enumerate(completions):
        text = completion_text(completion)
        prompt = prompts[index] if prompts is not None else ""
        if isinstance(prompt, str) and prompt.rstrip().endswith("<think>"):
            text = "<think>" + text
        out.append(1.0 if _FORMAT.match(text) else 0.0)
    return out


def resolve_reward(spec: Any) -> Callable[..., list[float]]:
    """A reward callable from a callable or an import path ``"package.module:function"``."""
    if callable(spec):
        return spec
    if not isinstance(spec, str) or ":" not in spec:
        raise ValueError(f"extra_rewards: {spec!r} is not an import path of the form 'package.module:function'")
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"extra_rewards: cannot import {module_name!r} ({exc})") from None
    func = getattr(module, attr, None)
    if not callable(func):
        raise ValueError(f"extra_rewards: {module_name!r} has no callable {attr!r}")
    return func


def build_rewards(task: Task, format_weight: float = 0.0, extra: Sequence[Any] = (), behaviors: bool = True,
                  control: str | None = None, seed: int = 0) -> tuple[list[Callable[..., list[float]]], list[float]]:
    """Reward functions and their weights for GRPOTrainer: outcome, optional format, user extras.

    ``control`` (``random`` or ``format_only``, :mod:`habits.train.reward_controls`) replaces the
    outcome reward, to tell what RL learns from the reward itself; the true accuracy is still logged.
    """
    if control is not None:
        from habits.train.reward_controls import control_reward

        outcome: Callable[..., list[float]] = control_reward(control, task, seed=seed)
    else:
        outcome = OutcomeReward(task, behaviors=behaviors)
    funcs: list[Callable[..., list[float]]] = [outcome]
    weights = [1.0]
    if format_weight:
        funcs.append(format_reward)
        weights.append(float(format_weight))
    for spec in extra:
        funcs.append(resolve_reward(spec))
        weights.append(1.0)
    return funcs, weights
