"""Evaluation: the unbiased pass@k estimator, scoring with the task verifier, ID/OOD runs on a tiny model."""

import json
from itertools import combinations

import pytest
import torch
from typer.testing import CliRunner

from habits.cli import app
from habits.evaluate import evaluate, evaluate_with_rows, ks_up_to, pass_at_k, score
from habits.models.tiny import TinyModelConfig, build_tiny_model
from habits.tasks import get_task


@pytest.mark.parametrize(("n", "c", "k"), [(4, 1, 1), (4, 1, 2), (5, 2, 3), (6, 0, 2), (6, 6, 4), (8, 3, 8)])
def test_pass_at_k_equals_the_share_of_k_subsets_containing_a_correct_sample(n, c, k):
    samples = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    brute = sum(any(samples[i] for i in subset) for subset in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(brute)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError):
        pass_at_k(4, 1, 5)


def test_ks_are_powers_of_two_up_to_k():
    assert ks_up_to(1) == [1] and ks_up_to(8) == [1, 2, 4, 8] and ks_up_to(6) == [1, 2, 4, 6]


def test_score_counts_correct_answers_and_format_errors_with_the_task_verifier():
    task = get_task("countdown")
    problem = {"numbers": [2, 3, 5], "target": 16}
    texts = ["Check: (3+5)*2 = 16. <answer>(3+5)*2</answer>", "<answer>2+3+5</answer>", "no idea", "<answer>2+</answer>"]
    result = score(task, [problem] * 4, texts, lengths=[10, 6, 2, 4])
    assert result["accuracy"] == 0.25
    assert result["format_error"] == 0.5  # no_answer + malformed
    assert result["reasons"]["correct"] == 1 and result["reasons"]["wrong_value"] == 1
    assert result["mean_length_tokens"] == 5.5
    assert set(result["behaviors"]) == {"verification", "backtracking", "subgoal_setting", "backward_chaining"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    task = get_task("general_points")
    texts = [task.prompt(p) for p in task.generate(20, split="train", seed=0)]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield build_tiny_model(tmp_path_factory.mktemp("m") / "qwen2", TinyModelConfig(arch="qwen2", num_layers=1),
                           texts=texts)
    torch.set_num_threads(before)


def test_evaluate_reports_greedy_accuracy_pass_at_k_and_the_general_points_rule_per_split(tiny):
    test = evaluate(tiny, "general_points", "test", n=3, k=2, max_new_tokens=6, progress=False)
    ood = evaluate(tiny, "general_points", "ood", n=3, k=2, max_new_tokens=6, progress=False)
    assert (test["rule"], ood["rule"]) == ("id", "ood")  # both face-card rules are measured
    for result in (test, ood):
        assert result["n"] == 3 and {"accuracy", "pass@1", "pass@2", "format_error", "mean_length_tokens",
                                     "behaviors", "reasons"} <= set(result)
        assert 0 < result["mean_length_tokens"] <= 6


def test_evaluate_verifies_each_greedy_completion_once_and_its_rows_carry_that_verdict(tiny):
    task = get_task("countdown")
    checked = []
    verify = task.verify
    task.verify = lambda problem, completion: checked.append(completion) or verify(problem, completion)
    result, rows = evaluate_with_rows(tiny, task, "test", n=3, max_new_tokens=4, progress=False)
    assert len(checked) == 3 == len(rows)
    assert [row["verdict"] for row in rows] == [verify(r["problem"], r["completion"]).to_dict() for r in rows]
    assert result["accuracy"] == sum(row["verdict"]["correct"] for row in rows) / 3


def test_eval_command_writes_one_json_with_every_split(tiny, tmp_path):
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "--model", str(tiny), "--task", "countdown", "--split", "test,ood",
                                      "--n", "2", "--out", str(out), "--set", "max_new_tokens=4",
                                      "--completions", str(tmp_path / "rows.jsonl")])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report["splits"]) == {"test", "ood"} and report["task"] == "countdown"
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and {"split", "problem", "completion", "verdict"} <= set(rows[0])


def test_eval_command_with_samples_prints_its_table_and_writes_pass_at_k_with_intervals(tiny, tmp_path):
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "--model", str(tiny), "--task", "countdown", "--split", "test",
                                      "--n", "2", "--k", "2", "--out", str(out), "--set", "max_new_tokens=4"])
    assert result.exit_code == 0, result.output  # the interval (a pair) once crashed the table
    split = json.loads(out.read_text())["splits"]["test"]
    assert "pass@2" in split and len(split["pass@1_interval"]) == 2


def test_eval_command_rejects_a_missing_model_directory(tmp_path):
    result = CliRunner().invoke(app, ["eval", "--model", str(tmp_path / "none"), "--task", "countdown"])
    assert result.exit_code != 0 and "does not exist" in str(result.exception)


@pytest.mark.parametrize("budget", [1, 5])
def test_eval_on_navigation_reports_per_step_accuracy_and_route_success(tiny, tmp_path, budget):
    out = tmp_path / "eval.json"
    args = ["eval", "--model", str(tiny), "--task", "navigation", "--split", "test,ood", "--n", "2",
            "--max-attempts", str(budget), "--out", str(out), "--set", "max_new_tokens=4",
            "--set", "task_args={city_size: 3, min_turns: 1, max_turns: 1, max_forward: 0}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["max_attempts"] == budget
    for split in ("test", "ood"):
        found = report["splits"][split]
        assert found["problems"] == 2 and found["n"] > 2  # routes of several decisions
        episodes = found["episodes"]
        assert 0 <= found["success"] <= episodes["problem_success"] <= 1  # more attempts can only add
        if budget == 1:
            assert episodes["problem_success"] == found["success"]
            assert episodes["success_within"]["1"] == found["accuracy"]
        assert set(episodes["success_within"]) == {str(j) for j in range(1, budget + 1)}
        assert episodes["decisions"] == found["n"] and episodes["problems"] == 2
        assert 1 <= episodes["mean_attempts"] <= budget
