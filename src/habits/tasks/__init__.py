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
    cls = task_class(name)
    config_class = cls.config_class
    known = {f.name for f in dataclasses.fields(config_class) if f.init}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(f"{name}: unknown config field(s) {', '.join(unknown)}; "
                         f"known fields: {', '.join(sorted(known))}")
    from habits.fieldcheck import coerce_fields

    return cls(config_class(**coerce_fields(config_class, config, name)))


def task_class(name: str) -> type[Task]:
    """The registered class of task ``name`` (its class-level facts without building it)."""
    _load_builtin_tasks()
    return TASKS.get(name)


def task_names(procedural: bool = False) -> list[str]:
    """Registered task names; ``procedural=True``: only tasks generated here (not bridged, e.g. reasoning_gym,
    which needs settings such as a dataset name before it can be built)."""
    _load_builtin_tasks()
    return [name for name in TASKS.names() if not procedural or TASKS.get(name).procedural]


_loaded = False


def _load_builtin_tasks() -> None:
    """Import every module of this package (a task registers itself when imported), then any task that
    another installed package declares under the ``habits.tasks`` entry-point group.

    Lazily, so that `habits.tasks.base` can be imported by task modules without cycles; adding a task
    is adding a module here (or an entry point), never editing a list.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib
    import pkgutil
    from importlib.metadata import entry_points

    for module in pkgutil.iter_modules(__path__, prefix=__name__ + "."):
        if not module.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(module.name)
    for entry in entry_points(group="habits.tasks"):
        entry.load()


__all__ = ["REASONS", "REWARD_SCHEMES", "SPLITS", "TASKS", "Task", "Verdict", "get_task", "task_class", "task_names"]
