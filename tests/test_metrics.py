"""The one batch-metrics path: each completion verified once; evaluation, RL logging and diagnosis agree."""

import json

from habits.behaviors import BEHAVIORS
from habits.metrics import measure
from habits.tasks import get_task
from habits.train.rewards import OutcomeReward

PROBLEM = {"numbers": [2, 3, 5], "target": 16}
TEXTS = ["Check: (3+5)*2 = 16. <answer>(3+5)*2</answer>", "<answer>2+3+5</answer>", "no idea",
         "<answer>2+</answer>"]


def counting_verifier(task):
    """Wrap ``task.verify`` so a test can see how often each completion is checked."""
    calls = []
    verify = task.verify

    def wrapped(problem, completion):
        calls.append(completion)
        return verify(problem, completion)

    task.verify = wrapped
    return calls


def test_measure_reads_accuracy_format_errors_rewards_and_lengths_off_the_verdicts():
    batch = measure(get_task("countdown"), [PROBLEM] * 4, TEXTS, tokens=[10, 6, 2, 4], behaviors=False)
    assert batch.accuracy == 0.25 and batch.correct == 1
    assert batch.format_error == 0.5  # no_answer + malformed
    assert batch.reasons == {"correct": 1, "malformed": 1, "no_answer": 1, "wrong_value": 1}
    assert batch.rewards() == [1.0, 0.1, 0.0, 0.1]  # tinyzero: right / answered / nothing / answered
    assert batch.mean_length_tokens == 5.5
    assert batch.mean_length_chars == sum(map(len, TEXTS)) / 4
    assert batch.behaviors() is None and "behaviors" not in batch.summary()


def test_measure_counts_the_four_behaviors_and_logs_their_means():
    batch = measure(get_task("countdown"), [PROBLEM] * 4, TEXTS)
    behaviors = batch.behaviors()
    assert set(behaviors) == set(BEHAVIORS)
    assert behaviors["verification"]["share"] == 0.25 and behaviors["verification"]["mean"] > 0
    logged = batch.log_values(prefix="eval_test/")
    assert logged["eval_test/accuracy"] == 0.25 and logged["eval_test/format_error"] == 0.5
    assert logged["eval_test/behaviors/verification"] == behaviors["verification"]["mean"]
    assert "eval_test/mean_length" not in logged  # no token lengths were given


def test_measure_accepts_problems_as_json_text_and_conversational_completions():
    completions = [[{"role": "assistant", "content": "<answer>(3+5)*2</answer>"}]]
    batch = measure(get_task("countdown"), [json.dumps(PROBLEM)], completions, behaviors=False)
    assert batch.accuracy == 1.0 and batch.texts == ["<answer>(3+5)*2</answer>"]


def test_rows_without_a_problem_count_for_length_and_behaviors_but_not_for_accuracy():
    task = get_task("countdown")
    batch = measure([task, None], [PROBLEM, None], ["<answer>(3+5)*2</answer>", "Let me check that again."])
    assert [v is not None for v in batch.verdicts] == [True, False]
    assert batch.accuracy == 1.0 and len(batch.verified) == 1
    assert batch.rewards() == [1.0, None]
    assert batch.profile().n == 2


def test_counts_made_elsewhere_are_used_as_given():
    judged = [{"verification": 3, "backtracking": None, "subgoal_setting": 0, "backward_chaining": 1}]
    batch = measure(None, [None], ["anything"], behaviors=judged)
    assert batch.behaviors()["verification"] == {"mean": 3.0, "share": 1.0}
    assert batch.profile().behaviors["backtracking"].missing == 1  # a judge's unreadable answer is not a zero


def test_rl_reward_verifies_each_completion_once_even_while_logging_metrics():
    task = get_task("countdown")
    calls = counting_verifier(task)
    logged = {}
    rewards = OutcomeReward(task)(TEXTS, problem=[PROBLEM] * 4, log_metric=logged.__setitem__)
    assert rewards == [1.0, 0.1, 0.0, 0.1]
    assert len(calls) == 4
    assert logged["accuracy"] == 0.25 and logged["format_error"] == 0.5
    assert {f"behaviors/{name}" for name in BEHAVIORS} <= set(logged)
