"""The event search: every dead end it reports is one, every step is exact, every solution reaches the target."""

import random
from fractions import Fraction

import pytest

from habits.tasks import get_task
from habits.tasks.solver import can_make
from habits.traces import phrases
from habits.traces.conditions import get_condition
from habits.traces.search import EVENT_KINDS, SearchSettings, can_reach, search, wrong_answer_exists

OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: Fraction(a) / b}


def _traces(condition, n=60):
    task = get_task("countdown")
    settings = get_condition(condition).settings()
    for index, problem in enumerate(task.generate(n, seed=9)):
        yield problem, search(problem["numbers"], problem["target"], random.Random(index), settings)


@pytest.mark.parametrize("condition", ["all", "backtracking", "incorrect"])
def test_search_reports_only_true_dead_ends_exact_steps_and_honest_checks(condition):
    for problem, trace in _traces(condition):
        for event in trace.events():
            assert event.kind in EVENT_KINDS
            if event.kind == "try":
                node = event["node"]
                assert node.value == OPS[node.op](node.left.value, node.right.value) >= 0
            elif event.kind == "dead_end" and "state" in event.data:
                assert not can_make(event["state"], problem["target"])
            elif event.kind == "dead_end":
                assert not can_make(event["source"], event["need"])
            elif event.kind in ("work_back", "check"):
                node = event["node"]
                assert OPS[node.op](node.left.value, node.right.value) == node.value
                if event.kind == "check":
                    assert event["ok"] == (node.value == problem["target"])
        assert sorted(trace.answer.leaves) == sorted(problem["numbers"])
        assert trace.reached == (trace.answer.value == problem["target"]) == (condition != "incorrect")


def test_backtracking_conditions_fail_at_least_once_before_the_solution():
    for _, trace in _traces("backtracking"):
        assert not trace.lines[0].success and trace.lines[-1].success


def test_search_refuses_an_unsolvable_problem_with_a_clear_message():
    with pytest.raises(ValueError, match="cannot make 1000"):
        search([1, 2, 3], 1000, random.Random(0), SearchSettings())


def test_wrong_answer_exists_except_when_every_combination_hits_the_target():
    assert wrong_answer_exists([3, 4, 5], 12)
    assert not wrong_answer_exists([0, 0, 0], 0)
    with pytest.raises(ValueError, match="no wrong-but-legal answer"):
        search([0, 0, 0], 0, random.Random(0), SearchSettings(reach_goal=False))


def test_fast_reachability_agrees_with_the_solver():
    rng = random.Random(0)
    for _ in range(1500):
        values = [rng.choice((rng.randint(0, 13), Fraction(rng.randint(1, 13), rng.randint(1, 4))))
                  for _ in range(rng.randint(1, 3))]
        target = rng.randint(0, 40)
        assert can_reach(values, target) == can_make(values, target), (values, target)


def test_every_phrase_table_has_at_least_eight_phrasings():
    tables = {name: value for name, value in vars(phrases).items() if name.isupper() and isinstance(value, tuple)}
    assert len(tables) >= 14
    for name, table in tables.items():
        assert len(set(table)) >= 8, name
