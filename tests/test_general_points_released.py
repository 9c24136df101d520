"""GeneralPoints' ``released`` reward scheme: the released code's accumulating reward, next to the paper's."""

import pytest

from habits.tasks import get_task
from habits.tasks.general_points_released import released_reward

PROBLEM = {"cards": ["A", "3", "K", "6"], "target": 24, "rule": "id"}  # values 1, 3, 10, 6


def _json(formula, cards='"A", "3", "K", "6"'):
    return '{"cards": [' + cards + '], "number": [1, 3, 10, 6], "formula": "' + formula + '"}'


@pytest.fixture(scope="module")
def released():
    return get_task("general_points", reward="released")


@pytest.fixture(scope="module")
def paper():
    return get_task("general_points")


def test_a_correct_formula_earns_five_in_both_schemes(released, paper):
    assert released.reward(PROBLEM, _json("10*3-6*1=24")) == paper.reward(PROBLEM, _json("10*3-6*1=24")) == 5.0


def test_an_unused_card_and_an_extra_number_add_up_to_minus_four(released, paper):
    answer = _json("10*3-6+7")  # 1 unused, 7 not a card
    assert released.reward(PROBLEM, answer) == -4.0
    assert paper.reward(PROBLEM, answer) == -2.0


def test_each_misplaced_token_costs_another_three(released):
    assert released.reward(PROBLEM, _json("10*3-6*1)")) == -3.0  # unmatched ')'
    assert released.reward(PROBLEM, _json("10**3-6*1")) == -3.0  # '*' after '*'
    assert released.reward(PROBLEM, _json("10**3--6*1")) == -6.0
    assert released.reward(PROBLEM, _json("K*3-6*1")) == -3.0  # letters are illegal characters there


def test_a_legal_formula_with_the_wrong_value_earns_minus_one(released, paper):
    assert released.reward(PROBLEM, _json("10+3+6+1")) == paper.reward(PROBLEM, _json("10+3+6+1")) == -1.0


def test_an_unfinished_prefix_of_a_known_solution_earns_partial_credit():
    solutions = ["(10 * 3) - (6 * 1)"]
    assert released_reward([1, 3, 10, 6], 24, solutions, _json("(10*3)-(6*1")) == (1.0, ["partial solution"])
    value, messages = released_reward([1, 3, 10, 6], 24, solutions, _json("(10*3)-(1*6"))
    assert value == -1.0 and messages == ["(10*3)-( is partially correct but the full formula does not match any "
                                          "solution"]


def test_the_first_answer_counts_there_and_the_last_in_habits(released, paper):
    text = _json("10+3+6+1") + "\nWait, better:\n" + _json("10*3-6*1")
    assert released.reward(PROBLEM, text) == -1.0
    assert paper.reward(PROBLEM, text) == 5.0


def test_released_scheme_checks_the_card_reading_first_in_the_image_modality():
    task = get_task("general_points", reward="released", modality="image")
    problem = {**PROBLEM, "suits": ["spades"] * 4}
    assert task.reward(problem, _json("10*3-6*1", cards='"A", "3", "Q", "6"')) == -1.5
    assert task.reward(problem, _json("10*3-6*1", cards="1, 3, 'k', 6")) == 5.0


@pytest.mark.parametrize("text", ["", "no json", '"formula": "', '"formula": "' + "9" * 5000 + '"',
                                  '"formula": "9**9**9**9"', '"formula": "1/0+3+10+6"', '"formula": "()()"'])
def test_every_string_gets_a_reward_never_an_exception(released, text):
    assert isinstance(released.reward(PROBLEM, text), float)


def test_batch_metrics_give_the_released_schemes_reward_not_the_verdict_table():
    from habits.metrics import measure
    from habits.tasks import get_task

    task = get_task("general_points", reward="released")
    problem = task.generate(1, split="test", seed=3)[0]
    answer = task.format_answer(problem, task.solve(problem)[0])
    completions = [answer, "no answer", answer + " " + answer]
    expected = [task.reward(problem, c) for c in completions]
    assert measure(task, [problem] * 3, completions, behaviors=False).rewards() == expected
