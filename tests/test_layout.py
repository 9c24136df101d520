"""The run-directory layout: the pipeline writes, and the summary and report read, the same paths."""

import json
import textwrap

import pytest

from habits.layout import RunLayout
from habits.pipeline import plan
from habits.pipeline_config import load_pipeline
from habits.summary import summarize

RECIPE = textwrap.dedent("""\
    stage: pipeline
    name: planned
    output_root: {root}
    task: countdown
    task_args: {{min_numbers: 3, max_numbers: 3, number_range: [1, 9], target_range: [10, 20]}}
    seeds: [0, 1]
    bases:
      shipped: {{model: {root}/some-model}}
    eval: {{n: 2, splits: [test]}}
    arms:
      plain: {{base: shipped}}
      primed: {{base: shipped, condition: all}}
    """)


@pytest.fixture
def config(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.format(root=tmp_path))
    return load_pipeline(recipe)


def test_the_layout_names_each_chain_by_its_folder_under_the_run():
    layout = RunLayout("runs/demo")
    assert layout.chain(layout.arm_chain("all", 2)) == layout.arm("all", 2)
    assert layout.chain(layout.base_chain("llama")) == layout.base("llama")
    assert str(layout.evaluation("all", 2, "after")) == "runs/demo/arms/all/seed2/eval_after.json"
    with pytest.raises(ValueError, match="before.*after"):
        layout.evaluation("all", 2, "during")


def test_every_planned_output_lies_in_its_own_chain_folder(config):
    layout = config.layout
    stages = plan(config)
    assert {stage.chain for stage in stages} == {"bases/shipped", *(f"arms/{arm}/seed{seed}" for arm in
                                                                    ("plain", "primed") for seed in (0, 1))}
    for stage in stages:
        assert layout.chain(stage.chain) in stage.output.parents, (stage.label, stage.output)
        assert stage.after in (None, "bases/shipped")


def test_each_arm_trains_its_own_stages_from_the_previous_stages_model(config):
    layout = config.layout
    primed = config.stage_configs("primed", 1, model=str(layout.stage_model("primed", 1, "sft")))
    assert config.arms["primed"].stages == ["sft", "rl"] and config.arms["plain"].stages == ["rl"]
    assert primed["sft"].data == str(layout.priming("primed", 1))
    assert primed["rl"].output_dir == str(layout.stage("primed", 1, "rl"))
    assert "sft" not in config.stage_configs("plain", 0, model="<model>")


def test_the_summary_reads_the_evaluations_where_the_pipeline_writes_them(config):
    layout = config.layout
    for stage in plan(config):
        if stage.output.name.startswith("eval"):
            stage.output.parent.mkdir(parents=True, exist_ok=True)
            accuracy = 0.75 if stage.output.name == "eval_after.json" else 0.25
            stage.output.write_text(json.dumps({"splits": {"test": {"accuracy": accuracy, "n": 2}}}))
    summary = summarize(config)
    assert json.loads(layout.summary.read_text()) == json.loads(json.dumps(summary))
    for arm in ("plain", "primed"):
        assert summary["arms"][arm]["accuracy"]["after"]["test"]["mean"] == 0.75
        assert summary["arms"][arm]["gain"]["test"] == pytest.approx(0.5)
    assert summary["arms"]["primed"]["stages"] == ["sft", "rl"]
    assert summary["bases"]["shipped"]["accuracy"]["test"] == 0.25
