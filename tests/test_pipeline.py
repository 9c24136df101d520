"""`habits run`: the whole loop on a micro configuration, resumable, with a report."""

import json
import subprocess
import sys
import textwrap

import pytest

from habits.pipeline_config import load_pipeline

MICRO = textwrap.dedent("""\
    stage: pipeline
    name: micro
    output_root: {root}
    task: countdown
    task_args: {{min_numbers: 3, max_numbers: 3, number_range: [1, 9], target_range: [10, 20], template: 1}}
    seeds: [0]
    bases:
      base:
        pretrain:
          model: {{vocab_size: 400, hidden_size: 32, num_layers: 1, num_heads: 2, num_kv_heads: 1,
                   intermediate_size: 64, max_positions: 512}}
          corpus: {{problems: 24, arithmetic_docs: 8}}
          tokenizer_traces: 8
          num_train_epochs: 1
          per_device_train_batch_size: 16
          torch_threads: 1
    diagnose: {{n: 4, max_new_tokens: 16}}
    priming: {{n: 8}}
    sft: {{max_steps: 2, per_device_train_batch_size: 4, learning_rate: 1.0e-3, torch_threads: 1}}
    rl: {{max_steps: 2, num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 16,
          eval_every: 1, eval_n: 2, eval_max_new_tokens: 16, learning_rate: 1.0e-4, torch_threads: 1,
          save_steps: 1}}
    eval: {{n: 4, max_new_tokens: 16, torch_threads: 1}}
    arms:
      no_priming: {{}}
      all: {{condition: all}}
    """)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    recipe = root / "micro.yaml"
    recipe.write_text(MICRO.format(root=root))
    result = subprocess.run([sys.executable, "-m", "habits", "run", str(recipe)], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return recipe, root / "micro", result


@pytest.mark.slow
def test_pipeline_writes_summary_with_accuracy_and_behaviors_before_and_after(finished_run):
    _, run, _ = finished_run
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["arms"]) == {"no_priming", "all"}
    for arm in summary["arms"].values():
        for when in ("before", "after"):
            for split in ("test", "ood"):
                assert 0.0 <= arm["accuracy"][when][split]["mean"] <= 1.0
                assert set(arm["behaviors"][when][split]) == {"verification", "backtracking", "subgoal_setting",
                                                              "backward_chaining"}
    assert summary["bases"]["base"]["diagnosis"]["verdict"]["message"]


@pytest.mark.slow
def test_pipeline_keeps_each_stage_output_and_rl_metrics(finished_run):
    _, run, _ = finished_run
    assert (run / "bases" / "base" / "model" / "model.safetensors").is_file()
    assert (run / "arms" / "all" / "seed0" / "priming.jsonl").is_file()
    assert (run / "arms" / "all" / "seed0" / "sft" / "model" / "config.json").is_file()
    rows = [json.loads(line) for line in (run / "arms" / "all" / "seed0" / "rl" / "metrics.jsonl").read_text().splitlines()]
    keys = set().union(*rows)
    assert {"reward", "eval_test/accuracy", "eval_ood/accuracy", "behaviors/backtracking"} <= keys


@pytest.mark.slow
def test_report_is_self_contained_html_with_plots(finished_run):
    _, run, _ = finished_run
    page = (run / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 3
    assert "Findings" in page and "no_priming" in page
    # each arm's greedy completions are kept beside its evaluation and shown, marked, in the report
    assert (run / "arms" / "all" / "seed0" / "eval_after.completions.jsonl").is_file()
    assert "Sample completions after the last stage" in page and "<h3>all</h3>" in page
    assert (run / "plots" / "accuracy_over_steps.png").is_file()


@pytest.mark.slow
def test_rerunning_the_same_command_skips_finished_stages(finished_run):
    recipe, run, _ = finished_run
    result = subprocess.run([sys.executable, "-m", "habits", "run", str(recipe)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "already done" in result.stdout
    assert "pretrain" not in result.stdout.split("already done", 1)[1].split("done in")[0]


@pytest.mark.slow
def test_a_changed_config_is_refused_for_an_existing_run_dir(finished_run):
    recipe, run, _ = finished_run
    changed = recipe.with_name("changed.yaml")
    changed.write_text(recipe.read_text().replace("priming: {n: 8}", "priming: {n: 9}"))
    result = subprocess.run([sys.executable, "-m", "habits", "run", str(changed)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2
    assert "different config" in result.stderr and "priming" in result.stderr
    assert (run / "summary.json").is_file()  # finished stages kept


def test_unknown_condition_is_an_error_naming_the_file_and_line(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(MICRO.format(root=tmp_path).replace("all: {condition: all}", "all: {condition: everything}"))
    with pytest.raises(ValueError, match=r"bad.yaml:\d+: arm 'all' has unknown condition 'everything'"):
        load_pipeline(recipe)


def test_unknown_base_is_an_error(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(MICRO.format(root=tmp_path).replace("no_priming: {}", "no_priming: {base: qwen}"))
    with pytest.raises(ValueError, match="unknown base 'qwen'"):
        load_pipeline(recipe)


def test_recipe_whose_rl_problems_include_evaluation_problems_is_refused_before_training(tmp_path):
    from habits.evaluate import eval_problems
    from habits.io import write_jsonl
    from habits.tasks import get_task

    task = get_task("countdown", min_numbers=3, max_numbers=3, number_range=[1, 9], target_range=[10, 20], template=1)
    leaked = tmp_path / "leaked.jsonl"
    write_jsonl(leaked, ({"problem": p} for p in eval_problems(task, "test", 3, 0)))
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(MICRO.format(root=tmp_path).replace("no_priming: {{}}".format(), f"no_priming: {{rl: {{train_file: {leaked}}}}}"))
    with pytest.raises(ValueError, match=r"bad.yaml:\d+: arm 'no_priming' would train on evaluation problems"):
        load_pipeline(recipe)
    assert not (tmp_path / "micro").exists()  # nothing was started


def test_length_matched_arm_without_the_model_tokenizer_is_refused_naming_the_line(tmp_path):
    recipe = tmp_path / "bad.yaml"
    text = MICRO.format(root=tmp_path).replace("all: {condition: all}", "dots: {condition: length_matched}")
    recipe.write_text(text.replace("priming: {n: 8}", "priming: {n: 8,\n          tokenizer: regex}"))
    with pytest.raises(ValueError, match=r"bad.yaml:\d+: arm 'dots' is length_matched.*tokenizer"):
        load_pipeline(recipe)


def test_rl_problems_of_every_arm_come_from_the_rl_stream_disjoint_from_priming(tmp_path):
    recipe = tmp_path / "micro.yaml"
    recipe.write_text(MICRO.format(root=tmp_path))
    config = load_pipeline(recipe)
    for arm in config.arms:
        assert config.stage_configs(arm, 0, "<model>")["rl"].train_stream == "rl"


@pytest.mark.slow
def test_parallel_chains_pretrain_the_base_first_then_finish_every_arm_and_log_each_chain(tmp_path):
    recipe = tmp_path / "micro.yaml"
    recipe.write_text(MICRO.format(root=tmp_path).replace("seeds: [0]", "seeds: [0]\nparallel: 2"))
    result = subprocess.run([sys.executable, "-m", "habits", "run", str(recipe)], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run = tmp_path / "micro"
    summary = json.loads((run / "summary.json").read_text())
    for arm in ("no_priming", "all"):
        assert (run / "arms" / arm / "seed0" / "eval_after.json").is_file()
        assert "== " in (run / "arms" / arm / "seed0" / "log.txt").read_text()
        assert summary["arms"][arm]["accuracy"]["after"]["test"]["mean"] is not None
    assert "== pretrain base 'base'" in (run / "bases" / "base" / "log.txt").read_text()
    assert "finished" in result.stdout


@pytest.mark.slow
def test_every_run_directory_records_the_software_that_made_it(finished_run):
    _, run, _ = finished_run
    for directory in (run, run / "arms" / "all" / "seed0" / "sft", run / "arms" / "all" / "seed0" / "rl"):
        recorded = json.loads((directory / "versions.json").read_text())
        assert recorded["trl"] and recorded["torch"] and recorded["transformers"] and recorded["python"]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["versions"]["trl"] == json.loads((run / "versions.json").read_text())["trl"]
    assert "Software: " in (run / "report.html").read_text()


@pytest.mark.parametrize(("old", "new", "says"), [
    ("diagnose: {n: 4,", "diagnose: {samples_n: 4,", r"bad.yaml:\d+: diagnose: unknown field 'samples_n'"),
    ("priming: {n: 8}", "priming: {n: 8, conditon: all}", r"bad.yaml:\d+: priming: unknown field 'conditon'"),
    ("priming: {n: 8}", "priming: {n: fifty}", r"bad.yaml:\d+: priming: n must be a whole number, got 'fifty'"),
    ("diagnose: {n: 4,", "diagnose: {n: -4,", r"bad.yaml:\d+: diagnose.n must be >= 1"),
    ("arms:", "report: {paper_model: gpt5}\narms:", r"bad.yaml:\d+: report.paper_model must be one of"),
    ("learning_rate: 1.0e-4", "learning_rate: fast", r"bad.yaml:\d+: arm \w+: rl: learning_rate must be a number"),
])
def test_every_recipe_section_is_typed_and_checked_before_any_work_naming_file_line_and_field(tmp_path, old, new,
                                                                                            says):
    recipe = tmp_path / "bad.yaml"
    text = MICRO.format(root=tmp_path)
    assert old in text
    recipe.write_text(text.replace(old, new, 1))
    with pytest.raises(ValueError, match=says) as raised:
        load_pipeline(recipe)
    line = int(raised.value.args[0].split(":")[1])
    assert (new.split(":")[0].split("{")[-1].strip() or "x") in recipe.read_text().splitlines()[line - 1]
    assert not (tmp_path / "micro").exists()


def test_a_diagnose_section_written_before_it_was_typed_still_resumes(tmp_path):
    recipe = tmp_path / "micro.yaml"
    recipe.write_text(MICRO.format(root=tmp_path))
    config = load_pipeline(recipe)
    old = {"diagnose": {"n": 4, "max_new_tokens": 16}}  # how config.yaml stored it
    assert config.typed_section("diagnose", old["diagnose"]) == config.fingerprint()["diagnose"]


def test_a_second_run_on_the_same_directory_is_refused_while_the_first_holds_it(tmp_path):
    from habits.io import exclusive
    from habits.pipeline import main as run_pipeline

    recipe = tmp_path / "micro.yaml"
    recipe.write_text(MICRO.format(root=tmp_path / "runs"))
    config = load_pipeline(recipe)
    lock = config.layout.root.parent / f".{config.layout.root.name}.lock"
    with exclusive(lock, "first run"):
        with pytest.raises(ValueError, match=r"is in use by habits PID \d+; wait for that run to finish"):
            run_pipeline(config)
    assert not config.layout.root.exists()  # refused before writing anything
    with exclusive(lock, "again"):  # released when the holder leaves: a later run takes it
        pass
