"""The exhaustive exact solver shared by the number tasks."""

from itertools import combinations_with_replacement

import pytest

from habits.arith import evaluate
from habits.tasks import get_task
from habits.tasks.solver import can_make, reachable_targets, solutions


def test_solver_counts_the_known_number_of_solvable_24_hands():
    # Known external facts: 1,362 of the 1,820 multisets from 1-13 make 24; 566 of 715 from 1-10.
    assert sum(can_make(h, 24) for h in combinations_with_replacement(range(1, 14), 4)) == 1362
    assert sum(can_make(h, 24) for h in combinations_with_replacement(range(1, 11), 4)) == 566


def test_solutions_need_fractions_when_the_only_route_goes_through_one():
    assert solutions([1, 4, 5, 6], 24)
    assert solutions([3, 3, 8, 8], 24) == ["8 / (3 - 8 / 3)"]


def test_commutative_and_associative_rearrangements_count_once():
    found = solutions([1, 2, 3], 6)
    assert len(found) == len(set(found))
    assert sum(1 for s in found if evaluate(s).value == 6) == len(found)
    # 1+2+3, 1*2*3 and 2*3/1, each in one of its many orders
    assert sorted(found) == sorted(["1 + 2 + 3", "1 * 2 * 3", "2 * 3 / 1"])


def test_every_solution_evaluates_to_the_target_with_each_number_once():
    for numbers, target in [([2, 3, 4, 6], 24), ([25, 50, 75, 100], 125), ([7, 7, 2], 24)]:
        for text in solutions(numbers, target):
            result = evaluate(text)
            assert result.value == target
            assert sorted(result.numbers) == sorted(numbers)


def test_at_most_once_allows_leaving_numbers_out():
    assert not can_make([2, 3, 100], 6)
    assert can_make([2, 3, 100], 6, use_all=False)
    assert "2 * 3" in solutions([2, 3, 100], 6, use_all=False)


def test_reachable_targets_are_whole_numbers_in_range():
    targets = reachable_targets([3, 4], 1, 20)
    assert targets == [1, 7, 12]


def test_goal_directed_search_finds_exactly_what_full_enumeration_finds():
    import random
    from fractions import Fraction

    from habits.tasks import solver

    rng = random.Random(5)
    cases = [([rng.randint(1, 13) for _ in range(4)], 24) for _ in range(25)]
    cases += [([rng.randint(0, 20) for _ in range(rng.randint(2, 4))], rng.choice([0, 1, 7, 24, -3]))
              for _ in range(20)]
    for numbers, target in cases:
        nums = tuple(sorted(numbers))
        everything = solver._expressions_cached(nums).get(Fraction(target), set())
        assert solver._goal_nodes(nums, target) == everything, (numbers, target)


def test_solver_refuses_a_problem_too_large_to_search_instead_of_running_forever():
    from habits.tasks.solver import MAX_SOLVER_NUMBERS, SolverLimit

    with pytest.raises(SolverLimit, match=f"at most {MAX_SOLVER_NUMBERS} numbers.*got 39"):
        solutions(list(range(1, 40)), 24)
    with pytest.raises(SolverLimit):
        get_task("countdown").solve({"numbers": [1, 2, 3, 4, 5, 6], "target": 21})
