"""Reward functions for GRPO, in TRL's contract: ``f(completions, **columns) -> list[float]``.

* :class:`OutcomeReward` -- the task's exact reward (``task.reward_function()``, the scheme from
  the task config). It also reports, through TRL's ``log_metric`` hook, what the papers plot per
  step: accuracy, share of format errors, and the four behavior counts of the step's completions.
* :func:`format_reward` -- 1.0 when a completion closes its ``<think>`` block and gives an
  ``<answer>`` block (DOTALL, so multi-line answers count), else 0.0.
* :func:`resolve_reward` -- ``"package.module:function"`` import paths for user rewards.

When a verify-and-revise rollout (:mod:`habits.train.rollouts`) ran several attempts, it passes
the last attempt as the ``final_attempt`` column and the outcome is judged on that attempt.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from habits.tasks import Task
from habits.tasks.base import as_problem, completion_text

FORMAT_ERRORS = ("no_answer", "malformed")

# The think block must be closed and followed by a tagged answer; DOTALL because reasoning spans lines.
_FORMAT = re.compile(r"^\s*<think>.*?</think>.*?<answer>.*?</answer>", re.DOTALL)


def behavior_counter() -> Callable[[str], dict[str, int]] | None:
    """The offline lexical classifier, or None where it is not installed in this checkout."""
    try:
        from habits.behaviors.lexical import count_behaviors
    except ImportError:
        return None
    return count_behaviors


class OutcomeReward:
    """The task's outcome reward, plus per-step accuracy, format errors and behavior counts.

    >>> from habits.tasks import get_task
    >>> reward = OutcomeReward(get_task("countdown"), behaviors=False)
    >>> reward(["<answer>(3+5)*2</answer>", "no idea"], problem=[{"numbers": [2, 3, 5], "target": 16}] * 2)
    [1.0, 0.0]
    """

    def __init__(self, task: Task, behaviors: bool = True) -> None:
        self.task = task
        self._reward = task.reward_function()
        self.__name__ = self._reward.__name__  # TRL names the logged reward column after this
        self._count = behavior_counter() if behaviors else None
        self.last_correct: list[bool] = []

    def __call__(self, completions: list[Any], problem: list[Any], final_attempt: list[str] | None = None,
                 log_metric: Callable[[str, float], None] | None = None, **columns: Any) -> list[float]:
        texts = list(final_attempt) if final_attempt is not None else [completion_text(c) for c in completions]
        rewards = self._reward(texts, problem=problem)
        verdicts = [self.task.verify(as_problem(p), t) for t, p in zip(texts, problem, strict=True)]
        self.last_correct = [v.correct for v in verdicts]  # the binary verdicts dynamic sampling filters on
        if log_metric is not None and texts:
            for name, value in self.step_stats(texts, problem, columns.get("attempts"), verdicts).items():
                log_metric(name, value)
        return rewards

    def step_stats(self, texts: Sequence[str], problems: Sequence[Any], attempts: Sequence[int] | None = None,
                   verdicts: Sequence[Any] | None = None) -> dict[str, float]:
        """Accuracy, format-error share and mean behavior counts of one batch of completions."""
        if verdicts is None:
            verdicts = [self.task.verify(as_problem(p), t) for t, p in zip(texts, problems, strict=True)]
        n = len(verdicts)
        stats = {
            "accuracy": sum(v.correct for v in verdicts) / n,
            "format_error": sum(v.reason in FORMAT_ERRORS for v in verdicts) / n,
        }
        if attempts is not None:
            stats["revise/attempts"] = sum(attempts) / n
        if self._count is not None:
            totals: dict[str, float] = {}
            for text, problem in zip(texts, problems, strict=True):
                target = as_problem(problem).get("target")
                for name, count in self._count(text, target=target).items():
                    totals[name] = totals.get(name, 0.0) + (count or 0)
            stats.update({f"behaviors/{name}": total / n for name, total in totals.items()})
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


def build_rewards(task: Task, format_weight: float = 0.0, extra: Sequence[Any] = (),
                  behaviors: bool = True) -> tuple[list[Callable[..., list[float]]], list[float]]:
    """Reward functions and their weights for GRPOTrainer: outcome, optional format, user extras."""
    funcs: list[Callable[..., list[float]]] = [OutcomeReward(task, behaviors=behaviors)]
    weights = [1.0]
    if format_weight:
        funcs.append(format_reward)
        weights.append(float(format_weight))
    for spec in extra:
        funcs.append(resolve_reward(spec))
        weights.append(1.0)
    return funcs, weights
