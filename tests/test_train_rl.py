"""GRPO on tiny Qwen2 and Llama models built in the test: weights move, the paper's metrics land in
metrics.jsonl every step, rewards see the right columns, verify-and-revise plugs in, resume works."""

import json
import os
import signal

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

from habits.models.tiny import TinyModelConfig, build_tiny_model
from habits.tasks import get_task
from habits.tasks.base import as_problem
from habits.train.config import load_config
from habits.train.rl import main

pytestmark = pytest.mark.slow

PAPER_FIELDS = {"reward", "reward_std", "accuracy", "format_error", "completions/mean_length",
                "completions/clipped_ratio", "frac_reward_zero_std", "behaviors/verification",
                "behaviors/backtracking", "behaviors/subgoal_setting", "behaviors/backward_chaining"}


@pytest.fixture(scope="module", autouse=True)
def one_thread(one_torch_thread_per_module):
    """Every test here, and the module fixtures that build models, on one torch thread."""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    corpus = []
    for style in ("base", "chat"):
        task = get_task("countdown", prompt_style=style)
        for problem in task.generate(12, split="train", seed=1):
            prompt = task.prompt(problem)
            corpus.append(prompt if isinstance(prompt, str) else prompt[-1]["content"])
            corpus.append(task.format_answer(problem, task.solve(problem)[0]))
    return {arch: build_tiny_model(root / arch, TinyModelConfig(arch=arch, num_layers=2), texts=corpus)
            for arch in ("qwen2", "llama")}


class Spy:
    """A reward with spread (so GRPO has a signal on a random model) that records what TRL passes."""

    __name__ = "spy_length"

    def __init__(self):
        self.calls = []

    def __call__(self, completions, **columns):
        self.calls.append({"completions": completions, **columns})
        return [len(str(c)) / 100 for c in completions]


def rl_config(model, out, **extra):
    values = {"model": str(model), "output_dir": str(out), "max_steps": 2, "save_steps": 2,
              "per_device_train_batch_size": 4, "num_generations": 2, "learning_rate": 1e-3,
              "max_completion_length": 12, "train_size": 16, "eval_every": 2, "eval_n": 2,
              "eval_max_new_tokens": 8, "report_to": []}
    values.update(extra)
    return load_config(None, values, stage="rl")


@pytest.mark.parametrize(("arch", "style"), [("qwen2", "base"), ("llama", "chat")])
def test_grpo_steps_change_weights_and_log_the_paper_metrics_every_step(models, tmp_path, arch, style):
    spy = Spy()
    config = rl_config(models[arch], tmp_path / "run", task_args={"prompt_style": style}, extra_rewards=[spy],
                       report_to=["tensorboard"])
    summary = main(config)
    assert summary["status"] == "completed" and summary["global_step"] == 2
    before = load_file(str(models[arch] / "model.safetensors"))
    after = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    assert any(not torch.equal(before[name], after[name]) for name in before if name in after)
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 1, 2]
    for line in lines[1:]:
        assert PAPER_FIELDS <= set(line), PAPER_FIELDS - set(line)
    # Greedy ID/OOD evaluation before training (step 0) and every eval_every steps.
    for line in (lines[0], lines[2]):
        assert {"eval_test/accuracy", "eval_ood/accuracy", "eval_test/format_error"} <= set(line)
    assert any((tmp_path / "run" / "runs").rglob("events.out.tfevents*"))  # TensorBoard got the same logs
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "completed"


def test_reward_functions_receive_completions_prompts_and_the_problem_column(models, tmp_path):
    spy = Spy()
    main(rl_config(models["qwen2"], tmp_path / "run", max_steps=1, eval_every=0, extra_rewards=[spy]))
    call = spy.calls[0]
    assert {"prompts", "completions", "completion_ids", "problem", "trainer_state"} <= set(call)
    task = get_task("countdown")
    assert len(call["completions"]) == len(call["prompts"]) == len(call["problem"]) == 4
    for prompt, problem in zip(call["prompts"], call["problem"]):
        assert prompt == task.prompt(as_problem(problem))  # each completion is scored against its own problem
    assert call["problem"][0] == call["problem"][1]  # num_generations=2 completions per prompt form a group


def test_verify_and_revise_rollout_runs_inside_grpo_and_logs_attempts(models, tmp_path):
    spy = Spy()
    config = rl_config(models["llama"], tmp_path / "run", max_steps=1, eval_every=0, revise_attempts=2,
                       task_args={"prompt_style": "chat"}, extra_rewards=[spy])
    summary = main(config)
    assert summary["status"] == "completed"
    call = spy.calls[0]
    # A random model is always wrong, so every rollout used both attempts and saw the verifier's feedback.
    assert call["attempts"] == [2, 2, 2, 2]
    assert all("Please try again" in str(c) for c in call["completions"])
    assert all("Please try again" not in text for text in call["final_attempt"])
    line = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    assert line["revise/attempts"] == 2.0


class InterruptAt(TrainerCallback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def test_rl_interrupted_run_resumes_from_its_checkpoint_with_the_same_config(models, tmp_path):
    def config():
        return rl_config(models["qwen2"], tmp_path / "run", max_steps=3, save_steps=100, eval_every=0)

    first = main(config(), callbacks=[InterruptAt(1)])
    assert first["status"] == "interrupted" and first["global_step"] < 3
    second = main(config())
    assert second["resumed_from"] == first["checkpoint"]
    assert second["status"] == "completed" and second["global_step"] == 3
    steps = [json.loads(line)["step"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]


def scripted_verdicts(monkeypatch, rule):
    """Replace the verdicts the group filter reads (not the reward) by ``rule(problem, index in batch)``.

    A random tiny model is never right, so without this every group would lack a right answer."""
    from habits.train.rewards import OutcomeReward

    original = OutcomeReward.__call__

    def call(self, completions, problem, **columns):
        rewards = original(self, completions, problem=problem, **columns)
        self.last_correct = [rule(as_problem(p), i) for i, p in enumerate(problem)]
        return rewards

    monkeypatch.setattr(OutcomeReward, "__call__", call)


def odd_targets_half_right(problem, index):
    """Groups for odd targets hold a right and a wrong answer; groups for even targets are all right."""
    return index % 2 == 0 if problem["target"] % 2 else True


@pytest.mark.parametrize("preset", ["dapo", "dr_grpo", "gspo"])
def test_each_preset_trains_two_steps_with_a_finite_loss_and_a_gradient(models, tmp_path, monkeypatch, preset):
    scripted_verdicts(monkeypatch, odd_targets_half_right)  # dapo filters groups on them
    summary = main(rl_config(models["qwen2"], tmp_path / "run", preset=preset, eval_every=0,
                             extra_rewards=[Spy()]))
    assert summary["status"] == "completed" and summary["global_step"] == 2
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2]
    for line in lines:
        assert line["loss"] is not None and line["grad_norm"] is not None  # metrics.jsonl writes NaN/inf as null
    assert PAPER_FIELDS <= set(lines[0])  # gspo generates once for 4 steps, so only then are rollouts measured
    # A random model rarely ends before max_completion_length, and DAPO leaves truncated completions out of
    # the loss, so a step may have nothing to learn from; across the two steps the weights must move.
    assert max(line["grad_norm"] for line in lines) > 0
    if preset == "dapo":
        assert all(line["sampling/filler_groups"] == 0 for line in lines)


def test_groups_whose_answers_are_all_right_or_all_wrong_never_reach_the_loss(models, tmp_path, monkeypatch):
    from habits.train.trl_seam import HabitsGRPOTrainer

    scripted_verdicts(monkeypatch, odd_targets_half_right)
    seen = []
    original = HabitsGRPOTrainer.compute_loss

    def spy(self, model, inputs, *args, **kwargs):
        seen.append((self.processing_class, {k: inputs[k].clone() for k in ("prompt_ids", "completion_mask")}))
        return original(self, model, inputs, *args, **kwargs)

    monkeypatch.setattr(HabitsGRPOTrainer, "compute_loss", spy)
    main(rl_config(models["qwen2"], tmp_path / "run", dynamic_sampling=True, eval_every=0, train_size=12,
                   extra_rewards=[Spy()]))
    task = get_task("countdown")
    problems = [as_problem(json.loads(line)["problem"])
                for path in (tmp_path / "run").glob("problems-*.jsonl") for line in path.read_text().splitlines()]
    by_prompt = {task.prompt(p).strip(): p for p in problems}
    targets = []
    for tokenizer, batch in seen:
        for ids, mask in zip(batch["prompt_ids"], batch["completion_mask"]):
            if mask.sum() > 0:  # rows that reach the loss
                targets.append(by_prompt[tokenizer.decode(ids, skip_special_tokens=True).strip()]["target"])
    assert targets and all(target % 2 for target in targets)
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert all(0 < line["sampling/groups_with_signal"] <= 1 and line["sampling/rounds"] >= 1 for line in lines)


def test_solve_rate_curriculum_trains_and_logs_its_draws(models, tmp_path, monkeypatch):
    scripted_verdicts(monkeypatch, odd_targets_half_right)
    summary = main(rl_config(models["qwen2"], tmp_path / "run", curriculum="solve_rate", train_size=4, eval_every=0,
                             extra_rewards=[Spy()]))
    assert summary["status"] == "completed"
    line = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    assert line["sampling/rounds"] == 1 and line["sampling/filler_groups"] == 0  # no filter: one round each
