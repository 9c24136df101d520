"""The priming-data stage: ``main(PrimeConfig)`` writes priming rows (JSONL or Parquet) and returns a summary.

The CLI (``habits prime-data``) and Python call the same function::

    from habits.traces.data import PrimeConfig, main
    summary = main(PrimeConfig(task="countdown", condition="backtracking", n=1000, out="prime.jsonl"))

Everything that can be wrong with the request (unknown task, condition, split or format, n <= 0,
a tokenizer that does not load, bad task config) is reported before any trace is written.
Rows of image tasks (``task_config={"modality": "image"}``) carry their images (see
:func:`habits.traces.rows.with_images`): PNG bytes inside Parquet, PNG files beside JSONL.
"""

from __future__ import annotations

import dataclasses
import itertools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from habits.io import ROW_SUFFIXES, write_rows
from habits.progress import track
from habits.tasks import SPLITS, get_task
from habits.traces.check import check_arithmetic, thoughts
from habits.traces.conditions import get_condition
from habits.traces.narrate import BEHAVIORS, REGISTERS
from habits.traces.rows import FORMATS, check_supported, make_rows, problem_numbers, with_images
from habits.traces.search import wrong_answer_exists
from habits.traces.tokens import one_token_filler, token_counter


@dataclass
class PrimeConfig:
    """What priming data to write."""

    task: str = "countdown"  # countdown, general_points or navigation
    condition: str = "all"  # a registered condition (habits.traces.condition_names())
    n: int = 1000  # number of rows (one per decision: per problem, or per decision point of a route)
    seed: int = 0  # same seed, same problems and same traces
    split: str = "train"  # which split the problems come from
    format: str = "completion"  # "completion": prompt/completion strings; "chat": message lists
    task_config: dict[str, Any] = field(default_factory=dict)  # task config overrides, e.g. {"rule": "ood"}
    tokenizer: str | None = None  # None/"regex": regex token estimate; or a local HF tokenizer directory
    out: str | Path | None = None  # where to write the rows: .jsonl or .parquet (None: do not write)
    register: str = "natural"  # "natural" (sentences, for real LLMs) or "terse" (one form per event, tiny models)
    budget: int = 6  # most attempts a trace writes before answering its closest one
    stream: str | None = None  # train split only: one of habits.tasks.base.STREAMS (disjoint problem sets)
    # Rows drawn equally from several task settings, each a task_config override (e.g. [{"rule": "id"},
    # {"rule": "ood"}]: SFT data showing both rules); empty: one setting, task_config alone.
    mixture: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n <= 0:
            raise ValueError(f"n must be a positive whole number of rows, got {self.n!r}")
        get_condition(self.condition)  # unknown names list the registered ones
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if self.out is not None and Path(self.out).suffix not in ROW_SUFFIXES:
            raise ValueError(f"out must be a .jsonl or .parquet file, got {str(self.out)!r}")
        if self.register not in REGISTERS:
            raise ValueError(f"register must be one of {', '.join(REGISTERS)}, got {self.register!r}")
        if not isinstance(self.budget, int) or self.budget < 1:
            raise ValueError(f"budget must be a whole number of attempts >= 1, got {self.budget!r}")
        if not isinstance(self.mixture, list) or not all(isinstance(part, dict) for part in self.mixture):
            raise ValueError(f"mixture must be a list of task settings (mappings), got {self.mixture!r}")
        if self.mixture and self.n < len(self.mixture):
            raise ValueError(f"n ({self.n}) must be at least the number of mixture parts ({len(self.mixture)})")

    def parts(self) -> list[PrimeConfig]:
        """One config per mixture part (its share of n, its own seed so parts draw different problems)."""
        if not self.mixture:
            return [self]
        share, extra = divmod(self.n, len(self.mixture))
        return [dataclasses.replace(self, task_config={**self.task_config, **part}, mixture=[],
                                    n=share + (index < extra), seed=self.seed * len(self.mixture) + index, out=None)
                for index, part in enumerate(self.mixture)]


def summarize(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Share of rows showing each behavior, accuracy, arithmetic re-check and thought lengths."""
    rows = list(rows)
    if not rows:
        return {"rows": 0}
    tokens = sorted(int(row.get("thought_tokens", 0)) for row in rows)
    arithmetic = [check_arithmetic(thoughts(_completion_text(row))) for row in rows]
    return {
        "rows": len(rows),
        "correct": sum(bool(row["correct"]) for row in rows) / len(rows),
        "behavior_presence": {name: sum(row["behaviors"][name] > 0 for row in rows) / len(rows) for name in BEHAVIORS},
        "behavior_mean": {name: sum(row["behaviors"][name] for row in rows) / len(rows) for name in BEHAVIORS},
        "arithmetic": {"statements": sum(a.statements for a in arithmetic), "wrong": sum(a.wrong for a in arithmetic)},
        "thought_tokens": {"median": statistics.median(tokens), "p90": tokens[min(len(tokens) - 1, int(0.9 * len(tokens)))],
                           "max": tokens[-1]},
    }


def _completion_text(row: Mapping[str, Any]) -> str:
    completion = row["completion"]
    return completion if isinstance(completion, str) else str(completion[-1]["content"])


def main(config: PrimeConfig, progress: bool = True) -> dict[str, Any]:
    """Write ``config.n`` priming rows to ``config.out`` (atomically); return :func:`summarize` plus the path.

    With a ``mixture`` the parts' rows are interleaved (part 0's first row, part 1's first row, ...).
    """
    built = [_rows(part, progress) for part in config.parts()]
    task = built[0][0]
    if config.out is not None:  # image tasks: PNG bytes inside Parquet, PNG files beside JSONL
        built = [(part_task, with_images(part_task, rows)) for part_task, rows in built]
    rows = [row for group in itertools.zip_longest(*(rows for _, rows in built)) for row in group if row is not None]
    if config.out is not None:
        write_rows(config.out, rows)
    return {**summarize(rows), "task": task.name, "condition": get_condition(config.condition).name,
            "out": None if config.out is None else str(config.out)}


def _rows(config: PrimeConfig, progress: bool) -> tuple[Any, list[dict[str, Any]]]:
    """The task and the rows of one setting."""
    task = get_task(config.task, **config.task_config)
    condition = get_condition(config.condition)
    check_supported(task, condition)
    count_tokens = token_counter(config.tokenizer)
    filler = one_token_filler(count_tokens) if condition.thoughts == "dots" else " ."
    # One row per decision (task.steps: the problem itself, or each decision point of a route).
    problems: Iterable[Mapping[str, Any]] = itertools.islice(
        (step for problem in task.iter_generate(config.n, split=config.split, seed=config.seed, stream=config.stream)
         for step in task.steps(problem)), config.n)
    if condition.answer == "wrong":
        # A wrong-answer trace needs a legal wrong answer; a problem where every line equals the
        # target (11, 11, 11 -> 11) has none. Skip those and draw on from the same stream (draws are
        # prefix-stable, so the other problems are the ones every other condition gets).
        problems = _with_wrong_answers(task, config, condition.name)
    if progress:
        problems = track(problems, f"priming {task.name}/{condition.name}", total=config.n)
    return task, list(make_rows(task, condition, problems, seed=config.seed, count_tokens=count_tokens,
                                fmt=config.format, register=config.register, budget=config.budget, filler=filler))


def _with_wrong_answers(task: Any, config: PrimeConfig, condition: str) -> list[Mapping[str, Any]]:
    kept: list[Mapping[str, Any]] = []
    skipped = 0
    for problem in task.iter_generate(4 * config.n + 100, split=config.split, seed=config.seed, stream=config.stream):
        numbers, _ = problem_numbers(task, problem)
        if wrong_answer_exists(numbers, problem["target"]):
            kept.append(problem)
            if len(kept) == config.n:
                return kept
        else:
            skipped += 1
    raise ValueError(f"condition {condition!r} needs a wrong-but-legal answer, but {skipped} of the "
                     f"{skipped + len(kept)} problems drawn have none (every line equals the target); "
                     "use another condition or other task settings")
