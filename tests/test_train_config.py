"""Run configs: habits' fields plus every TRL field by name, validated by TRL before any model loads."""

import dataclasses

import pytest
import yaml

from habits.configs import apply_overrides
from habits.train.config import RLConfig, SFTConfig, load_config


def rl(**values):
    return load_config(None, {"model": "Qwen/Qwen2.5-3B", **values}, stage="rl")


def test_unknown_task_is_rejected_with_the_registered_names():
    with pytest.raises(ValueError, match="unknown task 'countdwn'.*countdown"):
        rl(task="countdwn")


def test_unknown_field_suggests_the_closest_known_one():
    with pytest.raises(ValueError, match="did you mean 'num_generations'"):
        rl(num_generation=4)


@pytest.mark.parametrize("values", [
    {"epsilon_high": 0.28}, {"delta": 1.5}, {"importance_sampling_level": "sequence"},
    {"steps_per_generation": 2}, {"mask_truncated_completions": True}, {"top_entropy_quantile": 0.2},
    {"use_vllm": True, "vllm_mode": "server"}, {"num_iterations": 2, "epsilon": 0.1},
])
def test_grpo_fields_are_forwarded_to_trl_by_their_own_names(values):
    config = rl(**values)
    for name, value in values.items():
        assert getattr(config.args, name) == value


def test_misspelled_trl_field_in_a_recipe_names_the_file_line_and_nearest_field(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stage: rl\nmodel: Qwen/Qwen2.5-3B\n# epsilon_hihg would be wrong\nepsilon_hihg: 0.28\n")
    with pytest.raises(ValueError, match=r"r\.yaml:4: unknown field 'epsilon_hihg' \(did you mean 'epsilon_high'\?\)"):
        load_config(recipe)


def test_misspelled_choice_trl_documents_fails_before_training():
    with pytest.raises(ValueError, match="'dapoo' is not one of the values TRL documents for loss_type.*'dapo'"):
        rl(loss_type="dapoo")
    with pytest.raises(ValueError, match="importance_sampling_level"):
        rl(importance_sampling_level="sequnce")


def test_trl_rejects_a_batch_it_cannot_split_into_groups_at_load_time():
    with pytest.raises(ValueError, match="GRPOConfig refuses.*divisible by num_generations"):
        rl(per_device_train_batch_size=6, num_generations=4)
    with pytest.raises(ValueError, match="at least 2 generations"):
        rl(num_generations=1)


def test_fields_habits_sets_itself_say_what_to_set_instead():
    with pytest.raises(ValueError, match="precision: bf16"):
        rl(bf16=True)
    with pytest.raises(ValueError, match="format_reward"):
        rl(reward_weights=[1.0])
    with pytest.raises(ValueError, match="top level"):
        rl(trl={"epsilon_high": 0.28})


def test_older_spellings_keep_recipes_valid():
    config = load_config(None, {"model": "Qwen/Qwen2.5-3B", "data": "x.jsonl", "warmup_ratio": 0.2,
                                "gradient_checkpointing": True}, stage="sft")
    assert config.args.warmup_steps == 0.2 and config.args.activation_checkpointing
    with pytest.raises(ValueError, match="same setting"):
        rl(warmup_ratio=0.1, warmup_steps=0.2)


def test_missing_local_model_directory_is_reported_before_loading(tmp_path):
    config = load_config(None, {"model": str(tmp_path / "nope"), "output_dir": str(tmp_path / "run")}, stage="rl")
    with pytest.raises(ValueError, match="does not exist"):
        config.check_inputs()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no config.json"):
        load_config(None, {"model": str(tmp_path / "empty")}, stage="rl").check_inputs()


def test_task_args_and_reward_scheme_are_checked_by_the_task_itself():
    with pytest.raises(ValueError, match="unknown config field"):
        rl(task_args={"max_number": 3})
    with pytest.raises(ValueError, match="unknown reward scheme"):
        rl(task="countdown", reward="paper")
    assert rl(task="general_points", reward="binary").build_task().config.reward == "binary"


def test_format_reward_is_refused_for_tasks_that_answer_in_json():
    with pytest.raises(ValueError, match="format_reward"):
        rl(task="general_points", format_reward=0.5)


def test_sft_needs_data_and_defaults_follow_the_paper():
    with pytest.raises(ValueError, match="data is required"):
        load_config(None, {"model": "Qwen/Qwen2.5-3B"}, stage="sft")
    config = load_config(None, {"model": "Qwen/Qwen2.5-3B", "data": "x.jsonl"}, stage="sft")
    assert isinstance(config, SFTConfig)
    args = config.args
    assert (args.num_train_epochs, args.learning_rate, args.lr_scheduler_type) == (5.0, 1e-5, "cosine")
    assert args.warmup_steps > 0 and args.completion_only_loss and args.max_length == 2048


def test_rl_defaults_follow_the_first_paper_and_otherwise_trl():
    config = rl()
    assert isinstance(config, RLConfig)
    args = config.args
    assert (args.learning_rate, args.beta, args.num_generations, args.temperature,
            args.max_completion_length) == (1e-6, 0.001, 4, 1.0, 1024)
    assert (args.logging_steps, args.remove_unused_columns, args.eval_strategy) == (1, False, "no")
    assert args.loss_type == "dapo" and args.epsilon_high is None  # TRL's own defaults where habits has none


def test_yaml_recipe_with_dotted_overrides(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stage: rl\nmodel: Qwen/Qwen2.5-3B\ntask_args: {max_numbers: 4}\nlora: {enabled: true}\n")
    config = load_config(recipe, {"task_args.max_numbers": 3, "lora.r": 8, "beta": 0.0})
    assert config.task_args == {"max_numbers": 3} and config.lora.r == 8 and config.lora.enabled
    assert config.args.beta == 0.0


def test_resolved_config_reloads_to_the_same_trl_settings(tmp_path):
    config = rl(preset="gspo", epsilon_high=5e-4, lora={"enabled": True, "r": 4})
    recipe = tmp_path / "config.yaml"
    recipe.write_text(yaml.safe_dump({"stage": "rl", **config.to_dict()}))
    again = load_config(recipe)
    assert again.trl == config.trl and again.lora == config.lora and again.preset == "gspo"
    assert dataclasses.asdict(again.args) == dataclasses.asdict(config.args)


@pytest.mark.parametrize(("preset", "expected"), [
    ("dapo", {"loss_type": "dapo", "epsilon": 0.2, "epsilon_high": 0.28, "mask_truncated_completions": True,
              "beta": 0.0}),
    ("dr_grpo", {"loss_type": "dr_grpo", "scale_rewards": "none", "beta": 0.0}),
    ("gspo", {"importance_sampling_level": "sequence", "loss_type": "grpo", "epsilon": 3e-4, "epsilon_high": 4e-4,
              "beta": 0.0, "steps_per_generation": 4}),
])
def test_presets_set_the_published_variants_settings(preset, expected):
    config = rl(preset=preset)
    assert {name: getattr(config.args, name) for name in expected} == expected
    assert config.dynamic_sampling is (preset == "dapo")


def test_recipe_values_win_over_the_preset():
    config = rl(preset="dapo", epsilon_high=0.3, beta=0.01, dynamic_sampling=False)
    assert (config.args.epsilon_high, config.args.beta, config.args.loss_type) == (0.3, 0.01, "dapo")
    assert config.dynamic_sampling is False
    with pytest.raises(ValueError, match="unknown preset 'dappo'.*did you mean 'dapo'"):
        rl(preset="dappo")


def test_dynamic_sampling_needs_whole_groups_on_each_process(monkeypatch):
    import trl

    monkeypatch.setattr(trl.GRPOConfig, "world_size", property(lambda self: 2))  # as under a 2-process launch
    rl(per_device_train_batch_size=2, num_generations=4)  # TRL: 2 x 2 processes = one group, split over them
    with pytest.raises(ValueError, match="multiple of num_generations"):
        rl(dynamic_sampling=True, per_device_train_batch_size=2, num_generations=4)
    rl(dynamic_sampling=True, per_device_train_batch_size=2, num_generations=4, steps_per_generation=2)


def test_recipe_of_another_stage_is_refused_with_the_right_command(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stage: sft\nmodel: Qwen/Qwen2.5-3B\ndata: x.jsonl\n")
    with pytest.raises(ValueError, match="habits train sft"):
        load_config(recipe, stage="rl")


def test_bad_yaml_names_the_file_and_line(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stage: rl\nmodel: [unclosed\n")
    with pytest.raises(ValueError, match=r"r\.yaml:\d+"):
        load_config(recipe)


def test_overrides_do_not_mutate_the_recipe_dict():
    values = {"lora": {"r": 4}}
    out = apply_overrides(values, {"lora.r": 8, "task_args.max_numbers": 2})
    assert values == {"lora": {"r": 4}} and out == {"lora": {"r": 8}, "task_args": {"max_numbers": 2}}


def test_train_cli_checks_a_recipe_without_training_and_lists_fields():
    from typer.testing import CliRunner

    from habits.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["train", "rl", "--set", "epsilon_high=0.28", "--set", "importance_sampling_level=sequence",
                             "--check"])
    assert ok.exit_code == 0 and "config OK" in ok.output and '"epsilon_high": 0.28' in ok.output, ok.output
    for preset in ("dapo", "dr_grpo", "gspo"):
        checked = runner.invoke(app, ["train", "rl", "--set", f"preset={preset}", "--check"])
        assert checked.exit_code == 0, checked.output
    bad = runner.invoke(app, ["train", "rl", "--set", "model=Qwen/Qwen2.5-3B", "--set", "epsilon_hihg=0.28", "--check"])
    assert isinstance(bad.exception, ValueError) and "--set epsilon_hihg" in str(bad.exception)
    assert "did you mean 'epsilon_high'" in str(bad.exception)
    fields = runner.invoke(app, ["train", "rl", "--help-config"])
    assert fields.exit_code == 0 and "revise_attempts" in fields.output and "gspo" in fields.output
    assert "top_entropy_quantile" in fields.output  # the TRL fields a recipe may set are listed too
    fields = runner.invoke(app, ["train", "sft", "--help-config"])
    assert fields.exit_code == 0 and "num_train_epochs" in fields.output


@pytest.mark.parametrize(("line", "says"), [
    ("max_steps: 2.5", "max_steps must be a whole number, got 2.5"),
    ("behaviors: \"no\"", "behaviors must be true or false, got 'no'"),
    ("report_to: 5", "report_to must be text or a list or null, got 5"),
    ("lora: {r: two}", "lora: r must be a whole number, got 'two'"),
    ("task_args: {max_numbers: abc}", "max_numbers must be a whole number, got 'abc'"),
    ("save_steps: 3", r"save_steps is set twice \(first on line 3\)"),
])
def test_recipe_values_of_the_wrong_type_name_the_file_line_and_field(tmp_path, line, says):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"stage: rl\nmodel: Qwen/Qwen2.5-3B\nsave_steps: 2\n{line}\n")
    with pytest.raises(ValueError, match=rf"r\.yaml:4: .*{says}"):
        load_config(recipe)


def test_yaml_exponents_without_a_dot_are_numbers_and_whole_floats_are_ints(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stage: rl\nmodel: Qwen/Qwen2.5-3B\nlearning_rate: 1e-5\nper_device_train_batch_size: 8.0\n")
    config = load_config(recipe, {"beta": "2e-3"})
    assert config.args.learning_rate == 1e-5 and config.args.beta == 0.002
    assert config.args.per_device_train_batch_size == 8 and isinstance(config.args.per_device_train_batch_size, int)


def test_a_model_directory_transformers_could_not_load_is_refused_before_loading(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "qwen2", "hidden')
    check = lambda: load_config(None, {"model": str(model)}, stage="rl").check_inputs()  # noqa: E731
    with pytest.raises(ValueError, match="config.json that is not valid JSON"):
        check()
    (model / "config.json").write_text('{"model_type": "qwen2"}')
    with pytest.raises(ValueError, match="has no weights"):
        check()
    (model / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"w\": {\"data_offs")
    with pytest.raises(ValueError, match="damaged weights file"):
        check()
