"""`habits prime-data` and `main(PrimeConfig)`: files SFT can read, bad requests refused before any work."""

import subprocess
import sys

import datasets
import pytest

from habits.io import load_rows
from habits.traces import check_arithmetic, make_rows, thoughts
from habits.traces.data import PrimeConfig, main
from habits.traces.tokens import token_counter


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
    assert all(row["correct"] and row["behaviors"]["backtracking"] >= 1 for row in rows)
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
    (["--task", "navigation"], "task"),
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


def test_two_number_problems_still_prime_backtracking(tmp_path):
    summary = main(PrimeConfig(condition="backtracking", n=20, task_config={"min_numbers": 2, "max_numbers": 2},
                               out=tmp_path / "p.jsonl"), progress=False)
    assert summary["correct"] == 1.0 and summary["behavior_presence"]["backtracking"] >= 0.95


def test_summary_reports_lengths_presence_and_arithmetic(tmp_path):
    summary = main(PrimeConfig(condition="all", n=40, out=tmp_path / "p.jsonl"), progress=False)
    assert summary["rows"] == 40 and summary["correct"] == 1.0
    assert summary["arithmetic"]["wrong"] == 0 and summary["arithmetic"]["statements"] > 40
    assert 0 < summary["thought_tokens"]["median"] <= summary["thought_tokens"]["p90"] <= summary["thought_tokens"]["max"]
    assert all(share >= 0.95 for share in summary["behavior_presence"].values())


def test_length_matched_counts_tokens_with_a_hugging_face_tokenizer_directory(tmp_path):
    from habits.models.tiny import train_tokenizer
    from habits.tasks import get_task

    task = get_task("countdown")
    problems = task.generate(6, seed=1)
    corpus = [thoughts(row["completion"]) for row in make_rows(task, "all", problems)]
    train_tokenizer(corpus * 3, vocab_size=320).save_pretrained(tmp_path / "tok")
    count = token_counter(tmp_path / "tok")
    dotted = list(make_rows(task, "length_matched", problems, count_tokens=count))
    for row, text in zip(dotted, corpus, strict=True):
        assert thoughts(row["completion"]).rstrip("\n") == " ." * count(text.strip())
        assert count(text.strip()) > len(text.split())  # digits are single tokens in the tiny tokenizer
        assert check_arithmetic(row["completion"]).statements == 0
