"""`habits export verl`: parquet veRL reads, and a reward module called exactly as veRL's reward managers call it.

veRL itself (Ray, vLLM, transformers<5.11) is not installed by the dev extras; these tests load the
generated module the way ``verl.utils.import_utils.load_module`` does (a file path, a private module
name) and call ``compute_score`` with the keyword arguments of its naive, batch and reward-loop managers.
"""

import importlib.util
import json
import subprocess
import sys

import datasets
import pyarrow.parquet as pq
import pytest

from habits.export.verl import VerlExportConfig, main
from habits.tasks import TASKS, get_task, task_names
from habits.tasks.perturb import perturbations

BUILTIN = [name for name in task_names() if TASKS.get(name).procedural]  # reasoning_gym: test_reasoning_gym_bridge


def load_reward_module(path):
    """As veRL's load_module: spec_from_file_location under a name derived from the path."""
    spec = importlib.util.spec_from_file_location(f"custom_module_{hash(str(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export(tmp_path, task, **kwargs):
    settings = {"split": "test", "n": 12, "progress": False, **kwargs}
    return main(VerlExportConfig(task=task, out=tmp_path, **settings))


@pytest.mark.parametrize("name", BUILTIN)
def test_every_task_exports_rows_in_verls_rl_schema_readable_by_pyarrow_and_datasets(tmp_path, name):
    summary = export(tmp_path, name)
    rows = pq.read_table(summary["parquet"]).to_pylist()
    loaded = datasets.Dataset.from_parquet(summary["parquet"])
    assert len(rows) == len(loaded) == 12
    assert set(loaded.column_names) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    task = get_task(name)
    for index, (row, problem) in enumerate(zip(rows, task.generate(12, split="test", seed=0), strict=True)):
        assert row["data_source"] == f"habits/{name}"
        assert row["prompt"][-1]["role"] == "user" and all(set(m) == {"role", "content"} for m in row["prompt"])
        assert row["reward_model"]["style"] == "rule"
        assert json.loads(row["reward_model"]["ground_truth"]) == problem
        assert row["extra_info"]["index"] == index and row["extra_info"]["split"] == "test"
        assert json.loads(row["extra_info"]["problem"]) == problem


@pytest.mark.parametrize("name", BUILTIN)
def test_compute_score_called_like_verls_naive_manager_gives_each_verdict_its_schemes_reward(tmp_path, name):
    summary = export(tmp_path, name)
    module = load_reward_module(summary["reward_module"])
    task = get_task(name)
    scheme = task.reward_table()  # the task's own table (navigation has its own rewards)
    for row in pq.read_table(summary["parquet"]).to_pylist():
        problem = json.loads(row["reward_model"]["ground_truth"])
        extra_info = dict(row["extra_info"], num_turns=None, rollout_reward_scores={})  # what the manager adds
        right = "Let me think.\n" + task.format_answer(problem, task.solve(problem)[0])
        score = module.compute_score(data_source=row["data_source"], solution_str=right,
                                     ground_truth=row["reward_model"]["ground_truth"], extra_info=extra_info)
        assert score["score"] == scheme["correct"] and score["acc"] == 1.0 and score["reason"] == "correct"
        for reason, wrong in perturbations(task, problem, task.solve(problem)[0]):
            score = module.compute_score(data_source=row["data_source"], solution_str=wrong,
                                         ground_truth=row["reward_model"]["ground_truth"], extra_info=extra_info)
            assert (score["score"], score["acc"], score["reason"]) == (scheme[reason], 0.0, reason), wrong


def test_batch_manager_call_with_plural_keywords_matches_per_item_scores(tmp_path):
    summary = export(tmp_path, "countdown")
    module = load_reward_module(summary["reward_module"])
    rows = pq.read_table(summary["parquet"]).to_pylist()
    task = get_task("countdown")
    texts = [task.format_answer(json.loads(r["reward_model"]["ground_truth"]),
                                task.solve(json.loads(r["reward_model"]["ground_truth"]))[0]) if i % 2 else "no idea"
             for i, r in enumerate(rows)]
    batch = module.compute_score_batch(data_sources=[r["data_source"] for r in rows], solution_strs=texts,
                                       ground_truths=[r["reward_model"]["ground_truth"] for r in rows],
                                       extra_infos=[r["extra_info"] for r in rows], return_dict=False)
    single = [module.compute_score(data_source=r["data_source"], solution_str=t,
                                   ground_truth=r["reward_model"]["ground_truth"], return_dict=False)
              for r, t in zip(rows, texts, strict=True)]
    assert batch == single == [1.0 if i % 2 else 0.0 for i in range(len(rows))]


def test_reward_loop_keywords_are_accepted_and_dict_scores_carry_the_same_keys_every_time(tmp_path):
    summary = export(tmp_path, "countdown")
    module = load_reward_module(summary["reward_module"])
    row = pq.read_table(summary["parquet"]).to_pylist()[0]
    results = [module.compute_score(data_source=row["data_source"], solution_str=text,
                                    ground_truth=row["reward_model"]["ground_truth"], extra_info=row["extra_info"],
                                    reward_router_address=None, reward_model_tokenizer=None)
               for text in ("", "<answer>1+1</answer>", "Check: 31 - 9 = 22. Correct. <answer>(</answer>")]
    keys = {"score", "acc", "reason", "pred", "verification", "backtracking", "subgoal_setting", "backward_chaining"}
    assert all(set(r) == keys for r in results)
    assert results[2]["verification"] >= 1 and results[2]["reason"] == "malformed"
    assert [r["score"] for r in results] == [0.0, 0.1, 0.1]  # tinyzero: no answer, answered wrong, answered malformed


def test_unknown_data_source_is_an_error_naming_the_known_ones(tmp_path):
    module = load_reward_module(export(tmp_path, "countdown")["reward_module"])
    with pytest.raises(ValueError, match="habits/countdown"):
        module.compute_score(data_source="openai/gsm8k", solution_str="x", ground_truth="{}")


def test_exports_into_one_directory_share_one_reward_module_and_conflicting_settings_are_refused(tmp_path):
    export(tmp_path, "countdown")
    export(tmp_path, "general_points", split="ood")
    module = load_reward_module(tmp_path / "habits_reward.py")
    assert set(module.SOURCES) == {"habits/countdown", "habits/general_points"}
    with pytest.raises(ValueError, match="--data-source"):
        export(tmp_path, "countdown", task_args={"reward": "binary"})
    export(tmp_path, "countdown", task_args={"reward": "binary"}, data_source="habits/countdown-binary")
    module = load_reward_module(tmp_path / "habits_reward.py")
    problem = get_task("countdown").generate(1, split="test")[0]
    scores = [module.compute_score(data_source=s, solution_str="<answer>(</answer>", ground_truth=json.dumps(problem),
                                   return_dict=False) for s in ("habits/countdown", "habits/countdown-binary")]
    assert scores == [0.1, 0.0]  # tinyzero vs binary for an answered, malformed attempt


def test_sft_export_writes_priming_rows_for_verls_sft_datasets(tmp_path):
    summary = export(tmp_path, "countdown", format="sft", split="train", n=4, condition="backtracking")
    rows = pq.read_table(summary["parquet"]).to_pylist()
    assert len(rows) == 4 and datasets.Dataset.from_parquet(summary["parquet"]).num_rows == 4
    for row in rows:
        assert [m["role"] for m in row["messages"]][-2:] == ["user", "assistant"]
        assert row["messages"][-1]["content"] == row["response"] and row["prompt"] == row["messages"][-2]["content"]
        assert row["extra_info"]["condition"] == "backtracking"
        assert row["extra_info"]["correct"] == get_task("countdown").verify(
            json.loads(row["extra_info"]["problem"]), row["response"]).correct


def test_cli_export_verl_writes_the_parquet_and_the_reward_module(tmp_path):
    result = subprocess.run([sys.executable, "-m", "habits", "export", "verl", "--task", "countdown", "--split", "test",
                             "--n", "50", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert pq.read_table(tmp_path / "countdown_test.parquet").num_rows == 50
    assert (tmp_path / "habits_reward.py").is_file() and "compute_score" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "habits", "export", "verl", "--task", "countdown",
                          "--out", str(tmp_path), "--format", "csv"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "format must be one of rl, sft" in bad.stderr


def test_export_commands_have_help():
    for args in (["export"], ["export", "verl"], ["export", "verifiers"]):
        result = subprocess.run([sys.executable, "-m", "habits", *args, "--help"], capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0 and "Usage" in result.stdout
