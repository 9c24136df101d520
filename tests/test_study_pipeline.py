"""Arms as stage sequences (the SFT-vs-RL study): starts from other arms, compute points, bad recipes refused."""

import json
import textwrap

import pytest

from habits.pipeline import arm_flops_before, arm_order, main, plan, start_model
from habits.pipeline_config import load_pipeline

STUDY = textwrap.dedent("""\
    stage: pipeline
    name: study
    output_root: {root}
    task: general_points
    task_args: {{template: 2}}
    seeds: [0]
    bases:
      base: {{model: {model}}}
    diagnose: {{n: 2, max_new_tokens: 8}}
    priming: {{n: 8, tokenizer: regex}}
    sft: {{per_device_train_batch_size: 4, learning_rate: 1.0e-3, max_length: 512, eval_every: 2, eval_n: 2,
          eval_max_new_tokens: 8, torch_threads: 1, drift_probes: 2}}
    rl: {{num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 8, eval_every: 2, eval_n: 2,
         eval_max_new_tokens: 8, learning_rate: 1.0e-4, torch_threads: 1, generation_factor: 6.0}}
    eval: {{n: 2, max_new_tokens: 8, torch_threads: 1}}
    arms:
      rl_scaled: {{stages: [rl], start: {{arm: format_sft, checkpoint: {checkpoint}}}, rl: {{max_steps: 2}}}}
      format_sft: {{condition: none, stages: [sft], sft: {{max_steps: 4}}}}
      sft_scaled: {{condition: none, stages: [sft], start: {{arm: format_sft}}, sft: {{max_steps: 2}}}}
    """)


def write(tmp_path, model="models/tiny-countdown", checkpoint="final", **replace):
    text = STUDY.format(root=tmp_path, model=model, checkpoint=checkpoint)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    recipe = tmp_path / "study.yaml"
    recipe.write_text(text)
    return recipe


def test_an_arm_is_planned_after_the_arm_it_starts_from_and_waits_for_its_chain(tmp_path):
    config = load_pipeline(write(tmp_path))
    assert arm_order(config) == ["format_sft", "rl_scaled", "sft_scaled"]
    rl = [stage for stage in plan(config) if stage.chain == "arms/rl_scaled/seed0"]
    assert {stage.after for stage in rl} == {"arms/format_sft/seed0"}
    assert [stage.label.split(": ")[-1] for stage in rl] == ["evaluate before RL", "RL", "evaluate after RL"]


@pytest.mark.parametrize(("old", "new", "says"), [
    ("start: {arm: format_sft, checkpoint: final}", "start: {arm: formt_sft, checkpoint: final}",
     r"study.yaml:\d+: .*starts from arm 'formt_sft', which no arm is"),
    ("start: {arm: format_sft, checkpoint: final}", "start: {arm: format_sft, stage: rl, checkpoint: final}",
     r"study.yaml:\d+: .*trains only \['sft'\]; no arm produces that checkpoint"),
    ("start: {arm: format_sft, checkpoint: final}", "start: {arm: format_sft, checkpoint: step-3}",
     r"study.yaml:\d+: .*step-3 is not an evaluation step"),
    ("start: {arm: format_sft, checkpoint: final}", "start: {arm: format_sft, checkpoint: best}",
     r"study.yaml:\d+: .*checkpoint must be one of final, early, peak or step-N"),
    ("stages: [sft], sft: {max_steps: 4}", "stages: [sft], start: {arm: rl_scaled, stage: rl}, sft: {max_steps: 4}",
     r"study.yaml:\d+: .*cycle: (rl_scaled -> format_sft -> rl_scaled|format_sft -> rl_scaled -> format_sft)"),
    ("condition: none, stages: [sft], sft", "stages: [sft], sft",
     r"study.yaml:\d+: .*stages has sft, which trains on priming data: set `condition`"),
    ("stages: [rl], start", "stages: [pretrain, rl], start", r"study.yaml:\d+: .*bases.<name>.pretrain"),
])
def test_a_recipe_whose_starts_cannot_be_met_is_refused_naming_file_and_line(tmp_path, old, new, says):
    recipe = write(tmp_path, **{old: new})
    with pytest.raises(ValueError, match=says) as raised:
        load_pipeline(recipe)
    line = int(str(raised.value).split(":")[1])
    assert recipe.read_text().splitlines()[line - 1].strip()  # the line named exists and is not blank
    assert not (tmp_path / "study").exists()


def test_peak_start_needs_the_source_stage_to_evaluate(tmp_path):
    recipe = write(tmp_path, checkpoint="peak", **{"eval_every: 2, eval_n: 2,\n      eval_max_new_tokens: 8, torch":
                                                   "eval_every: 0, eval_n: 2,\n      eval_max_new_tokens: 8, torch"})
    with pytest.raises(ValueError, match=r"study.yaml:\d+: .*'peak' of format_sft's sft needs its periodic evaluation"):
        load_pipeline(recipe)


def test_start_checkpoints_resolve_to_the_first_the_best_and_the_final_model(tmp_path):
    config = load_pipeline(write(tmp_path, checkpoint="peak"))
    run = config.layout.stage("format_sft", 0, "sft")
    for step in (2, 4):
        (run / f"checkpoint-{step}").mkdir(parents=True)
        (run / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    (run / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in [
        {"step": 0, "eval_ood/accuracy": 0.5}, {"step": 2, "eval_ood/accuracy": 0.25, "compute/flops": 10.0},
        {"step": 4, "eval_ood/accuracy": 0.75, "compute/flops": 20.0}]))
    assert start_model(config, "rl_scaled", 0).endswith("checkpoint-4")  # peak: best OOD among kept checkpoints
    assert arm_flops_before(config, "rl_scaled", 0, "rl") == 20.0  # the checkpoint's own compute
    config.arms["rl_scaled"].start.checkpoint = "early"
    assert start_model(config, "rl_scaled", 0).endswith("checkpoint-2")
    config.arms["rl_scaled"].start.checkpoint = "final"
    assert start_model(config, "rl_scaled", 0) == str(run / "model")


@pytest.mark.slow
def test_the_study_runs_and_its_summary_has_points_with_compute_for_every_arm(tmp_path):
    config = load_pipeline(write(tmp_path, checkpoint="peak"))
    summary = main(config)
    arms = summary["arms"]
    assert {name: entry["stages"] for name, entry in arms.items()} == {
        "rl_scaled": ["rl"], "format_sft": ["sft"], "sft_scaled": ["sft"]}
    for name, entry in arms.items():
        flops = [point["flops"] for point in entry["points"]]
        assert len(flops) >= 2 and flops == sorted(flops) and flops[-1] > flops[0], name
        assert all(set(point["accuracy"]) == {"test", "ood"} for point in entry["points"])
    shared = arms["format_sft"]["points"][-1]["flops"]
    assert arms["sft_scaled"]["points"][0]["flops"] == pytest.approx(shared)  # scaled from one checkpoint
    assert arms["rl_scaled"]["start"] == {"arm": "format_sft", "stage": "sft", "checkpoint": "peak"}
    rows = [json.loads(line) for line in
            (config.layout.stage("rl_scaled", 0, "rl") / "metrics.jsonl").read_text().splitlines()]
    assert any("drift/kl_to_start" in row for row in rows) and any("compute/lambda" in row for row in rows)
    report = config.layout.report.read_text()
    assert "held-out accuracy against training compute" in report and "The paper's signs" in report


@pytest.mark.parametrize("task, condition, message", [
    ("task: reasoning_gym\ntask_args: {dataset: leg_counting}", "none", "reasoning_gym has no trace search"),
    ("task: navigation\ntask_args: {}", "incorrect", "no slip to believe a wrong answer"),
])
def test_an_sft_arm_on_a_task_without_such_priming_traces_is_refused_before_any_work(tmp_path, task, condition,
                                                                                     message):
    recipe = write(tmp_path, **{"task: general_points\ntask_args: {template: 2}": task,
                                "format_sft: {condition: none": f"format_sft: {{condition: {condition}"})
    with pytest.raises(ValueError, match=rf"study.yaml:\d+: arm 'format_sft' trains SFT on priming data, but "
                                         rf".*{message}"):
        load_pipeline(recipe)


def test_rl_arms_carry_their_revise_budget_and_the_report_draws_viter_bars(tmp_path):
    from habits.report.study_section import study_section
    from habits.summary import revise_budgets

    recipe = write(tmp_path, **{"rl: {max_steps: 2}}": "rl: {max_steps: 2, revise_attempts: 3}}",
                                "arms:\n": "arms:\n  rl_once: {stages: [rl], start: {arm: format_sft}, rl: {max_steps: 2}}\n"})
    config = load_pipeline(recipe)
    assert revise_budgets(config) == {"rl_once": 1, "rl_scaled": 3}
    assert revise_budgets(load_pipeline(write(tmp_path))) == {}  # nobody revises: no VIter comparison

    def arm(viter, ood):
        return {"stages": ["rl"], "viter": viter, "points": [
            {"flops": f, "accuracy": {"test": 0.5, "ood": o}} for f, o in zip((1e12, 2e12), ood)]}

    summary = {"task": "general_points", "splits": ["test", "ood"],
               "arms": {"rl_once": arm(1, (0.1, 0.12)), "rl_scaled": arm(3, (0.1, 0.2))}}
    page = study_section(config, summary, tmp_path)
    assert "Verify-and-revise budgets (VIter)" in page and (tmp_path / "viter.png").stat().st_size > 0
def test_an_sft_arm_on_navigation_loads_its_program_written_rows(tmp_path):
    config = load_pipeline(write(tmp_path, **{"task: general_points\ntask_args: {template: 2}":
                                              "task: navigation\ntask_args: {}"}))
    assert config.arms["format_sft"].condition == "none" and config.task == "navigation"


@pytest.mark.parametrize(("control", "flagged"), [("", True), (", reward_control: random", False)])
def test_a_random_reward_rising_is_not_flagged_but_a_real_one_is(tmp_path, control, flagged):
    from habits.report.study_section import study_section

    config = load_pipeline(write(tmp_path, **{"rl: {max_steps: 2}}": "rl: {max_steps: 2" + control + "}}"}))
    metrics = config.layout.stage("rl_scaled", 0, "rl") / "metrics.jsonl"
    metrics.parent.mkdir(parents=True)
    rows = [{"step": s, "reward": s / 10, **({"eval_ood/accuracy": 0.5 - s / 20} if s % 3 == 0 else {})}
            for s in range(10)]
    metrics.write_text("".join(json.dumps(row) + "\n" for row in rows))
    summary = {"task": "general_points", "splits": ["test", "ood"], "arms": {}}
    page = study_section(config, summary, tmp_path)
    assert ("rl_scaled seed 0 (rl): the training reward rose" in page) == flagged
