"""Verify-and-revise episodes: feedback in the paper's words, per-attempt rewards, success within K."""

import pytest

from habits.episodes import OVER_BUDGET_PENALTY, episode_metrics, feedback_message, revise, run_episodes
from habits.tasks import get_task

PROBLEM = {"cards": ["A", "3", "K", "6"], "target": 24, "rule": "id"}
RIGHT = '{"formula": "10 * 3 - 6 * 1 = 24"}'
WRONG_VALUE = '{"formula": "10 + 6 + 3 + 1"}'
WRONG_NUMBERS = '{"formula": "4 * 6"}'


class Scripted:
    """A fake model: answers from a script per call and records every prompt it saw."""

    def __init__(self, *answers):
        self.answers, self.seen = list(answers), []

    def __call__(self, prompts):
        self.seen.append(prompts)
        return [self.answers.pop(0) for _ in prompts]


def test_a_wrong_attempt_is_answered_in_the_papers_words_and_kept_in_context():
    task = get_task("general_points", prompt_style="chat")
    model = Scripted(WRONG_NUMBERS, RIGHT)
    [episode] = run_episodes(task, [PROBLEM], model, max_attempts=5)
    assert [a.correct for a in episode.attempts] == [False, True]
    second = model.seen[1][0]
    assert second[-2] == {"role": "assistant", "content": WRONG_NUMBERS}
    assert second[-1]["role"] == "user" and second[-1]["content"].startswith("You failed this trial because ")
    assert "did not use" in second[-1]["content"]


def test_base_prompts_are_revised_as_text():
    prompt = revise("Solve it.\n<think>", "I think 5.</think><answer>5</answer>", "You failed this trial because no.")
    assert prompt.startswith("Solve it.\n<think>I think 5.")
    assert prompt.endswith("User: You failed this trial because no.\nAssistant: Let me try again.\n<think>")


def test_each_attempt_has_its_own_reward_and_a_used_up_budget_is_penalised():
    task = get_task("general_points")
    [episode] = run_episodes(task, [PROBLEM], Scripted(WRONG_VALUE, WRONG_NUMBERS, WRONG_VALUE), max_attempts=3)
    assert episode.rewards() == [-1.0, -2.0, -1.0 + OVER_BUDGET_PENALTY]
    [single] = run_episodes(task, [PROBLEM], Scripted(WRONG_VALUE), max_attempts=1)
    assert single.rewards() == [-1.0]  # one attempt is plain evaluation: no budget penalty


def test_metrics_give_success_within_each_budget_and_per_attempt_accuracy():
    task = get_task("general_points")
    # problem 0 solved at once; problem 1 on the second try; problem 2 never
    model = Scripted(RIGHT, WRONG_VALUE, WRONG_VALUE, RIGHT, WRONG_VALUE, WRONG_VALUE)
    episodes = run_episodes(task, [PROBLEM] * 3, model, max_attempts=3)
    metrics = episode_metrics(episodes, 3)
    assert metrics["success_within"] == {"1": pytest.approx(1 / 3), "2": pytest.approx(2 / 3),
                                         "3": pytest.approx(2 / 3)}
    assert metrics["per_attempt"]["1"]["accuracy"] == pytest.approx(1 / 3)
    assert metrics["per_attempt"]["2"] == {"n": 2, "accuracy": 0.5, "mean_reward": 2.0}  # (5 - 1) / 2
    assert metrics["per_attempt"]["3"]["n"] == 1
    assert metrics["step_accuracy"] == pytest.approx(2 / 6)  # every attempt is a sample
    assert metrics["problem_success"] == pytest.approx(2 / 3)


def test_a_route_succeeds_only_when_every_decision_does():
    task = get_task("navigation")
    route = task.generate(1, "train", seed=0)[0]
    steps = task.steps(route)
    right = [task.format_answer(s, s["action"]) for s in steps]
    episodes = run_episodes(task, [route], Scripted(*right), max_attempts=1)
    assert episode_metrics(episodes, 1)["problem_success"] == 1.0
    almost = right[:-1] + [task.format_answer(steps[-1], "forward()")]
    failed = episode_metrics(run_episodes(task, [route], Scripted(*almost), max_attempts=1), 1)
    assert failed["problem_success"] == 0.0
    assert failed["step_accuracy"] == pytest.approx((len(steps) - 1) / len(steps))


def test_navigation_feedback_asks_to_avoid_the_action():
    task = get_task("navigation")
    step = task.steps(task.generate(1, "train", seed=0)[0])[0]
    verdict = task.verify(step, task.format_answer(step, "stop()"))
    assert feedback_message(task, verdict).startswith("You failed this trial because you")
    assert "avoid this action" in feedback_message(task, verdict)
