"""`habits tasks ...` as a user runs it: files in, files out, errors that name the file and line."""

import json
import subprocess
import sys

import datasets
import pytest

from habits.io import load_rows


def habits(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "habits", *args], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(result.stderr)
    return result


def test_every_command_has_help():
    for args in ([], ["tasks"], ["tasks", "list"], ["tasks", "generate"], ["tasks", "verify"], ["tasks", "solve"]):
        result = habits(*args, "--help")
        assert "Usage" in result.stdout


def test_tasks_list_shows_every_task_and_reward_scheme():
    out = habits("tasks", "list").stdout
    assert "countdown" in out and "general_points" in out and "tinyzero" in out and "paper" in out
    assert "navigation" in out and "released" in out and "modality" in out


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_generated_image_problems_load_with_their_images_in_datasets(tmp_path, suffix):
    pytest.importorskip("PIL")
    out = tmp_path / f"gpvl.{suffix}"
    habits("tasks", "generate", "general_points", "--split", "ood", "--n", "3", "--out", str(out),
           "--set", "modality=image", "--set", "ood=visual")
    loaded = datasets.load_dataset("json" if suffix == "jsonl" else "parquet", data_files=str(out), split="train")
    if suffix == "jsonl":  # paths to PNG files beside the file; Parquet holds the PNG bytes and says so itself
        loaded = loaded.cast_column("images", datasets.Sequence(datasets.Image()))
    else:
        assert not (tmp_path / "gpvl_images").exists()
    image = loaded[0]["images"][0]
    assert image.size[0] > image.size[1] > 100
    assert [part["type"] for part in loaded[0]["prompt"][0]["content"]] == ["image", "text"]


def test_navigation_files_hold_one_row_per_decision_and_verify_with_the_papers_reward(tmp_path):
    problems, solved = tmp_path / "nav.jsonl", tmp_path / "solved.jsonl"
    habits("tasks", "generate", "navigation", "--n", "2", "--out", str(problems))
    rows = load_rows(problems)
    assert len(rows) > 2 and all("action" in row["problem"] for row in rows)
    habits("tasks", "solve", "navigation", "--input", str(problems), "--out", str(solved))
    habits("tasks", "verify", "navigation", "--input", str(solved))
    assert all(row["reward"] == 1.0 for row in load_rows(tmp_path / "solved.verified.jsonl"))


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_generate_writes_a_file_datasets_can_load(tmp_path, suffix):
    out = tmp_path / f"problems.{suffix}"
    habits("tasks", "generate", "countdown", "--split", "test", "--n", "12", "--seed", "3", "--out", str(out),
           "--set", "number_range=[1, 20]")
    loaded = datasets.load_dataset("json" if suffix == "jsonl" else "parquet", data_files=str(out), split="train")
    assert len(loaded) == 12
    assert set(loaded.column_names) >= {"problem", "prompt", "split", "task", "id"}
    assert all(1 <= n <= 20 for row in loaded for n in row["problem"]["numbers"])


def test_solve_then_verify_round_trip_marks_solver_answers_correct(tmp_path):
    problems, solved = tmp_path / "p.jsonl", tmp_path / "s.jsonl"
    habits("tasks", "generate", "general_points", "--n", "10", "--out", str(problems))
    habits("tasks", "solve", "general_points", "--input", str(problems), "--out", str(solved))
    result = habits("tasks", "verify", "general_points", "--input", str(solved))
    rows = load_rows(tmp_path / "s.verified.jsonl")
    assert len(rows) == 10
    assert all(row["verdict"]["correct"] and row["reward"] == 5.0 for row in rows)
    assert "correct" in result.stdout


def test_verify_names_the_file_and_line_of_a_bad_row(tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = json.dumps({"problem": {"numbers": [1, 2], "target": 3}, "completion": "<answer>1+2</answer>"})
    bad.write_text(good + "\n" + json.dumps({"problem": {"numbers": [1, 2], "target": 3}}) + "\n")
    result = habits("tasks", "verify", "countdown", "--input", str(bad), check=False)
    assert result.returncode == 2
    assert f"{bad}:2" in result.stderr and "completion" in result.stderr
    assert not (tmp_path / "bad.verified.jsonl").exists()


def test_verify_reports_non_json_and_non_utf8_lines(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b'{"problem": {}, "completion": ""}\n{not json\n')
    assert f"{broken}:2" in habits("tasks", "verify", "countdown", "--input", str(broken), check=False).stderr
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"completion": "caf\xe9"}\n')
    result = habits("tasks", "verify", "countdown", "--input", str(latin), check=False)
    assert result.returncode == 2 and "UTF-8" in result.stderr


def test_bad_config_override_is_a_clear_error():
    result = habits("tasks", "generate", "general_points", "--out", "x.jsonl", "--set", "rule=vegas", check=False)
    assert result.returncode == 2 and "unknown rule" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["verify", "solve"])
@pytest.mark.parametrize("content", ["", "\n \n\n"])
def test_empty_input_is_refused_and_never_replaces_an_earlier_output(tmp_path, command, content):
    empty, out = tmp_path / "empty.jsonl", tmp_path / "out.jsonl"
    empty.write_text(content)
    out.write_text("SENTINEL\n")
    result = habits("tasks", command, "countdown", "-i", str(empty), "-o", str(out), check=False)
    assert result.returncode == 2 and f"{empty}: no rows" in result.stderr
    assert out.read_text() == "SENTINEL\n"


def test_an_output_that_cannot_be_written_is_refused_before_reading_the_input(tmp_path):
    (tmp_path / "a_dir").mkdir()
    missing_input = tmp_path / "not_read_yet.jsonl"
    for out, says in ((tmp_path / "a_dir", "is a directory"), (tmp_path / "x.csv", "unknown format '.csv'")):
        result = habits("tasks", "verify", "countdown", "-i", str(missing_input), "-o", str(out), check=False)
        assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


def test_string_numbers_are_solved_and_verified_alike_and_a_bad_problem_names_its_line(tmp_path):
    rows, solved = tmp_path / "p.jsonl", tmp_path / "s.jsonl"
    rows.write_text(json.dumps({"problem": {"numbers": ["1", "2", "3"], "target": 6.0}}) + "\n")
    habits("tasks", "solve", "countdown", "-i", str(rows), "-o", str(solved))
    habits("tasks", "verify", "countdown", "-i", str(solved), "-o", str(tmp_path / "v.jsonl"))
    assert load_rows(tmp_path / "v.jsonl")[0]["verdict"]["correct"]
    rows.write_text(rows.read_text() + json.dumps({"problem": {"numbers": "abc", "target": 6}}) + "\n")
    result = habits("tasks", "solve", "countdown", "-i", str(rows), "-o", str(solved), check=False)
    assert result.returncode == 2 and f"{rows}:2: bad problem for countdown: numbers must be a list" in result.stderr
