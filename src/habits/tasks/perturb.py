"""Wrong answers made from right ones: for contract tests, the demo and verifier benchmarks.

Each perturbation turns a correct expression into a completion that must *not* verify, and names
the verdict reason it should get.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from habits.tasks.base import Task

_NUMBER = re.compile(r"\d+")


def perturbations(task: Task, problem: Mapping[str, Any], expression: str) -> list[tuple[str, str]]:
    """``(expected_reason, completion)`` pairs, all wrong, derived from a correct ``expression``."""
    first = _NUMBER.search(expression)
    assert first is not None, "a solution always contains a number"
    bumped = expression[:first.start()] + str(int(first.group()) + 1000) + expression[first.end():]
    dropped = _drop_first_operand(expression)
    out = [
        ("wrong_numbers", task.format_answer(problem, bumped)),
        ("no_answer", f"I think the answer is {expression}."),
        ("illegal", task.format_answer(problem, expression.replace(first.group(), f"{first.group()}**2", 1))),
        ("malformed", task.format_answer(problem, expression + " +")),
        ("wrong_numbers", task.format_answer(problem, expression + " + " + expression)),
    ]
    if dropped:
        out.append(("wrong_numbers", task.format_answer(problem, dropped)))
    return out


def _drop_first_operand(expression: str) -> str | None:
    # "a op rest" -> "rest": uses one number fewer. Only for flat leading operands.
    match = re.match(r"\s*\d+\s*[-+*/]\s*(.+)$", expression)
    return match.group(1) if match else None
