"""GRPO reward functions (TRL contract) and the datasets the trainers read."""

import json

import pytest

from habits.io import InputError, write_jsonl
from habits.tasks import get_task
from habits.train.data import load_sft_rows, problems_from_file, rl_rows
from habits.train.rewards import OutcomeReward, build_rewards, format_reward, resolve_reward

PROBLEM = {"numbers": [2, 3, 5], "target": 16}


def test_outcome_reward_uses_the_task_scheme_and_accepts_json_problems():
    reward = OutcomeReward(get_task("countdown"), behaviors=False)
    completions = ["<answer>(3+5)*2</answer>", "<answer>2+3+5</answer>", "no answer"]
    problems = [json.dumps(PROBLEM)] * 3  # datasets store the problem column as JSON text
    assert reward(completions, problem=problems) == [1.0, 0.1, 0.0]  # tinyzero: right / answered / nothing
    assert reward.__name__ == "countdown_tinyzero_reward"


def test_outcome_reward_reports_accuracy_format_errors_and_behaviors_through_log_metric():
    logged = {}
    reward = OutcomeReward(get_task("countdown"))
    completions = [[{"role": "assistant", "content": "3+5 = 8, 8*2 = 16. That matches the target.\n"
                                                       "<answer>(3+5)*2</answer>"}],
                   [{"role": "assistant", "content": "hmm"}]]
    reward(completions, problem=[PROBLEM, PROBLEM], log_metric=logged.__setitem__, prompts=["p", "p"])
    assert logged["accuracy"] == 0.5 and logged["format_error"] == 0.5
    assert {f"behaviors/{b}" for b in ("verification", "backtracking", "subgoal_setting", "backward_chaining")} \
        <= set(logged)
    assert logged["behaviors/verification"] > 0


def test_outcome_reward_judges_the_final_attempt_of_a_revised_rollout():
    reward = OutcomeReward(get_task("countdown"), behaviors=False)
    trajectory = "<answer>2+3+5</answer> Your answer is not correct. Please try again. <answer>(3+5)*2</answer>"
    assert reward([trajectory], problem=[PROBLEM], final_attempt=["<answer>(3+5)*2</answer>"]) == [1.0]
    assert reward([trajectory], problem=[PROBLEM], final_attempt=["<answer>2+3+5</answer>"]) == [0.1]


def test_format_reward_matches_multiline_think_and_answer_blocks():
    base_prompt = get_task("countdown").prompt(PROBLEM)  # ends with an opened <think>
    assert format_reward(["a\nb\n</think>\n<answer>\n(3+5)*2\n</answer>"], prompts=[base_prompt]) == [1.0]
    assert format_reward(["<think>x</think><answer>1</answer>"], prompts=["chat"]) == [1.0]
    assert format_reward(["<answer>1</answer>"], prompts=["chat"]) == [0.0]  # no reasoning block
    assert format_reward(["<think>x</think> no answer"], prompts=["chat"]) == [0.0]


def test_build_rewards_weights_and_user_rewards_by_import_path():
    funcs, weights = build_rewards(get_task("countdown"), format_weight=0.5,
                                   extra=["habits.train.rewards:format_reward"], behaviors=False)
    assert weights == [1.0, 0.5, 1.0] and funcs[2] is format_reward
    with pytest.raises(ValueError, match="cannot import"):
        resolve_reward("no_such_module_xyz:f")
    with pytest.raises(ValueError, match="package.module:function"):
        resolve_reward("format_reward")


def test_sft_rows_become_prompt_completion_in_text_or_chat_form(tmp_path):
    path = tmp_path / "p.jsonl"
    write_jsonl(path, [
        {"prompt": "Q1 <think>", "completion": " A1", "messages": [], "behaviors": {}},
        {"prompt": "Q2 <think>", "completion": " A2"},
    ])
    assert load_sft_rows(path) == [{"prompt": "Q1 <think>", "completion": " A1"},
                                   {"prompt": "Q2 <think>", "completion": " A2"}]
    write_jsonl(path, [{"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}])
    assert load_sft_rows(path) == [{"prompt": [{"role": "user", "content": "Q"}],
                                    "completion": [{"role": "assistant", "content": "A"}]}]


def test_bad_sft_rows_are_reported_with_file_and_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "Q", "completion": "A"}\n{"text": "oops"}\n')
    with pytest.raises(InputError, match=r"p\.jsonl:2"):
        load_sft_rows(path)
    path.write_text('{"messages": [{"role": "user", "content": "Q"}]}\n')
    with pytest.raises(InputError, match="must end with the assistant"):
        load_sft_rows(path)
    path.write_text('{"prompt": "Q", "completion": "A"}\n'
                    '{"prompt": [{"role": "user", "content": "Q"}], "completion": "A"}\n')
    with pytest.raises(InputError, match="mixes text and chat"):
        load_sft_rows(path)


def test_rl_rows_carry_the_task_prompt_and_the_problem_as_json(tmp_path):
    task = get_task("countdown", prompt_style="chat")
    rows = rl_rows(task, [PROBLEM])
    assert rows[0]["prompt"] == task.prompt(PROBLEM) and json.loads(rows[0]["problem"]) == PROBLEM
    write_jsonl(tmp_path / "t.jsonl", [{"problem": PROBLEM, "prompt": "x"}, {"problem": PROBLEM}])
    assert problems_from_file(tmp_path / "t.jsonl", limit=1) == [PROBLEM]


def test_a_revised_rollout_earns_the_sum_of_its_attempt_rewards():
    reward = OutcomeReward(get_task("countdown"), behaviors=False)
    logged = {}
    found = reward(["t"], problem=[PROBLEM], final_attempt=["<answer>(3+5)*2</answer>"],
                   attempt_rewards=[[0.1, 1.0]], log_metric=logged.__setitem__)
    assert found == [1.1]
    assert logged["revise/first_attempt_reward"] == 0.1 and logged["revise/last_attempt_reward"] == 1.0
