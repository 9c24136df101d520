"""The stage registry: recipes, the CLI and the pipeline find every stage in one place."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from habits.stages import STAGES, StageSpec, get_stage, stage_names
from habits.train.config import load_config

SRC = Path(__file__).resolve().parent.parent / "src" / "habits"
CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@dataclass
class ToyConfig:
    greeting: str = "hello"
    stage: str = "toy"


def toy_main(config: ToyConfig) -> dict:
    return {"said": config.greeting}


def test_every_registered_stage_has_a_config_that_names_it_and_a_callable_main():
    assert {"pretrain", "sft", "rl", "eval"} <= set(stage_names())
    for name in stage_names():
        stage = get_stage(name)
        assert stage.config_class().__dataclass_fields__["stage"].default == name
        assert callable(stage.entry()) and stage.command.split()[-1] == name


def test_an_unknown_stage_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown stage 'ppo'; choose one of: eval, pretrain, rl, sft"):
        get_stage("ppo")


def test_a_recipe_of_another_stage_is_refused_naming_the_command_that_runs_it():
    with pytest.raises(ValueError, match=r"is a 'rl' recipe, not 'pretrain'; use `habits train rl`"):
        load_config(CONFIGS / "rl" / "tiny.yaml", stage="pretrain")


def test_a_pretraining_recipe_is_recognised_by_its_folder():
    config = load_config(CONFIGS / "pretrain" / "tiny-countdown.yaml")
    assert type(config).__name__ == "PretrainConfig" and config.stage == "pretrain"


def test_a_new_stage_is_one_registry_entry_away_from_recipes(tmp_path, monkeypatch):
    toy = StageSpec("toy", f"{__name__}:ToyConfig", f"{__name__}:toy_main", "toy")
    monkeypatch.setitem(STAGES._items, "toy", toy)
    recipe = tmp_path / "toy.yaml"
    recipe.write_text("stage: toy\ngreeting: hi\n")
    config = load_config(recipe)
    assert get_stage("toy").run(config) == {"said": "hi"}


def test_no_module_dispatches_on_a_stage_name():
    names = "|".join(stage_names())
    compared = re.compile(rf"""(==|!=)\s*["']({names})["']|["']({names})["']\s*(==|!=)""")
    offenders = [f"{path.relative_to(SRC)}:{number}" for path in SRC.rglob("*.py")
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 if compared.search(line)]
    assert not offenders, "compare stage names through habits.stages instead: " + ", ".join(offenders)
