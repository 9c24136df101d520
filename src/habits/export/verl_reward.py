"""The scoring side of the veRL export: what the generated ``habits_reward.py`` calls inside veRL.

veRL's reward managers call ``compute_score(data_source=..., solution_str=..., ground_truth=...,
extra_info=...)`` with keyword arguments, one completion at a time (``naive``, ``dapo``, the reward
loop; the reward loop may add ``reward_router_address``/``reward_model_tokenizer``), or
``compute_score(data_sources=..., solution_strs=..., ground_truths=..., extra_infos=...)`` once per
batch (``batch``). Both are here; the ground truth is the problem as JSON text, so a row scores the
same wherever it goes. ``reward.custom_reward_function.reward_kwargs`` reach these functions as keywords:
``return_dict`` (default true) and ``behaviors`` (default true).

With ``return_dict`` the result is ``{"score", "acc", "reason", "pred", <four behavior counts>}``:
veRL takes ``score`` as the reward and logs the other numeric keys per data source (strings are kept
in dumped generations, skipped by its metrics).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from habits.behaviors import BEHAVIORS, count_behaviors
from habits.tasks import Task, get_task
from habits.tasks.base import as_problem


class RewardFunction:
    """``compute_score`` for the data sources of one export directory.

    ``sources`` maps a data source (e.g. ``"habits/countdown"``) to ``{"task": name,
    "task_args": {...}}``; the reward scheme is the task config's ``reward``.
    """

    def __init__(self, sources: Mapping[str, Mapping[str, Any]]) -> None:
        self.sources = {name: dict(spec) for name, spec in sources.items()}
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()  # veRL's reward loop calls from executor threads

    def task(self, data_source: str) -> Task:
        task = self._tasks.get(data_source)
        if task is None:
            spec = self.sources.get(data_source)
            if spec is None:
                known = ", ".join(sorted(self.sources)) or "none"
                raise ValueError(f"habits reward: unknown data_source {data_source!r}; this module scores {known}. "
                                 "Re-export the dataset into the same directory so its reward module knows it.")
            with self._lock:
                task = self._tasks.get(data_source) or get_task(spec["task"], **spec.get("task_args", {}))
                self._tasks[data_source] = task
        return task

    def compute_score(self, data_source: str, solution_str: str, ground_truth: Any, extra_info: Any = None,
                      return_dict: bool = True, behaviors: bool = True, **_: Any) -> float | dict[str, Any]:
        """The task's reward for ``solution_str`` on the problem in ``ground_truth`` (veRL's per-item call)."""
        task = self.task(str(data_source))
        problem = as_problem(ground_truth)
        text = solution_str if isinstance(solution_str, str) else str(solution_str)
        verdict = task.verify(problem, text)
        score = task.score(problem, text, verdict)
        if not return_dict:
            return score
        result: dict[str, Any] = {"score": score, "acc": float(verdict.correct), "reason": verdict.reason,
                                  "pred": verdict.answer or ""}
        if behaviors:
            target = problem.get("target")
            counts = count_behaviors(text, target=target if isinstance(target, int) else None)
            result.update({name: float(counts[name]) for name in BEHAVIORS})
        return result

    def compute_score_batch(self, data_sources: Sequence[str], solution_strs: Sequence[str],
                            ground_truths: Sequence[Any], extra_infos: Sequence[Any] | None = None,
                            **kwargs: Any) -> list[float | dict[str, Any]]:
        """One score per completion, in order (veRL's ``batch`` reward manager)."""
        if not len(data_sources) == len(solution_strs) == len(ground_truths):
            raise ValueError(f"habits reward: {len(data_sources)} data sources, {len(solution_strs)} completions "
                             f"and {len(ground_truths)} ground truths; they must match")
        infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
        return [self.compute_score(source, text, truth, info, **kwargs)
                for source, text, truth, info in zip(data_sources, solution_strs, ground_truths, infos, strict=True)]
