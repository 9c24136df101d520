"""One batch-metrics path: verify each completion once, then read everything off those verdicts.

Evaluation (:mod:`habits.evaluate`), RL logging (:class:`habits.train.rewards.OutcomeReward` and
the periodic evaluation) and diagnosis (:mod:`habits.diagnose`) all measure a batch of
completions through :func:`measure`, so "accuracy", "format error" and "behavior mean" mean the
same thing in an eval JSON, a ``metrics.jsonl`` line and a diagnosis report, and no completion
is verified twice (the RL reward is read off the same verdict as the logged accuracy).

>>> from habits.tasks import get_task
>>> task = get_task("countdown")
>>> batch = measure(task, [{"numbers": [2, 3, 5], "target": 16}] * 2,
...                 ["<answer>(3+5)*2</answer>", "no idea"], behaviors=False)
>>> batch.accuracy, batch.format_error, batch.rewards()
(0.5, 0.5, [1.0, 0.0])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from habits.tasks.base import FORMAT_ERRORS, Task, Verdict, as_problem, completion_text

Counts = Mapping[str, int | None]


@dataclass
class BatchMetrics:
    """Verdicts, behavior counts and lengths of one batch of completions, and what follows from them.

    ``verdicts[i]`` is None where completion ``i`` had no problem or no task to check it against
    (a diagnosis of bare completions); accuracy and format errors are shares of the verified ones.
    """

    texts: list[str]
    verdicts: list[Verdict | None]
    tasks: list[Task | None]
    counts: list[Counts] | None = None  # behavior counts per completion (None: not counted)
    tokens: list[int] | None = None  # completion lengths in tokens, when the caller knows them
    problems: list[Any] | None = None  # the parsed problems (a scheme may read the completion again)

    @property
    def n(self) -> int:
        return len(self.texts)

    @property
    def verified(self) -> list[Verdict]:
        return [v for v in self.verdicts if v is not None]

    @property
    def correct(self) -> int:
        return sum(v.correct for v in self.verified)

    @property
    def accuracy(self) -> float:
        return self.correct / len(self.verified) if self.verified else 0.0

    @property
    def format_error(self) -> float:
        verified = self.verified
        return sum(v.reason in FORMAT_ERRORS for v in verified) / len(verified) if verified else 0.0

    @property
    def reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(v.reason for v in self.verified).items()))

    @property
    def mean_length_chars(self) -> float:
        return sum(map(len, self.texts)) / self.n if self.n else 0.0

    @property
    def mean_length_tokens(self) -> float | None:
        if self.tokens is None:
            return None
        return sum(self.tokens) / len(self.tokens) if self.tokens else 0.0

    def rewards(self) -> list[float | None]:
        """Each completion's reward under its task's scheme, from the verdict already made."""
        problems = self.problems if self.problems is not None else [None] * self.n
        return [None if v is None or t is None else t.score(p, text, v)
                for v, t, p, text in zip(self.verdicts, self.tasks, problems, self.texts, strict=True)]

    def profile(self, thresholds: Any = None, method: str = "t") -> Any:
        """The behavior profile (shares, means, intervals, readiness) of the counted completions."""
        from habits.behaviors.profile import aggregate

        if self.counts is None:
            raise ValueError("behaviors were not counted for this batch (measure(..., behaviors=False))")
        return aggregate(self.counts, thresholds, method)

    def behaviors(self) -> dict[str, dict[str, float]] | None:
        """Per behavior: mean count and share of completions showing it; None if not counted."""
        if self.counts is None:
            return None
        return {name: {"mean": stats.mean, "share": stats.share}
                for name, stats in self.profile().behaviors.items()}

    def summary(self) -> dict[str, Any]:
        """The per-split fields of an evaluation JSON (see :mod:`habits.evaluate`)."""
        result: dict[str, Any] = {"n": self.n, "accuracy": self.accuracy, "format_error": self.format_error,
                                  "mean_length_chars": self.mean_length_chars, "reasons": self.reasons}
        if self.tokens is not None:
            result["mean_length_tokens"] = self.mean_length_tokens
        if self.counts is not None:
            result["behaviors"] = self.behaviors()
        return result

    def log_values(self, prefix: str = "") -> dict[str, float]:
        """Flat numbers for a ``metrics.jsonl`` line: accuracy, format_error, mean_length, behaviors/*."""
        values = {f"{prefix}accuracy": self.accuracy, f"{prefix}format_error": self.format_error}
        if self.tokens is not None:
            values[f"{prefix}mean_length"] = self.mean_length_tokens or 0.0
        for name, stats in (self.behaviors() or {}).items():
            values[f"{prefix}behaviors/{name}"] = stats["mean"]
        return values


def measure(task: Task | Sequence[Task | None] | None, problems: Sequence[Any], completions: Sequence[Any], *,
            tokens: Sequence[int] | None = None, behaviors: bool | Sequence[Counts] = True) -> BatchMetrics:
    """Verify each completion once and collect what the batch's metrics need.

    ``task``: one task for the whole batch, or one per completion (None: not checkable).
    ``problems``: dicts or their JSON text (datasets store either); None where there is none.
    ``completions``: strings or TRL's conversational form. ``tokens``: lengths in tokens, if known.
    ``behaviors``: True counts the four habits with the offline lexical classifier; counts
    already made (e.g. by the LLM judge) can be passed instead; False skips them.
    """
    texts = [completion_text(c) for c in completions]
    parsed = [None if p is None else as_problem(p) for p in problems]
    if len(parsed) != len(texts):
        raise ValueError(f"measure: {len(parsed)} problems for {len(texts)} completions")
    tasks = list(task) if isinstance(task, Sequence) else [task] * len(texts)
    verdicts = [None if t is None or p is None else t.verify(p, text)
                for t, p, text in zip(tasks, parsed, texts, strict=True)]
    counts: list[Counts] | None
    if behaviors is True:
        from habits.behaviors import classify

        counts = list(classify(texts, "lexical", problems=parsed))
    elif behaviors is False:
        counts = None
    else:
        counts = list(behaviors)
        if len(counts) != len(texts):
            raise ValueError(f"measure: {len(counts)} behavior counts for {len(texts)} completions")
    if tokens is not None and len(tokens) != len(texts):
        raise ValueError(f"measure: {len(tokens)} token lengths for {len(texts)} completions")
    return BatchMetrics(texts, verdicts, tasks, counts, None if tokens is None else list(tokens), parsed)
