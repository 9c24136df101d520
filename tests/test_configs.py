"""Every recipe under configs/ loads and validates; the GPU recipes carry the papers' settings."""

from pathlib import Path

import pytest
import yaml

from habits.configs import build, read_yaml
from habits.train.config import config_classes, load_config, stage_of

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
RECIPES = sorted(p for p in CONFIGS.rglob("*.yaml") if "accelerate" not in p.relative_to(CONFIGS).parts)


def stages():
    """(path, stage) for recipes this package runs; files of other stages (e.g. a pipeline demo) are skipped."""
    out = []
    for path in RECIPES:
        stage = stage_of(path, read_yaml(path))
        if stage in config_classes():
            out.append((path, stage))
    return out


@pytest.mark.parametrize(("path", "stage"), stages(), ids=lambda v: str(v.relative_to(CONFIGS)) if isinstance(v, Path) else v)
def test_recipe_loads_and_validates(path, stage):
    config = load_config(path)
    assert config.stage == stage


def test_every_stage_directory_has_recipes_and_all_of_them_are_validated():
    validated = {path for path, _ in stages()}
    for folder in ("sft", "rl", "eval"):
        files = set((CONFIGS / folder).glob("*.yaml"))
        assert files and files <= validated, folder


@pytest.mark.parametrize("path", sorted((CONFIGS / "accelerate").glob("*.yaml")), ids=lambda p: p.name)
def test_accelerate_configs_are_multi_gpu_launch_files(path):
    data = yaml.safe_load(path.read_text())
    assert data["distributed_type"] in ("MULTI_GPU", "DEEPSPEED") and data["num_processes"] > 1
    if data["distributed_type"] == "DEEPSPEED":
        assert data["deepspeed_config"]["zero_stage"] in (2, 3)


@pytest.mark.parametrize("name", ["qwen2.5-3b-countdown", "llama-3.2-3b-countdown"])
def test_countdown_rl_recipes_follow_the_first_paper(name):
    args = load_config(CONFIGS / "rl" / f"{name}.yaml").args
    assert (args.learning_rate, args.beta, args.num_generations, args.temperature,
            args.max_completion_length) == (1e-6, 0.001, 4, 1.0, 1024)
    completions = args.per_device_train_batch_size * 8 * args.gradient_accumulation_steps  # 8 GPUs
    assert completions % args.num_generations == 0 and completions // args.num_generations == 256  # prompts/step


@pytest.mark.parametrize("name", ["qwen2.5-3b", "llama-3.2-3b"])
def test_sft_recipes_follow_the_first_paper(name):
    args = load_config(CONFIGS / "sft" / f"{name}.yaml").args
    assert (args.num_train_epochs, args.learning_rate, args.lr_scheduler_type) == (5, 1e-5, "cosine")
    assert args.warmup_steps > 0


def test_every_recipe_belongs_to_a_known_stage_and_pipeline_and_pretrain_recipes_validate():
    from habits.models.pretrain import PretrainConfig
    from habits.pipeline_config import load_pipeline

    for path in RECIPES:
        data = read_yaml(path)
        stage = stage_of(path, data)
        assert stage in {"sft", "rl", "eval", "pretrain", "pipeline"}, path
        if stage == "pipeline":
            assert load_pipeline(path).arms
        elif stage == "pretrain":
            build(PretrainConfig, {k: v for k, v in data.items() if k != "stage"}, str(path))


def test_demo_base_model_ships_with_the_repository():
    from habits.pipeline_config import load_pipeline

    demo = load_pipeline(CONFIGS / "demo.yaml")
    for base in demo.bases.values():
        if base.model is not None:
            assert (CONFIGS.parent / base.model / "config.json").is_file()
