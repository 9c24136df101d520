"""Program-written traces against the offline behavior classifier: presence agrees almost always.

The traces' behavior counts are exact (from what the search wrote); the lexical classifier is an
independent reading of the same text. Agreement on presence must be >= 95% for every task,
register, condition and behavior (``benchmarks/crosscheck_traces.py`` prints the full table).
"""

import sys
from pathlib import Path

import pytest

from habits.behaviors.lexical import count_behaviors
from habits.tasks import get_task
from habits.traces import BEHAVIORS, condition_names, make_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from crosscheck_traces import GOAL, agreement  # noqa: E402


@pytest.mark.parametrize("register", ["terse", "natural"])
@pytest.mark.parametrize("task_name", ["countdown", "general_points"])
def test_lexical_classifier_sees_the_behaviors_each_condition_writes(task_name, register):
    task = get_task(task_name)
    problems = task.generate(80, split="train", seed=21)
    for condition in condition_names():
        stats, misses = agreement(list(make_rows(task, condition, problems, seed=21, register=register)),
                                  count_behaviors)
        for name in BEHAVIORS:
            example = misses[name][0][0]["completion"] if misses[name] else None
            assert stats[name]["presence"] >= GOAL, (condition, name, stats[name], example)


def test_a_plain_terse_line_shows_no_behavior():
    assert count_behaviors("5+10=15,15-8=7\n</think>\n<answer> (5+10)-8 </answer>", target=10) == dict.fromkeys(
        BEHAVIORS, 0)
