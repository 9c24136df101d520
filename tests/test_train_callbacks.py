"""Trainer callbacks in isolation: periodic evaluation leaves the rollout RNG alone, metrics.jsonl on resume."""

import json
from types import SimpleNamespace

import pytest
import torch
from accelerate import Accelerator
from transformers import AutoModelForCausalLM, Qwen2Config, TrainerControl, TrainerState

from habits.train.callbacks import MetricsJsonl, PeriodicEval


def tiny_model():
    config = Qwen2Config(vocab_size=16, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=16)
    return AutoModelForCausalLM.from_config(config)


def test_periodic_eval_does_not_reset_the_random_stream_of_the_rollouts():
    queued = {}
    trainer = SimpleNamespace(model_wrapped=tiny_model(), accelerator=Accelerator(cpu=True), processing_class=None,
                              queue_logs=queued.update)

    def evaluate_fn(model, tokenizer):
        torch.manual_seed(0)  # what seeded sampling inside the evaluation does
        return {"eval_test/accuracy": 0.5}

    callback = PeriodicEval(trainer, every=1, evaluate_fn=evaluate_fn)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    control = callback.on_step_end(None, SimpleNamespace(global_step=1), TrainerControl())
    assert torch.equal(torch.rand(3), expected)
    assert queued == {"eval_test/accuracy": 0.5} and control.should_log


@pytest.mark.parametrize("at_start", [True, False])
def test_step_zero_evaluation_runs_only_when_asked_and_only_on_a_fresh_run(at_start):
    logged = []
    trainer = SimpleNamespace(model_wrapped=tiny_model(), accelerator=Accelerator(cpu=True),
                              processing_class=None, queue_logs={}.update, log=logged.append)
    callback = PeriodicEval(trainer, every=10, at_start=at_start,
                            evaluate_fn=lambda model, tokenizer: {"eval_test/accuracy": 0.0})
    callback.on_train_begin(None, SimpleNamespace(global_step=0), TrainerControl())
    callback.on_train_begin(None, SimpleNamespace(global_step=20), TrainerControl())  # a resumed run
    assert logged == ([{"eval_test/accuracy": 0.0}] if at_start else [])


def test_metrics_file_drops_lines_past_the_checkpoint_when_a_run_resumes(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "loss": 1.0}) + "\n" for s in (1, 2, 3)) + '{"step": 4, "lo')
    state = TrainerState()
    state.global_step = 2
    callback = MetricsJsonl(path)
    callback.on_train_begin(None, state, TrainerControl())
    callback.on_log(None, SimpleNamespace(global_step=3, is_world_process_zero=True), TrainerControl(),
                    logs={"loss": float("nan"), "reward": torch.tensor(0.5)})
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert rows[-1] == {"step": 3, "loss": None, "reward": 0.5}  # NaN is not JSON; tensors become numbers


def test_solve_rates_travel_with_the_checkpoint_a_run_resumes_from(tmp_path):
    from habits.train.callbacks import SolveRatesCheckpoint
    from habits.train.sampling import SolveRates

    (tmp_path / "checkpoint-4").mkdir()
    rates = SolveRates()
    rates.observe(["p1", "p1", "p2"], [True, False, False])
    state = SimpleNamespace(is_world_process_zero=True, global_step=4)
    SolveRatesCheckpoint(rates, None).on_save(SimpleNamespace(output_dir=str(tmp_path)), state, TrainerControl())
    resumed = SolveRates()
    SolveRatesCheckpoint(resumed, str(tmp_path / "checkpoint-4")).on_train_begin(None, state, TrainerControl())
    assert resumed.to_dict() == rates.to_dict()
    fresh = SolveRates()
    SolveRatesCheckpoint(fresh, None).on_train_begin(None, state, TrainerControl())
    assert fresh.attempts == {}


def test_metrics_file_keeps_step_lines_that_carry_runtime_and_drops_only_the_final_totals(tmp_path):
    path = tmp_path / "metrics.jsonl"
    callback = MetricsJsonl(path)
    state = SimpleNamespace(global_step=1, is_world_process_zero=True)
    callback.on_log(None, state, TrainerControl(), logs={"loss": 1.0, "train_runtime": 3.0})  # a counting run's step
    callback.on_log(None, state, TrainerControl(), logs={"train_loss": 1.0, "train_runtime": 4.0})  # the totals
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        {"step": 1, "loss": 1.0, "train_runtime": 3.0}]
