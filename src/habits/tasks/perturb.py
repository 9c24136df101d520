"""Wrong answers made from right ones: for contract tests, the demo and verifier benchmarks.

Each perturbation turns a correct answer into a completion that must *not* verify, and names the
verdict reason it should get. The task owns them (:meth:`habits.tasks.base.Task.perturbations`);
this function is the stable entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from habits.tasks.base import Task


def perturbations(task: Task, problem: Mapping[str, Any], expression: str) -> list[tuple[str, str]]:
    """``(expected_reason, completion)`` pairs, all wrong, derived from a correct ``expression``."""
    return task.perturbations(problem, expression)
