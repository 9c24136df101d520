"""habits' tasks as reasoning-gym datasets: ``import habits.export.reasoning_gym`` registers them.

After the import, ``reasoning_gym.create_dataset("habits_countdown", seed=0, size=500)`` (and
``habits_general_points``, one per registered procedural habits task) works wherever reasoning-gym's
registry is used -- its curricula tooling, and the hubs that wrap it (verifiers' reasoning-gym
environment, OpenEnv, NeMo Gym) -- provided the process imports this module first.

Each entry is ``{question, answer, metadata}``: the question is the task's chat prompt text (it asks
for the answer in ``<answer>`` tags), the answer a reference solution, and the metadata carries the
habits problem, task settings and split. ``score_answer`` is habits' exact verifier: 1.0 when correct,
0.0 otherwise. It accepts reasoning-gym's extracted answer (the text inside ``<answer>``) or a whole
completion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from reasoning_gym.dataset import ProceduralDataset
from reasoning_gym.factory import DATASETS, register_dataset

from habits.export import chat_messages
from habits.tasks import SPLITS, TASKS, Task, get_task, task_names

PREFIX = "habits_"


@dataclass
class HabitsDatasetConfig:
    """Settings of a habits dataset in reasoning-gym (``create_dataset(name, **fields)``)."""

    task_args: dict[str, Any] = field(default_factory=dict)  # habits task config (prompt_style defaults to chat)
    split: str = "train"  # train, test or ood
    seed: int | None = None  # None: a random seed, as in reasoning-gym
    size: int = 500  # items in the dataset

    def validate(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"size must be a positive whole number, got {self.size!r}")
        if not isinstance(self.task_args, dict):
            raise ValueError("task_args must be a mapping of habits task config fields")


@lru_cache(maxsize=32)
def _task(name: str, args_json: str) -> Task:
    return get_task(name, **json.loads(args_json))


class HabitsDataset(ProceduralDataset):
    """A habits task as a reasoning-gym dataset; subclasses (one per task) set ``task_name``."""

    task_name: ClassVar[str] = ""

    def __init__(self, config: HabitsDatasetConfig) -> None:
        self.task_args = {"prompt_style": "chat", **config.task_args}
        self.task = _task(self.task_name, json.dumps(self.task_args, sort_keys=True))
        self.task.check_split(config.split)
        super().__init__(config=config, seed=config.seed, size=config.size)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        if not 0 <= idx < self.size:
            raise IndexError(f"index {idx} out of range for a dataset of {self.size} items")
        problem = self.task.item(idx, split=self.config.split, seed=self.seed)
        question = chat_messages(self.task.prompt(problem))[-1]["content"]
        solutions = self.task.solve(problem)
        return {"question": question, "answer": solutions[0] if solutions else "",
                "metadata": {"source_dataset": PREFIX + self.task_name, "source_index": idx,
                             "habits_task": self.task_name, "task_args": self.task_args,
                             "split": self.config.split, "problem": problem}}

    def score_answer(self, answer: str | None, entry: dict[str, Any]) -> float:
        if not isinstance(answer, str) or not answer.strip():
            return 0.0
        meta = entry["metadata"]
        task = _task(meta["habits_task"], json.dumps(meta["task_args"], sort_keys=True))
        verdict = task.verify(meta["problem"], answer)
        if verdict.reason == "no_answer":  # reasoning-gym passes the text extracted from <answer>
            verdict = task.verify(meta["problem"], f"<answer>{answer}</answer>")
        return 1.0 if verdict.correct else 0.0


def register(prefix: str = PREFIX) -> list[str]:
    """Register every procedural habits task as ``<prefix><task>``; idempotent. Returns the names."""
    names = []
    for task in task_names():
        if not TASKS.get(task).procedural:
            continue
        name = prefix + task
        known = DATASETS.get(name)
        if known is None:
            cls = type(f"Habits_{task}_Dataset", (HabitsDataset,), {"task_name": task, "__module__": __name__})
            register_dataset(name, cls, HabitsDatasetConfig)
        elif not issubclass(known[0], HabitsDataset):
            raise ValueError(f"reasoning-gym already has a dataset called {name!r} that is not habits'; "
                             "register with another prefix")
        names.append(name)
    return names


REGISTERED = register()
