"""Run configs are validated before any heavy work, with messages that say what to change."""

import pytest

from habits.train.config import RLConfig, SFTConfig, apply_overrides, load_config


def rl(**values):
    return load_config(None, {"model": "Qwen/Qwen2.5-3B", **values}, stage="rl")


def test_unknown_task_is_rejected_with_the_registered_names():
    with pytest.raises(ValueError, match="unknown task 'countdwn'.*countdown"):
        rl(task="countdwn")


def test_unknown_field_suggests_the_closest_known_one():
    with pytest.raises(ValueError, match="did you mean 'num_generations'"):
        rl(num_generation=4)


def test_batch_that_grpo_cannot_split_into_groups_says_what_to_set():
    with pytest.raises(ValueError, match="per_device_train_batch_size to a multiple of 4"):
        rl(per_device_train_batch_size=6, num_generations=4)
    with pytest.raises(ValueError, match="num_generations must be >= 2"):
        rl(num_generations=1)


def test_batch_check_counts_processes_and_accumulation(monkeypatch):
    rl(per_device_train_batch_size=2, num_generations=4, gradient_accumulation_steps=2)  # 2 x 1 x 2 = one group
    with pytest.raises(ValueError, match="2 x 1 process"):
        rl(per_device_train_batch_size=2, num_generations=4)
    monkeypatch.setenv("WORLD_SIZE", "2")  # what accelerate/torchrun set: 2 x 2 processes = one group
    rl(per_device_train_batch_size=2, num_generations=4)


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
    assert (config.num_train_epochs, config.learning_rate, config.lr_scheduler_type) == (5.0, 1e-5, "cosine")
    assert config.warmup_ratio > 0 and config.completion_only_loss


def test_rl_defaults_follow_the_first_paper():
    config = rl()
    assert isinstance(config, RLConfig)
    assert (config.learning_rate, config.beta, config.num_generations, config.temperature,
            config.max_completion_length) == (1e-6, 0.001, 4, 1.0, 1024)


def test_yaml_recipe_with_dotted_overrides(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stage: rl\nmodel: Qwen/Qwen2.5-3B\ntask_args: {max_numbers: 4}\nlora: {enabled: true}\n")
    config = load_config(recipe, {"task_args.max_numbers": 3, "lora.r": 8, "beta": 0.0})
    assert config.task_args == {"max_numbers": 3} and config.lora.r == 8 and config.lora.enabled
    assert config.beta == 0.0


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
    out = apply_overrides(values, {"lora.r": 8, "trl.warmup_steps": 2})
    assert values == {"lora": {"r": 4}} and out == {"lora": {"r": 8}, "trl": {"warmup_steps": 2}}


def test_train_cli_checks_a_recipe_without_training_and_lists_fields():
    from typer.testing import CliRunner

    from habits.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["train", "rl", "--set", "model=Qwen/Qwen2.5-3B", "--set", "task_args.max_numbers=3",
                             "--check"])
    assert ok.exit_code == 0 and "config OK" in ok.output, ok.output
    bad = runner.invoke(app, ["train", "rl", "--set", "model=Qwen/Qwen2.5-3B",
                              "--set", "per_device_train_batch_size=6", "--check"])
    assert isinstance(bad.exception, ValueError) and "multiple of 4" in str(bad.exception)
    fields = runner.invoke(app, ["train", "sft", "--help-config"])
    assert fields.exit_code == 0 and "num_train_epochs" in fields.output


@pytest.mark.parametrize(("line", "says"), [
    ("max_steps: 2.5", "max_steps must be a whole number, got 2.5"),
    ("behaviors: \"no\"", "behaviors must be true or false, got 'no'"),
    ("report_to: 5", "report_to must be a list, got 5"),
    ("lora: {r: two}", "lora.r must be a whole number, got 'two'"),
    ("task_args: {max_numbers: abc}", "max_numbers must be a whole number, got 'abc'"),
    ("save_steps: 3", r"key 'save_steps' given twice \(first on line 3\)"),
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
    assert config.learning_rate == 1e-5 and config.beta == 0.002
    assert config.per_device_train_batch_size == 8 and isinstance(config.per_device_train_batch_size, int)


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
