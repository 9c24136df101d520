"""The config machinery: errors name the file and the line the YAML parser saw the key on (or the
``--set`` that gave it), nested sections are built and located the same way, and nothing is guessed
from the text."""

from dataclasses import dataclass

import pytest

from habits.configs import ConfigError, Where, build, described, load_recipe, parse_overrides
from habits.train.config import load_config


@dataclass
class Inner:
    size: int = described("A size.", 1)

    def __post_init__(self):
        if self.size < 1:
            raise ConfigError(f"size must be >= 1, got {self.size}", "size")


@dataclass
class Outer:
    name: str = described("A name.", "x")
    inner: Inner = described("Nested settings.", factory=Inner)
    maybe: Inner | None = described("Optional nested settings.", None)


def write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    recipe = load_recipe(path)
    return recipe.values, Where(label=str(path), source=recipe.source)


def test_a_value_error_names_the_line_of_its_own_field_even_inside_a_nested_section(tmp_path):
    values, where = write(tmp_path, "name: a\ninner:\n  # size: 3 was fine\n  size: 0\n")
    with pytest.raises(ConfigError, match=r"r\.yaml:4: inner: size must be >= 1"):
        build(Outer, values, where)


def test_unknown_nested_key_names_its_line_and_the_closest_field(tmp_path):
    values, where = write(tmp_path, "name: a\nmaybe: {sise: 2}\n")
    with pytest.raises(ConfigError, match=r"r\.yaml:2: maybe: unknown field 'sise' \(did you mean 'size'\?\)"):
        build(Outer, values, where)
    assert build(Outer, {"maybe": {"size": 2}}).maybe == Inner(2)


def test_a_key_mentioned_earlier_in_a_comment_or_a_value_does_not_move_the_line(tmp_path):
    text = "stage: rl\n# epsilon_hihg: this line is only a comment\nrun_name: epsilon_hihg\nepsilon_hihg: 0.2\n"
    path = tmp_path / "rl.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"rl\.yaml:4: unknown field 'epsilon_hihg'"):
        load_config(path)


def test_a_key_set_twice_is_refused_with_both_lines(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("stage: rl\nbeta: 0.0\nseed: 1\nbeta: 0.1\n")
    with pytest.raises(ConfigError, match=r"r\.yaml:4: beta is set twice \(first on line 2\)"):
        load_recipe(path)


def test_an_override_is_named_as_the_set_that_gave_it(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("stage: rl\nbeta: 0.0\n")
    with pytest.raises(ValueError, match=r"--set lora\.r: lora\.r must be >= 1"):
        load_config(path, parse_overrides(["lora.r=0"]))


def test_pipeline_errors_point_at_the_arm_that_overrides_a_shared_section(tmp_path):
    from habits.pipeline_config import load_pipeline

    recipe = tmp_path / "p.yaml"
    recipe.write_text(
        "stage: pipeline\nname: p\ntask: countdown\n"
        "bases: {base: {model: models/tiny-countdown}}\n"
        "rl: {max_steps: 2, num_generations: 2, per_device_train_batch_size: 4}\n"
        "arms:\n"
        "  a: {}\n"
        "  b:\n"
        "    rl: {loss_typ: dapo}\n")
    with pytest.raises(ValueError, match=r"p\.yaml:9: arm b: rl: unknown field 'loss_typ' \(did you mean 'loss_type'\?\)"):
        load_pipeline(recipe)
