"""`habits prime-data` and `main(PrimeConfig)`: files SFT can read, bad requests refused before any work."""

import subprocess
import sys

import datasets
import pytest

from habits.io import load_rows
from habits.traces import check_arithmetic, make_rows, thoughts
from habits.traces.data import PrimeConfig, main
from habits.traces.tokens import one_token_filler, token_counter


def habits(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "habits", *args], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(result.stderr)
    return result


def test_prime_data_writes_rows_that_datasets_and_sft_can_load(tmp_path):
    out = tmp_path / "prime.jsonl"
    result = habits("prime-data", "--task", "general_points", "--condition", "backtracking_verification", "--n", "25",
                    "--seed", "3", "--out", str(out), "--set", "rule=ood", "--format", "chat")
    assert "verification" in result.stdout and "wrote" in result.stdout
    rows = load_rows(out)
    assert len(rows) == 25 and all(row["problem"]["rule"] == "ood" for row in rows)
    assert all(row["behaviors"]["verification"] >= 1 for row in rows)
    assert any(row["behaviors"]["backtracking"] >= 1 for row in rows)
    loaded = datasets.load_dataset("json", data_files=str(out), split="train").select_columns(["messages"])
    assert loaded[0]["messages"][-1]["role"] == "assistant"


def test_prime_data_help_and_condition_list():
    assert "--condition" in habits("prime-data", "--help").stdout
    listing = habits("prime-conditions").stdout
    assert "length_matched" in listing and "backtracking_backward" in listing


@pytest.mark.parametrize("args, message", [
    (["--condition", "all_strategies_please"], "unknown priming condition"),
    (["--n", "0"], "n must be a positive"),
    (["--format", "yaml"], "format must be one of"),
    (["--task", "navigation", "--condition", "incorrect"], "no slip"),  # no navigation trace believes a wrong action
    (["--condition", "length_matched", "--tokenizer", "/no/such/tokenizer"], "tokenizer"),
])
def test_bad_requests_fail_with_one_line_and_write_nothing(tmp_path, args, message):
    out = tmp_path / "prime.jsonl"
    result = habits("prime-data", "--out", str(out), *args, check=False)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not out.exists()


def test_wrong_answer_condition_refuses_problems_without_a_wrong_answer_before_writing(tmp_path):
    out = tmp_path / "prime.jsonl"
    config = PrimeConfig(condition="incorrect", n=3, out=out, task_config={"number_range": [0, 0], "target_range": [0, 0]})
    with pytest.raises(ValueError, match="wrong-but-legal"):
        main(config, progress=False)
    assert not out.exists()


@pytest.mark.parametrize("condition, task_config, message", [
    ("all", {"min_numbers": 2}, "at least 3 numbers"),
    ("backtracking", {"use_all": False}, "use_all"),
])
def test_task_settings_a_condition_cannot_be_written_for_are_refused_up_front(tmp_path, condition, task_config,
                                                                             message):
    config = PrimeConfig(condition=condition, n=5, out=tmp_path / "p.jsonl", task_config=task_config)
    with pytest.raises(ValueError, match=message):
        main(config, progress=False)
    assert not (tmp_path / "p.jsonl").exists()


def test_two_number_problems_are_all_solved_within_the_budget(tmp_path):
    # Two numbers give at most four lines (+ * - /), so the enumeration reaches every solvable target.
    summary = main(PrimeConfig(condition="backtracking", n=20, task_config={"min_numbers": 2, "max_numbers": 2},
                               out=tmp_path / "p.jsonl"), progress=False)
    assert summary["correct"] == 1.0 and 0 < summary["behavior_presence"]["backtracking"] < 1


@pytest.mark.parametrize("register", ["terse", "natural"])
def test_summary_reports_lengths_presence_and_arithmetic(tmp_path, register):
    summary = main(PrimeConfig(condition="all", n=40, out=tmp_path / "p.jsonl", register=register), progress=False)
    assert summary["rows"] == 40 and 0 < summary["correct"] < 1
    assert summary["arithmetic"]["wrong"] == 0 and summary["arithmetic"]["statements"] > 40
    assert 0 < summary["thought_tokens"]["median"] <= summary["thought_tokens"]["p90"] <= summary["thought_tokens"]["max"]
    assert summary["behavior_presence"]["verification"] == 1.0
    assert summary["behavior_presence"]["subgoal_setting"] >= 0.75  # where the target splits by a given number


def test_incorrect_summary_finds_one_wrong_statement_per_row(tmp_path):
    summary = main(PrimeConfig(condition="incorrect", n=30, register="terse"), progress=False)
    assert summary["correct"] == 0.0 and summary["arithmetic"]["wrong"] == 30


def test_prime_streams_are_disjoint_and_refused_outside_the_train_split():
    prime = main(PrimeConfig(condition="plain", n=30, stream="prime", out=None), progress=False)
    assert prime["rows"] == 30
    with pytest.raises(ValueError, match="only applies to the train split"):
        main(PrimeConfig(condition="plain", n=3, split="test", stream="prime"), progress=False)


def test_length_matched_dots_are_as_many_model_tokens_as_the_thoughts_they_replace(tmp_path):
    from habits.models.tiny import train_tokenizer
    from habits.tasks import get_task

    task = get_task("countdown")
    problems = task.generate(8, seed=0)  # what main() draws for seed 0
    corpus = [thoughts(row["completion"]) for row in make_rows(task, "all", problems, seed=0, register="terse")]
    train_tokenizer(corpus * 3, vocab_size=320).save_pretrained(tmp_path / "tok")
    count = token_counter(tmp_path / "tok")
    assert count(" ." * 16) != 16  # the tiny tokenizer gives the space its own token: " ." would be too long
    filler = one_token_filler(count)
    main(PrimeConfig(condition="length_matched", n=8, seed=0, register="terse", tokenizer=str(tmp_path / "tok"),
                     out=tmp_path / "dots.jsonl"), progress=False)
    for row, text in zip(load_rows(tmp_path / "dots.jsonl"), corpus, strict=True):
        dots = thoughts(row["completion"]).rstrip("\n")
        assert dots == filler * count(text.strip())
        assert count(dots) == count(text.strip()) == row["thought_tokens"]
        assert check_arithmetic(row["completion"]).statements == 0


def test_wrong_answer_condition_skips_a_problem_without_a_wrong_answer_and_keeps_the_others(tmp_path):
    # Numbers 1..2 and targets 1..2 often leave no wrong-but-legal line (1, 1, 1 -> 1): the condition
    # skips those problems, keeps the draws every other condition gets, in order, and writes n rows.
    from habits.traces.search import wrong_answer_exists

    task_config = {"min_numbers": 3, "max_numbers": 3, "number_range": [1, 2], "target_range": [1, 2]}
    wrong = main(PrimeConfig(condition="incorrect", n=20, out=tmp_path / "w.jsonl", task_config=task_config),
                 progress=False)
    right = main(PrimeConfig(condition="backtracking", n=20, out=tmp_path / "r.jsonl", task_config=task_config),
                 progress=False)
    assert wrong["rows"] == right["rows"] == 20
    wrong_problems = [row["problem"] for row in load_rows(tmp_path / "w.jsonl")]
    right_problems = [row["problem"] for row in load_rows(tmp_path / "r.jsonl")]
    usable = [p for p in right_problems if wrong_answer_exists(p["numbers"], p["target"])]
    assert len(usable) < 20  # the setting really draws problems without a wrong answer
    assert wrong_problems[:len(usable)] == usable


def test_prime_data_mixes_task_settings_equally_and_every_row_verifies(tmp_path):
    out = tmp_path / "mix.jsonl"
    habits("prime-data", "--task", "general_points", "--set", "num_cards=3", "--set",
           "template=4", "--mix", "rule=id", "--mix", "rule=varied", "--n", "6", "--condition", "none",
           "--out", str(out))
    rows = load_rows(out)
    assert [row["problem"]["rule"] for row in rows] == ["id", "varied"] * 3
    assert all(row["correct"] for row in rows) and all("faces" in row["problem"] for row in rows[1::2])
    refused = habits("prime-data", "--mix", "rule=id", "--source", "llm", "--base-url", "http://x", "--model", "m",
                     "--out", str(tmp_path / "llm.jsonl"), check=False)
    assert refused.returncode != 0 and "--mix works with --source program" in refused.stderr
