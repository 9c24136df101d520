"""Continued pretraining as a pipeline stage: the synthetic corpus, the CPT stage, a recipe comparing subsets."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from habits.behaviors import count_behaviors
from habits.curate.synthetic import SyntheticConfig, build
from habits.pipeline import base_model_dir, plan
from habits.pipeline_config import load_pipeline

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "tiny-countdown"
MICRO = textwrap.dedent("""\
    stage: pipeline
    name: micro-cpt
    output_root: {root}
    task: countdown
    task_args: {{min_numbers: 3, max_numbers: 3, number_range: [1, 9], target_range: [10, 20], template: 1}}
    seeds: [0]
    bases:
      cpt_rich:
        model: {model}
        cpt: {{keep: rich, budget_tokens: 3000, synthetic: {{documents: 80}}, max_steps_note: x}}
      cpt_minimal:
        model: {model}
        cpt: {{keep: minimal, budget_tokens: 3000, synthetic: {{documents: 80}}}}
    diagnose: {{n: 2, max_new_tokens: 8}}
    rl: {{max_steps: 1, num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 8,
          eval_every: 0, learning_rate: 1.0e-4, torch_threads: 1, save_steps: 1}}
    eval: {{n: 2, max_new_tokens: 8, torch_threads: 1}}
    arms:
      rich_then_rl: {{base: cpt_rich}}
      minimal_then_rl: {{base: cpt_minimal}}
    """)
CPT_STEPS = "sft: {max_steps: 2}, num_train_epochs: 1, per_device_train_batch_size: 8, torch_threads: 1"


def recipe(tmp_path, typo=True):
    text = MICRO.format(root=tmp_path, model=SHIPPED)
    text = text.replace(", max_steps_note: x", "" if not typo else ", max_steps_note: x")
    text = text.replace("synthetic: {documents: 80}}", "synthetic: {documents: 80}, " + CPT_STEPS + "}")
    path = tmp_path / "micro-cpt.yaml"
    path.write_text(text)
    return path


def test_synthetic_corpus_writes_rich_plain_and_fact_documents_the_classifier_tells_apart():
    rows = build(SyntheticConfig(documents=300), seed=3)
    assert rows == build(SyntheticConfig(documents=300), seed=3)
    assert {row["kind"] for row in rows} == {"rich", "plain", "facts"}
    shown = lambda row: sum(1 for n in count_behaviors(row["text"]).values() if n)
    rich = [row for row in rows if row["kind"] == "rich"]
    assert sum(shown(row) >= 2 for row in rich) / len(rich) > 0.9
    assert all(shown(row) == 0 for row in rows if row["kind"] != "rich")
    assert not any("Make " in row["text"] and "exactly once" in row["text"] for row in rows)  # never Countdown


def test_cpt_recipe_plans_continued_pretraining_before_each_bases_arms(tmp_path):
    config = load_pipeline(recipe(tmp_path, typo=False))
    labels = [stage.label for stage in plan(config)]
    for base in ("cpt_rich", "cpt_minimal"):
        cpt = labels.index(next(label for label in labels if label.startswith(f"continued pretraining of base '{base}'")))
        assert cpt < labels.index(f"diagnose base '{base}'")
        assert base_model_dir(config, base).endswith(f"bases/{base}/cpt/model")
    assert "(minimal subset)" in " ".join(labels)


def test_cpt_settings_say_what_is_wrong():
    from habits.curate.cpt import CPTConfig

    with pytest.raises(ValueError, match="replay"):
        CPTConfig(replay=-1)
    with pytest.raises(ValueError, match="cpt.keep"):
        CPTConfig(keep="all")


def test_cpt_recipe_with_an_unknown_field_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="bases.cpt_rich.cpt.*max_steps_note"):
        load_pipeline(recipe(tmp_path, typo=True))


@pytest.mark.slow
def test_cpt_stage_trains_the_base_on_the_subset_it_curated(tmp_path):
    import torch
    from safetensors.torch import load_file

    from habits.curate.cpt import CPTConfig, main

    config = CPTConfig(keep="rich", budget_tokens=3000, synthetic=SyntheticConfig(documents=80), num_train_epochs=1,
                       per_device_train_batch_size=8, torch_threads=1, sft={"max_steps": 2}, replay=5)
    summary = main(config, str(SHIPPED), tmp_path / "cpt", "countdown", {"number_range": [1, 12]})
    assert summary["status"] == "completed" and summary["stage"] == "cpt"
    assert set(summary["subset_kinds"]) == {"rich"} and 0 < summary["tokens"] <= 3000
    trained = (tmp_path / "cpt" / "train.jsonl").read_text().splitlines()
    assert len(trained) == summary["documents"] + 5  # the subset plus the replayed documents
    assert sum("exactly once" in line for line in trained) == 5  # Countdown only in the replay
    before, after = load_file(SHIPPED / "model.safetensors"), load_file(tmp_path / "cpt" / "model" / "model.safetensors")
    assert any(not torch.equal(before[name], after[name]) for name in before)
    again = main(config, str(SHIPPED), tmp_path / "cpt")  # finished: skipped
    assert again == json.loads((tmp_path / "cpt" / "summary.json").read_text())


@pytest.mark.slow
def test_cpt_comparison_recipe_runs_end_to_end_and_reports_cpt_in_each_arms_stages(tmp_path):
    path = recipe(tmp_path, typo=False)
    result = subprocess.run([sys.executable, "-m", "habits", "run", str(path)], capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run = tmp_path / "micro-cpt"
    summary = json.loads((run / "summary.json").read_text())
    for arm, keep in (("rich_then_rl", "rich"), ("minimal_then_rl", "minimal")):
        assert summary["arms"][arm]["stages"] == ["cpt", "rl"]
        base = summary["arms"][arm]["base"]
        cpt = json.loads((run / "bases" / base / "cpt" / "summary.json").read_text())
        assert cpt["keep"] == keep
    kinds = json.loads((run / "bases" / "cpt_minimal" / "cpt" / "summary.json").read_text())["subset_kinds"]
    assert "rich" not in kinds
