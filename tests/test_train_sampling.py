"""Which groups GRPO trains on: the filter reads the binary verdict (never a shaped reward), and the
curriculum draws problems by measured solve rate."""

import json
from collections import Counter

import pytest

from habits.tasks import get_task
from habits.train.data import rl_rows
from habits.train.rewards import OutcomeReward
from habits.train.sampling import GroupSampler, SolveRates, groups_with_spread


def test_only_groups_with_a_right_and_a_wrong_completion_carry_signal():
    correct = [True, True, False, False, True, False, True, True]
    assert groups_with_spread(correct, 2) == [False, False, True, False]
    assert groups_with_spread(correct, 4) == [True, True]
    with pytest.raises(ValueError, match="groups of 3"):
        groups_with_spread(correct, 3)


def test_all_wrong_group_with_spread_in_a_shaped_reward_is_still_dropped():
    task = get_task("general_points", reward="paper")
    problem = {"cards": ["4", "5", "K", "Q"], "target": 24}
    wrong = ['{"formula": "10+10+4+5"}', '{"formula": "4+5+10+10+1"}', '{"formula": "4*5"}', "no idea"]
    reward = OutcomeReward(task, behaviors=False)
    rewards = reward(wrong, problem=[problem] * 4)
    assert len(set(rewards)) > 1  # the shaped score tells these failures apart ...
    assert reward.last_correct == [False] * 4
    assert groups_with_spread(reward.last_correct, 4) == [False]  # ... but no completion is right: no signal


def test_solve_rate_weights_favour_problems_solved_sometimes():
    rates = SolveRates()
    rates.observe(["always"] * 16 + ["never"] * 16 + ["hard"] * 32 + ["sometimes"] * 16,
                  [True] * 16 + [False] * 48 + [True, False] * 8)  # the run solves 30%: unseen ones are guessed so
    always, never, sometimes, unseen = rates.weights(["always", "never", "sometimes", "unseen"])
    assert sometimes > unseen > never and sometimes > always
    assert min(always, never) > 0  # an estimate never rules a problem out


def _sampler(curriculum, n=6, **extra):
    task = get_task("countdown")
    rows = rl_rows(task, task.generate(n, split="train", seed=3))
    return rows, GroupSampler(rows, num_generations=2, correctness=lambda: [], curriculum=curriculum, **extra)


def test_curriculum_shifts_draws_towards_unsolved_but_solvable_problems():
    rows, sampler = _sampler("solve_rate")
    keys = [row["problem"] for row in rows]
    for _ in range(4):  # problem 0 always solved, 1 never, 2 half the time; the rest barely tried
        sampler.observe([rows[0]] * 8 + [rows[1]] * 8 + [rows[2]] * 8, [True] * 8 + [False] * 8 + [True, False] * 4)
    drawn = Counter(row["problem"] for _ in range(300) for row in sampler.draw(1)[::2])
    assert drawn[keys[2]] > drawn[keys[0]] and drawn[keys[2]] > drawn[keys[1]]
    _, uniform = _sampler("uniform")
    flat = Counter(row["problem"] for _ in range(300) for row in uniform.draw(1)[::2])
    assert drawn[keys[2]] > flat[keys[2]]  # the curriculum, not chance, picks the half-solved problem


def test_drawn_groups_repeat_each_problem_and_are_fresh_rows():
    rows, sampler = _sampler("uniform", n=3)
    batch = sampler.draw(5)  # more groups than problems: problems recur
    assert len(batch) == 10 and all(batch[i]["problem"] == batch[i + 1]["problem"] for i in range(0, 10, 2))
    batch[0]["final_attempt"] = "x"  # TRL writes rollout columns into the rows it is given
    assert all("final_attempt" not in row for row in rows)
    assert {json.loads(row["problem"])["target"] for row in batch} <= {json.loads(r["problem"])["target"] for r in rows}


def test_first_batch_is_trls_own_unless_the_curriculum_chooses():
    rows, sampler = _sampler("uniform")
    given = rows[:2]
    assert sampler.first(given) is given
    _, curriculum = _sampler("solve_rate")
    assert len(curriculum.first(rows[:4])) == 4
