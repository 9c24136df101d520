"""Program-written traces against the offline behavior classifier: presence agrees almost always.

The traces' behavior counts are exact (from the search events); the lexical classifier is an
independent reading of the same text. Agreement on presence must be >= 95% for every task,
condition and behavior (``benchmarks/crosscheck_traces.py`` prints the full table).
"""

import sys
from pathlib import Path

import pytest

from habits.behaviors.lexical import count_behaviors
from habits.tasks import get_task
from habits.traces import BEHAVIORS, condition_names, make_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from crosscheck_traces import agreement  # noqa: E402


@pytest.mark.parametrize("task_name", ["countdown", "general_points"])
def test_lexical_classifier_sees_the_behaviors_each_condition_writes(task_name):
    task = get_task(task_name)
    problems = task.generate(80, split="train", seed=21)
    for condition in condition_names():
        stats, _ = agreement(list(make_rows(task, condition, problems, seed=21)), count_behaviors)
        for name in BEHAVIORS:
            assert stats[name]["presence"] >= 0.95, (condition, name, stats[name])
