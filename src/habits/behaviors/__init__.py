"""The four reasoning habits -- verification, backtracking, subgoal setting, backward chaining:
their definitions, two classifiers that count them in any model's reasoning, and the profile /
readiness verdict built from those counts.

>>> from habits.behaviors import count_behaviors
>>> count_behaviors("22 = 31 - 9, so I need 9 from 72 and 63: 72 - 63 = 9. Check: 31 - 9 = 22. Correct.")
{'verification': 2, 'backtracking': 0, 'subgoal_setting': 1, 'backward_chaining': 1}

Stable API (used by traces, training and evaluation):

* :data:`BEHAVIORS`, :func:`empty_counts`, :data:`TAXONOMY` -- names and definitions;
* :func:`count_behaviors` -- the fast offline classifier (``lexical``), never raises on a string;
* :func:`behavior_spans` -- where each instance it counts is: ``(start, end)`` offsets per behavior;
* :func:`classify` -- counts for many completions with ``backend="lexical"`` or ``"judge"``;
* :class:`JudgeConfig`, :func:`judge_counts` -- the LLM judge (OpenAI-compatible endpoint or local model);
* :func:`aggregate`, :class:`Thresholds` -- profiles and readiness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from habits.behaviors.judge import JudgeConfig, JudgeError, judge_counts
from habits.behaviors.lexical import behavior_spans, count_behaviors, infer_target
from habits.behaviors.profile import Profile, Thresholds, aggregate
from habits.behaviors.taxonomy import BEHAVIORS, TAXONOMY, empty_counts, validate_counts

BACKENDS = ("lexical", "judge")

__all__ = [
    "BACKENDS",
    "BEHAVIORS",
    "TAXONOMY",
    "JudgeConfig",
    "JudgeError",
    "Profile",
    "Thresholds",
    "aggregate",
    "behavior_spans",
    "classify",
    "count_behaviors",
    "empty_counts",
    "infer_target",
    "judge_counts",
    "validate_counts",
]


def classify(
    completions: Sequence[str],
    backend: str = "lexical",
    *,
    judge: JudgeConfig | None = None,
    problems: Sequence[Mapping[str, Any] | None] | None = None,
    task: str | None = None,
    progress: bool = False,
) -> list[dict[str, int | None]]:
    """Behavior counts for each completion. The judge may return ``None`` for a behavior it could not count."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown behavior classifier {backend!r}; choose one of: {', '.join(BACKENDS)}")
    if problems is not None and len(problems) != len(completions):
        raise ValueError(f"classify: {len(problems)} problems for {len(completions)} completions")
    if backend == "judge":
        return judge_counts(completions, judge, problems, task, progress)
    targets = (
        [_target(problem) for problem in problems] if problems is not None else [None] * len(completions)
    )
    if progress:
        from habits.progress import track

        pairs = track(list(zip(completions, targets)), "counting behaviors")
    else:
        pairs = zip(completions, targets)
    return [count_behaviors(text or "", target=target) for text, target in pairs]


def _target(problem: Mapping[str, Any] | None) -> int | None:
    value = problem.get("target") if isinstance(problem, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
