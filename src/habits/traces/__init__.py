"""Program-written priming traces: an executable search narrated under a priming condition.

>>> from habits.tasks import get_task
>>> from habits.traces import make_rows
>>> task = get_task("countdown")
>>> row = next(make_rows(task, "backtracking", task.generate(1, seed=0), register="terse"))
>>> row["behaviors"]["verification"], row["condition"]
(0, 'backtracking')

Modules: :mod:`~habits.traces.search` (attempts), :mod:`~habits.traces.narrate` (text),
:mod:`~habits.traces.conditions` (presets), :mod:`~habits.traces.rows` (rows),
:mod:`~habits.traces.check` (arithmetic re-checker), :mod:`~habits.traces.data` (``main(config)``),
:mod:`~habits.traces.llm` (optional LLM-written traces).
"""

from __future__ import annotations

from habits.traces.check import ArithmeticCheck, check_arithmetic, thoughts
from habits.traces.conditions import CONDITIONS, Condition, condition_names, get_condition
from habits.traces.narrate import BEHAVIORS
from habits.traces.rows import make_row, make_rows

__all__ = ["BEHAVIORS", "CONDITIONS", "ArithmeticCheck", "Condition", "check_arithmetic", "condition_names",
           "get_condition", "make_row", "make_rows", "thoughts"]
