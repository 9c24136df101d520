"""Equal-compute evaluation points (planned before training) and per-arm SFT data settings."""

import json
import textwrap

import pytest

from habits.compute_plan import planned_series
from habits.pipeline import _prime_runner
from habits.pipeline_config import load_pipeline
from habits.stages import get_stage
from habits.train.callbacks import evaluation_due

RECIPE = textwrap.dedent("""\
    stage: pipeline
    name: study
    output_root: {root}
    task: general_points
    task_args: {{num_cards: 3, template: 2}}
    bases:
      base: {{model: models/tiny-countdown}}
    priming: {{n: 8, register: terse, tokenizer: regex}}
    sft: {{per_device_train_batch_size: 4, learning_rate: 1.0e-3, max_length: 512, eval_every: 2, eval_n: 2,
          eval_max_new_tokens: 8, torch_threads: 1, logging_steps: 1, save_steps: 1000}}
    rl: {{num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 16, eval_every: 2, eval_n: 2,
         eval_max_new_tokens: 8, learning_rate: 1.0e-4, torch_threads: 1, generation_factor: 6.0}}
    eval: {{n: 2, max_new_tokens: 8, torch_threads: 1}}
    arms:
      format_sft: {{condition: backtracking_verification, stages: [sft], data_args: [{{rule: id}}, {{rule: ood}}],
                   sft: {{max_steps: 2}}}}
      sft_scaled: {{condition: backtracking_verification, stages: [sft], start: {{arm: format_sft}},
                   sft: {{max_steps: 40}}}}
      rl_scaled: {{stages: [rl], start: {{arm: format_sft}}, rl: {{max_steps: 20}}}}
    compute:
      points: {points}
      arms: [sft_scaled, rl_scaled]
    """)


def write(tmp_path, points="[]", **replace):
    text = RECIPE.format(root=tmp_path, points=points)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    recipe = tmp_path / "study.yaml"
    recipe.write_text(text)
    return recipe


def test_compute_points_become_each_arms_evaluation_steps_at_equal_planned_compute(tmp_path):
    probe = load_pipeline(write(tmp_path))
    sft, rl = planned_series(probe, "sft_scaled"), planned_series(probe, "rl_scaled")
    assert sft[0] == rl[0] > 0  # both start from format_sft's compute
    top = min(sft[-1], rl[-1])
    points = [sft[0] + (top - sft[0]) * f for f in (0.3, 0.6, 0.9)]
    config = load_pipeline(write(tmp_path, points=json.dumps(points)))
    for arm, stage, series in (("sft_scaled", "sft", sft), ("rl_scaled", "rl", rl)):
        steps = config.stage_configs(arm, 0, "m")[stage].eval_at_steps
        assert steps == sorted(set(steps)) and len(steps) == 4
        assert steps[-1] == config.stage_configs(arm, 0, "m")[stage].args.max_steps  # the curve runs to the end
        for step, point in zip(steps, points):
            assert abs(series[step] - point) <= 0.25 * point
    assert config.stage_configs("format_sft", 0, "m")["sft"].eval_at_steps == []  # not on the grid


@pytest.mark.parametrize(("points", "replace", "says"), [
    ("[1.0e+30]", {}, r"study.yaml:\d+: compute: compute point 1 \(1e\+30 FLOPs\) is beyond arm 'sft_scaled'"),
    ("[1.0e+13, 1.0e+12]", {}, r"study.yaml:\d+: compute: compute points must increase"),
    ("[1.0e+12]", {"arms: [sft_scaled, rl_scaled]": "arms: [sft_scaled, rl_scaledd]"},
     r"study.yaml:\d+: compute.arms names 'rl_scaledd', which no arm is"),
    ("[1.0e+12]", {"start: {arm: format_sft}, rl:": "start: {arm: format_sft, checkpoint: peak}, rl:"},
     r"study.yaml:\d+: .*peak checkpoint, which is known only after training"),
    ("[1.0e+12]", {"base: {model: models/tiny-countdown}": "base: {pretrain: {num_train_epochs: 1}}"},
     r"study.yaml:\d+: .*needs the parameter count of base 'base'.*set its `params`"),
])
def test_a_compute_grid_the_arms_cannot_match_is_refused_before_training_naming_file_and_line(
        tmp_path, points, replace, says):
    recipe = write(tmp_path, points=points, **replace)
    with pytest.raises(ValueError, match=says) as raised:
        load_pipeline(recipe)
    line = int(str(raised.value).split(":")[1])
    assert recipe.read_text().splitlines()[line - 1].strip()
    assert not (tmp_path / "study").exists()


def test_a_base_still_to_be_pretrained_is_planned_from_its_params_setting(tmp_path):
    pretrained = {"base: {model: models/tiny-countdown}": "base: {pretrain: {num_train_epochs: 1}, params: 1.0e+6}"}
    series = planned_series(load_pipeline(write(tmp_path, **pretrained)), "rl_scaled")
    assert series[1] - series[0] == pytest.approx(series[2] - series[1])  # planned steps cost the same
    config = load_pipeline(write(tmp_path, points=f"[{series[5]!r}]", **pretrained,
                                 **{"arms: [sft_scaled, rl_scaled]": "arms: [rl_scaled]"}))
    assert config.stage_configs("rl_scaled", 0, "m")["rl"].eval_at_steps == [5, 20]


def test_planned_sft_compute_is_close_to_what_training_measures(tmp_path):
    config = load_pipeline(write(tmp_path))
    _prime_runner(config, "format_sft", 0)()
    settings = config.stage_configs("format_sft", 0, "models/tiny-countdown")["sft"]
    settings.eval_every = 0
    get_stage("sft").run(settings)
    rows = [json.loads(line) for line in (config.layout.stage("format_sft", 0, "sft") / "metrics.jsonl").open()]
    measured = [row["compute/flops"] for row in rows if row.get("step") == 2 and "compute/flops" in row][-1]
    planned_total = planned_series(config, "format_sft")[-1]
    assert 0.5 * measured <= planned_total <= 2.0 * measured  # the same formula; only the row lengths differ


def test_evaluation_falls_on_the_listed_steps_when_given_else_every_n():
    assert [s for s in range(1, 13) if evaluation_due(s, 4)] == [4, 8, 12]
    assert [s for s in range(1, 13) if evaluation_due(s, 4, {3, 7})] == [3, 7]
    assert not any(evaluation_due(s, 0) for s in range(1, 13))


def test_an_arms_sft_data_mix_its_task_settings_while_evaluation_keeps_the_recipes(tmp_path):
    config = load_pipeline(write(tmp_path))
    _prime_runner(config, "format_sft", 0)()
    rows = [json.loads(line) for line in config.layout.priming("format_sft", 0).open()]
    assert [row["problem"]["rule"] for row in rows] == ["id", "ood"] * 4  # interleaved, equal shares
    assert len({row["id"] for row in rows}) == len(rows)
    ood = [row for row in rows if row["problem"]["rule"] == "ood"]
    assert all("'11', '12', and '13'" in row["prompt"] for row in ood)
    sft = config.stage_configs("format_sft", 0, "m")["sft"]
    assert "rule" not in sft.task_args  # the periodic ID/OOD evaluation is the recipe's task


def test_data_args_that_the_task_refuses_are_named_with_file_and_line(tmp_path):
    recipe = write(tmp_path, **{"[{rule: id}, {rule: ood}]": "[{rule: id}, {rule: odd}]"})
    with pytest.raises(ValueError, match=r"study.yaml:\d+: arm 'format_sft': data_args \{'rule': 'odd'\}"):
        load_pipeline(recipe)
    recipe = write(tmp_path, **{"condition: backtracking_verification, stages: [sft], start": "stages: [rl], start",
                                "sft: {max_steps: 40}": "data_args: {rule: ood}"})
    with pytest.raises(ValueError, match=r"data_args shape SFT data, but stages \['rl'\] has no sft"):
        load_pipeline(recipe)


def test_a_run_made_before_compute_points_and_data_args_existed_resumes_unchanged(tmp_path):
    config = load_pipeline(write(tmp_path, **{" data_args: [{rule: id}, {rule: ood}],": "",
                                              "arms: [sft_scaled, rl_scaled]": "arms: null"}))
    old = json.loads(json.dumps(config.fingerprint()))  # as read back from an older run's config.yaml
    old.pop("compute")
    for arm in old["arms"].values():
        arm.pop("data_args")
    for base in old["bases"].values():
        base.pop("params")
    new = config.fingerprint()
    assert {key: config.typed_section(key, old.get(key)) for key in new} == json.loads(
        json.dumps(config.fingerprint()))


def test_kl_drift_is_measured_at_the_equal_compute_steps_too(tmp_path):
    from habits.train.drift import DriftCallback
    from habits.train.runs import monitor_callbacks

    config = load_pipeline(write(tmp_path))
    settings = config.stage_configs("sft_scaled", 0, "models/tiny-countdown")["sft"]
    settings.eval_every, settings.eval_at_steps, settings.drift_probes = 0, [3, 9], 2
    drift = [c for c in monitor_callbacks(settings, settings.build_task()) if isinstance(c, DriftCallback)]
    assert len(drift) == 1 and drift[0].steps == {3, 9}


def test_habits_run_lists_the_recipe_sections_and_fields_with_help_config():
    from typer.testing import CliRunner

    from habits.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["run", "--help-config"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    for field in ("data_args", "points", "tolerance", "checkpoint", "params"):
        assert field in listed.output
    missing = runner.invoke(app, ["run"])
    assert missing.exit_code != 0 and "give a pipeline recipe" in missing.output


def test_each_data_args_part_applies_its_own_settings_only(tmp_path):
    config = load_pipeline(write(tmp_path, **{"[{rule: id}, {rule: ood}]": "[{rule: ood}, {template: 0}]"}))
    _prime_runner(config, "format_sft", 0)()
    rows = [json.loads(line) for line in config.layout.priming("format_sft", 0).open()]
    assert [row["problem"]["rule"] for row in rows[:2]] == ["ood", "id"]  # part 1 does not inherit part 0's rule
    assert rows[0]["prompt"].startswith("[Cards]") and rows[1]["prompt"].startswith("[Task Description]")
