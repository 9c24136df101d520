"""What the number-combining tasks (Countdown, GeneralPoints) share beyond the solver.

Both read an arithmetic answer, so they share the arithmetic verdict vocabulary, the wrong answers
their tests derive from right ones, and the trace search of priming (numbers in, target to reach).
A task that combines numbers subclasses :class:`NumberTask` and says which numbers a problem gives
(:meth:`NumberTask.trace_numbers`) and how few a problem may have (:meth:`NumberTask.fewest_numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from habits.tasks.base import Task

_NUMBER = re.compile(r"\d+")


class NumberTask(Task):
    """A task whose answer is an arithmetic expression over the problem's numbers."""

    def trace_numbers(self, problem: Mapping[str, Any]) -> tuple[list[int], list[str] | None]:
        return list(problem["numbers"]), None

    def fewest_numbers(self) -> int:
        """The fewest numbers a problem of this configuration may have."""
        return 2

    def check_traceable(self, planned: bool = False, answer: str = "correct") -> None:
        fewest = self.fewest_numbers()
        if planned and fewest < 3:
            raise ValueError(f"subgoal setting / backward chaining need at least 3 numbers, but {self.name} "
                             f"problems may have {fewest}; {self.more_numbers_hint()}")

    def more_numbers_hint(self) -> str:
        return "configure problems with 3 or more numbers"

    def describe(self, problem: Mapping[str, Any]) -> str:
        return f"The numbers were {list(problem['numbers'])} and the target was {problem.get('target')}."

    def perturbations(self, problem: Mapping[str, Any], answer: str) -> list[tuple[str, str]]:
        """Wrong answers derived from a correct expression, each with the reason it must get."""
        first = _NUMBER.search(answer)
        assert first is not None, "a solution always contains a number"
        bumped = answer[:first.start()] + str(int(first.group()) + 1000) + answer[first.end():]
        dropped = _drop_first_operand(answer)
        out = [
            ("wrong_numbers", self.format_answer(problem, bumped)),
            ("no_answer", f"I think the answer is {answer}."),
            ("illegal", self.format_answer(problem, answer.replace(first.group(), f"{first.group()}**2", 1))),
            ("malformed", self.format_answer(problem, answer + " +")),
            ("wrong_numbers", self.format_answer(problem, answer + " + " + answer)),
        ]
        if dropped:
            out.append(("wrong_numbers", self.format_answer(problem, dropped)))
        return out


def _drop_first_operand(expression: str) -> str | None:
    # "a op rest" -> "rest": uses one number fewer. Only for flat leading operands.
    match = re.match(r"\s*\d+\s*[-+*/]\s*(.+)$", expression)
    return match.group(1) if match else None
