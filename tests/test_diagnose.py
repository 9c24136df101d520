"""``habits diagnose`` and ``habits behaviors classify / agree``: reports, files, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fakes import JudgeServer
from typer.testing import CliRunner

from habits.behaviors import BEHAVIORS, JudgeConfig
from habits.cli import app
from habits.diagnose import DiagnoseConfig, main
from habits.io import InputError

runner = CliRunner()
PROBLEM = {"numbers": [72, 31, 63], "target": 22}
RICH = "72 - 31 = 41, not 22. Let me try another way: 31 + 63 - 72 = 22. Correct!\n</think>\n<answer>31 + 63 - 72</answer>"
PLAIN = "31 + 63 - 72\n</think>\n<answer>31 + 63 - 72</answer>"
WRONG = "<answer>72 - 31 - 63</answer>"


def write_rows(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def completions(tmp_path):
    rows = [
        {"id": i, "task": "countdown", "problem": PROBLEM, "completion": text}
        for i, text in enumerate([RICH] * 3 + [PLAIN] * 5 + [WRONG] * 2)
    ]
    return write_rows(tmp_path / "completions.jsonl", rows)


def test_diagnose_reports_shares_accuracy_length_and_missing_behaviors(completions, tmp_path):
    out = tmp_path / "report.json"
    report = main(DiagnoseConfig(completions=str(completions), out=str(out)))
    assert report["n"] == 10
    assert report["behaviors"]["verification"]["share"] == pytest.approx(0.3)
    low, high = report["behaviors"]["verification"]["share_ci"]
    assert low < 0.3 < high
    assert report["accuracy"]["value"] == pytest.approx(0.8)
    assert report["length"]["chars_mean"] > 0
    assert not report["verdict"]["ready"]
    assert report["verdict"]["missing"] == ["subgoal_setting", "backward_chaining"]
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagnose_thresholds_decide_readiness(completions):
    from habits.behaviors import Thresholds

    report = main(
        DiagnoseConfig(
            completions=str(completions),
            thresholds=Thresholds(min_share=0.25, required=("verification", "backtracking")),
        )
    )
    assert report["verdict"]["ready"] and report["verdict"]["missing"] == []


def test_diagnose_samples_a_tiny_model_end_to_end(tiny_model_dir, tmp_path, one_torch_thread):
    out = tmp_path / "tiny.json"
    result = runner.invoke(
        app,
        [
            "diagnose",
            "--model",
            str(tiny_model_dir),
            "--task",
            "countdown",
            "--n",
            "4",
            "--max-new-tokens",
            "16",
            "--device",
            "cpu",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["n"] == 4 and report["accuracy"]["n"] == 4
    assert report["length"]["tokens_mean"] is not None
    assert set(report["behaviors"]) == set(BEHAVIORS)
    rows = [json.loads(line) for line in (tmp_path / "tiny.completions.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all("behaviors" in row and "problem" in row for row in rows)
    ready = report["verdict"]["ready"]  # the printed verdict is the report's
    assert ("ready for RL:" in result.output) == ready and ("not ready:" in result.output) == (not ready)


def test_diagnose_needs_exactly_one_source(completions, tiny_model_dir):
    with pytest.raises(ValueError, match="exactly one source"):
        DiagnoseConfig()
    with pytest.raises(ValueError, match="exactly one source"):
        DiagnoseConfig(completions=str(completions), model=str(tiny_model_dir), task="countdown")
    with pytest.raises(ValueError, match="--task"):
        DiagnoseConfig(model=str(tiny_model_dir))


def test_diagnose_names_the_line_of_a_row_without_completion(tmp_path):
    path = write_rows(tmp_path / "bad.jsonl", [{"completion": "x"}, {"text": "no completion here"}])
    out = tmp_path / "report.json"
    with pytest.raises(InputError, match=r"bad\.jsonl:2: .*'completion'"):
        main(DiagnoseConfig(completions=str(path), out=str(out)))
    assert not out.exists()


def test_diagnose_rejects_an_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    with pytest.raises(InputError, match="no rows"):
        main(DiagnoseConfig(completions=str(path)))


# --- habits behaviors classify / agree ---------------------------------------------------------------
def test_classify_keeps_every_field_and_adds_the_four_counts(completions, tmp_path):
    out = tmp_path / "classified.jsonl"
    result = runner.invoke(app, ["behaviors", "classify", "--input", str(completions), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 10
    assert rows[0]["id"] == 0 and rows[0]["problem"] == PROBLEM and rows[0]["task"] == "countdown"
    assert rows[0]["behaviors"] == {
        "verification": 2,
        "backtracking": 1,
        "subgoal_setting": 0,
        "backward_chaining": 0,
    }


def test_classify_writes_where_each_instance_is(completions, tmp_path):
    out = tmp_path / "classified.jsonl"
    result = runner.invoke(app, ["behaviors", "classify", "--input", str(completions), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row in rows:
        assert {name: len(spans) for name, spans in row["spans"].items()} == row["behaviors"]
    text = rows[0]["completion"]
    assert [text[a:b] for a, b in rows[0]["spans"]["backtracking"]] == ["Let me try another way: 31 + 63 - 72 = 22."]
    assert [text[a:b] for a, b in rows[0]["spans"]["verification"]] == ["72 - 31 = 41, not 22.", "Correct!"]
    result = runner.invoke(app, ["behaviors", "classify", "--input", str(completions), "--output", str(out),
                                 "--no-spans"])
    assert "spans" not in json.loads(out.read_text().splitlines()[0])


def test_classify_with_a_judge_that_is_down_names_it_and_writes_nothing(completions, tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "classified.jsonl"
    result = runner.invoke(
        app,
        [
            "behaviors",
            "classify",
            "--input",
            str(completions),
            "--output",
            str(out),
            "--backend",
            "judge",
            "--base-url",
            f"http://127.0.0.1:{port}/v1",
            "--judge-cache",
            "none",
            "--judge-retries",
            "0",
        ],
    )
    assert result.exit_code != 0
    assert f"127.0.0.1:{port}" in str(result.exception)
    assert not out.exists() and not list(tmp_path.glob(".classified.jsonl.*"))


def test_classify_names_a_non_utf8_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"completion": "ok"}\n{"completion": "caf\xe9"}\n')
    result = runner.invoke(
        app, ["behaviors", "classify", "--input", str(path), "--output", str(tmp_path / "o.jsonl")]
    )
    assert isinstance(result.exception, InputError) and "latin1.jsonl:2" in str(result.exception)


def test_cli_turns_bad_input_into_a_one_line_error(tmp_path):
    path = write_rows(tmp_path / "rows.jsonl", [{"prompt": "no completion"}])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "habits",
            "behaviors",
            "classify",
            "--input",
            str(path),
            "--output",
            str(tmp_path / "o.jsonl"),
        ],
        capture_output=True,
        check=False,
        text=True,
    )
    assert proc.returncode == 2
    assert "rows.jsonl:1" in proc.stderr and "Traceback" not in proc.stderr


def test_agree_prints_per_behavior_f1_and_macro_f1():
    result = runner.invoke(app, ["behaviors", "agree", "--gold", "tuning"])
    assert result.exit_code == 0, result.output
    assert "presence macro-F1" in result.output
    assert all(name in result.output for name in BEHAVIORS)


def test_diagnose_with_the_judge_backend_reports_the_judges_counts(completions, tmp_path):
    with JudgeServer() as server:
        judge = JudgeConfig(base_url=server.url, model="fake-judge", cache=str(tmp_path / "judge.sqlite"),
                            max_retries=1, backoff_s=0.01, timeout_s=5)
        report = main(DiagnoseConfig(completions=str(completions), backend="judge", judge=judge))
    assert server.requests == 10 * len(BEHAVIORS)  # every completion, every behavior, asked once
    assert report["classifier"] == "judge:fake-judge"
    assert report["behaviors"]["verification"]["mean"] == 3
    assert report["behaviors"]["subgoal_setting"]["share"] == 0
    assert report["verdict"]["missing"] == ["subgoal_setting"]
    assert report["accuracy"]["value"] == pytest.approx(0.8)  # verification does not depend on the classifier
def test_diagnose_options_and_a_recipe_reach_the_config_through_the_config_machinery(completions, tmp_path,
                                                                                      monkeypatch):
    seen = []

    def fake_main(config):
        seen.append(config)
        raise KeyboardInterrupt  # stop before any judging

    monkeypatch.setattr("habits.diagnose.main", fake_main)
    recipe = tmp_path / "diagnose.yaml"
    recipe.write_text("n: 7\nthresholds: {min_share: 0.3}\njudge: {concurrency: 2}\n")
    runner.invoke(app, ["diagnose", "--config", str(recipe), "--completions", str(completions), "--backend", "judge",
                        "--base-url", "http://127.0.0.1:9/v1", "--seed", "3", "--set", "max_numbers=3"])
    config = seen[0]
    assert (config.n, config.thresholds.min_share, config.judge.concurrency) == (7, 0.3, 2)  # from the recipe
    assert config.judge.endpoint == "http://127.0.0.1:9/v1" and config.backend == "judge"  # from the options
    assert config.seed == config.sampling.seed == 3 and config.task_args == {"max_numbers": 3}
    assert config.sampling.temperature == 1.0  # an option left at its default does not override the recipe
    recipe.write_text("n: 7\nthresholds: {min_shar: 0.3}\n")
    result = runner.invoke(app, ["diagnose", "--config", str(recipe), "--completions", str(completions)])
    assert "diagnose.yaml:2" in str(result.exception) and "did you mean 'min_share'" in str(result.exception)


def test_classify_rejects_an_empty_file_and_writes_nothing(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    out = tmp_path / "o.jsonl"
    result = runner.invoke(app, ["behaviors", "classify", "--input", str(path), "--output", str(out)])
    assert isinstance(result.exception, InputError) and "no rows" in str(result.exception)
    assert not out.exists()


def test_count_command_prints_the_four_counts_as_json():
    result = runner.invoke(app, ["behaviors", "count", "9 * 8 = 72, too big. Let me try another way."])
    assert result.exit_code == 0
    assert json.loads(result.output) == {"verification": 1, "backtracking": 1, "subgoal_setting": 0,
                                         "backward_chaining": 0}


def test_diagnose_and_eval_check_every_output_before_loading_a_model(tiny_model_dir, tmp_path, monkeypatch):
    from habits.evaluate import EvalConfig
    from habits.evaluate import main as evaluate

    def never(*args, **kwargs):
        raise AssertionError("the model was loaded before the outputs were checked")

    monkeypatch.setattr("habits.sample.load_model", never)
    (tmp_path / "taken.json").mkdir()
    (tmp_path / "a_file").write_text("x")
    for out, says in ((tmp_path / "taken.json", "is a directory"),
                      (tmp_path / "a_file" / "d.json", "a_file is a file, not a directory")):
        with pytest.raises(InputError, match=says):
            main(DiagnoseConfig(model=str(tiny_model_dir), task="countdown", n=2, out=str(out)))
        with pytest.raises(InputError, match=says):
            evaluate(EvalConfig(model=str(tiny_model_dir), task="countdown", n=2, out=str(out)))
    with pytest.raises(InputError, match="completions .*unknown format '.json'"):
        evaluate(EvalConfig(model=str(tiny_model_dir), n=2, completions=str(tmp_path / "rows.json")))


def test_diagnose_names_the_line_of_a_bad_problem_and_reads_pandas_numbers_exactly(tmp_path):
    rows = [{"problem": {"numbers": ["72", 31.0, 63], "target": "22"}, "completion": RICH},
            {"problem": {"numbers": [1, 2], "target": 1.5}, "completion": PLAIN}]
    path = write_rows(tmp_path / "rows.jsonl", rows)
    with pytest.raises(InputError, match=r"rows\.jsonl:2: bad problem for countdown: target must be a whole number"):
        main(DiagnoseConfig(completions=str(path), task="countdown"))
    write_rows(path, rows[:1])
    assert main(DiagnoseConfig(completions=str(path), task="countdown"))["accuracy"]["value"] == 1.0
