"""Verifiable tasks behind one registry: ``get_task(name, **config) -> Task``.

>>> from habits.tasks import get_task
>>> task = get_task("countdown")
>>> problem = task.generate(1, split="train", seed=0)[0]
>>> task.verify(problem, f"<answer>{task.solve(problem)[0]}</answer>").correct
True
"""

from __future__ import annotations

import dataclasses
from typing import Any

from habits.registry import Registry
from habits.tasks.base import REASONS, REWARD_SCHEMES, SPLITS, Task, Verdict

TASKS: Registry[type[Task]] = Registry("task")


def get_task(name: str, **config: Any) -> Task:
    """Build the task ``name`` with its config fields given as keywords (unknown ones are an error)."""
    _load_builtin_tasks()
    task_class = TASKS.get(name)
    config_class = task_class.config_class
    known = {f.name for f in dataclasses.fields(config_class)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(f"{name}: unknown config field(s) {', '.join(unknown)}; "
                         f"known fields: {', '.join(sorted(known))}")
    return task_class(config_class(**config))


def task_names(procedural: bool = False) -> list[str]:
    """Registered task names; ``procedural=True``: only tasks generated here (not bridged, e.g. reasoning_gym,
    which needs settings such as a dataset name before it can be built)."""
    _load_builtin_tasks()
    return [name for name in TASKS.names() if not procedural or TASKS.get(name).procedural]


def _load_builtin_tasks() -> None:
    # Imported lazily so that `habits.tasks.base` can be imported by task modules without cycles.
    from habits.tasks import countdown, general_points, reasoning_gym  # noqa: F401


__all__ = ["REASONS", "REWARD_SCHEMES", "SPLITS", "TASKS", "Task", "Verdict", "get_task", "task_names"]
