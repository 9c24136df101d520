"""Control rewards (random, format-only) in TRL's reward contract, for the study's reward ablation."""

import doctest
from types import SimpleNamespace

import pytest

import habits.train.reward_controls
from habits.metrics import measure
from habits.tasks import get_task
from habits.train.reward_controls import FormatOnlyReward, RandomReward, control_reward

PROBLEM = {"numbers": [2, 3, 5], "target": 16}


def test_module_examples_hold():
    assert doctest.testmod(habits.train.reward_controls).failed == 0


def at_step(step):
    return SimpleNamespace(global_step=step)  # what TRL passes as trainer_state


def test_random_reward_ignores_the_completion_and_repeats_for_the_same_seed_and_step():
    reward = RandomReward(p=0.5, seed=7)
    first = reward(["<answer>(3+5)*2</answer>"] * 32, trainer_state=at_step(3))
    other_texts = RandomReward(p=0.5, seed=7)([f"text {i}" for i in range(32)], trainer_state=at_step(3))
    assert first == other_texts
    assert set(first) == {0.0, 1.0}


def test_random_reward_changes_with_the_step_and_the_seed():
    reward = RandomReward(p=0.5, seed=7)
    assert reward(["x"] * 64, trainer_state=at_step(1)) != reward(["x"] * 64, trainer_state=at_step(2))
    assert RandomReward(p=0.5, seed=1)(["x"] * 64, trainer_state=at_step(1)) != \
        RandomReward(p=0.5, seed=2)(["x"] * 64, trainer_state=at_step(1))


def test_the_same_completion_is_not_always_rewarded_the_same():
    reward = RandomReward(p=0.5, seed=0)
    seen = {reward(["the very same answer"], trainer_state=at_step(step))[0] for step in range(40)}
    assert seen == {0.0, 1.0}  # otherwise the reward would be a learnable function of the text


@pytest.mark.parametrize("p", [0.0, 0.2, 1.0])
def test_random_reward_pays_with_probability_p(p):
    reward = RandomReward(p=p, seed=3)
    values = [v for step in range(20) for v in reward(["x"] * 100, trainer_state=at_step(step))]
    assert sum(values) / len(values) == pytest.approx(p, abs=0.03)


def test_random_reward_outside_a_trainer_still_moves_on_between_calls():
    reward = RandomReward(p=0.5, seed=0)
    assert reward(["x"] * 64) != reward(["x"] * 64)


def test_random_reward_logs_the_true_accuracy_when_given_the_task():
    logged = {}
    reward = RandomReward(p=0.5, seed=0, task=get_task("countdown"))
    reward(["<answer>(3+5)*2</answer>", "nothing"], problem=[PROBLEM] * 2, log_metric=logged.__setitem__)
    assert logged["accuracy"] == 0.5 and logged["format_error"] == 0.5


def test_random_reward_refuses_a_probability_outside_zero_one():
    with pytest.raises(ValueError, match="p must be between 0 and 1"):
        RandomReward(p=1.5)


def test_format_only_reward_pays_any_checkable_answer_right_or_wrong():
    reward = FormatOnlyReward(get_task("countdown"))
    completions = ["<answer>(3+5)*2</answer>",  # correct
                   "<answer>2+3+5</answer>",  # wrong value
                   "<answer>2+3</answer>",  # wrong numbers
                   "<answer>2 +* 3</answer>",  # malformed
                   "I give up"]  # no answer
    assert reward(completions, problem=[PROBLEM] * 5) == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_format_only_reward_is_one_minus_the_logged_format_error_on_general_points():
    task = get_task("general_points")
    problem = task.generate(1, split="train", seed=0)[0]
    right = task.format_answer(problem, task.solve(problem)[0])
    completions = [right, task.format_answer(problem, "1+1+1+1"), '{"formula": "4*', "no idea", right]
    logged = {}
    rewards = FormatOnlyReward(task)(completions, problem=[problem] * 5, log_metric=logged.__setitem__)
    assert rewards[0] == rewards[1] == rewards[4] == 1.0 and rewards[2] == rewards[3] == 0.0
    assert sum(rewards) / len(rewards) == pytest.approx(1 - measure(task, [problem] * 5, completions,
                                                                    behaviors=False).format_error)
    assert logged["format_error"] == pytest.approx(0.4) and logged["accuracy"] == pytest.approx(0.4)


def test_format_only_reward_scores_the_final_attempt_of_a_revised_rollout():
    reward = FormatOnlyReward(get_task("countdown"))
    episode = "... whole episode ..."
    assert reward([episode], problem=[PROBLEM], final_attempt=["<answer>2+3+5</answer>"]) == [1.0]


def test_controls_are_named_for_trls_logged_reward_columns():
    task = get_task("countdown")
    assert control_reward("random", task).__name__ == "random_reward"
    assert control_reward("format_only", task).__name__ == "format_only_reward"
    with pytest.raises(ValueError, match="unknown control reward 'spurious'"):
        control_reward("spurious", task)
