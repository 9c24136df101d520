"""The stages a recipe can name, in one registry: name -> config class, entry point, CLI command.

``habits train sft|rl``, ``habits eval``, ``habits pretrain``, recipe loading (a recipe's
``stage:`` key or its folder, ``configs/rl/…``) and the pipeline all find a stage here, so adding
a training algorithm is a module with ``main(config)`` plus one line below. Entries are import
paths, resolved when a stage is used: the RL module imports TRL (seconds), ``habits --help`` must not.

>>> get_stage("rl").command, get_stage("rl").config_class().__name__
('train rl', 'RLConfig')
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from habits.registry import Registry


@dataclass(frozen=True)
class StageSpec:
    """One stage: its config dataclass and ``main(config)``, as ``module:attribute`` paths."""

    name: str
    config: str
    main: str
    command: str  # the CLI command that runs it alone: `habits <command> --config …`
    trains_on_priming: bool = False  # in an arm: its data are the arm's priming rows (written first)
    weight: float = 1.0  # rough relative cost in an arm, for the pipeline's ETA

    def config_class(self) -> type:
        return _load(self.config)

    def entry(self) -> Callable[[Any], Any]:
        return _load(self.main)

    def run(self, config: Any) -> Any:
        """Run the stage: the same ``main(config)`` the CLI and Python users call."""
        return self.entry()(config)


STAGES: Registry[StageSpec] = Registry("stage")


def register(spec: StageSpec) -> StageSpec:
    """Add a stage (its name must be new)."""
    return STAGES.register(spec.name)(spec)


register(StageSpec("pretrain", "habits.models.pretrain:PretrainConfig", "habits.models.pretrain:main",
                   "pretrain"))
register(StageSpec("sft", "habits.train.config:SFTConfig", "habits.train.sft:main", "train sft",
                   trains_on_priming=True, weight=2))
register(StageSpec("rl", "habits.train.config:RLConfig", "habits.train.rl:main", "train rl", weight=5))
register(StageSpec("eval", "habits.evaluate:EvalConfig", "habits.evaluate:main", "eval"))


def get_stage(name: str) -> StageSpec:
    """The stage called ``name``; an unknown name is a ValueError listing the known ones."""
    return STAGES.get(name)


def stage_names() -> list[str]:
    return STAGES.names()


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
