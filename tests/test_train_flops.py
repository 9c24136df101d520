"""FlopsCallback: the paper's FLOPs per logged step, from the token counts TRL's trainers keep."""

from types import SimpleNamespace

import pytest
from transformers import AutoModelForCausalLM, Qwen2Config, TrainerCallback, TrainerControl, TrainerState

from habits.compute import count_parameters
from habits.train.flops import FlopsCallback


def tiny_model():
    config = Qwen2Config(vocab_size=16, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=16)
    return AutoModelForCausalLM.from_config(config)


def grpo_args(**extra):
    values = {"generation_batch_size": 4, "num_generations": 4, "num_iterations": 2,
              "include_num_input_tokens_seen": "no"}
    values.update(extra)
    return SimpleNamespace(**values)


def log_step(callback, args, state, step, logs):
    """What the Trainer does at a step: step end, then (this step being a logging step) the log."""
    state.global_step = step
    callback.on_step_end(args, state, TrainerControl())
    state.log_history.append({**logs, "step": step})
    callback.on_log(args, state, TrainerControl(), logs=logs)
    return logs


def test_rl_flops_use_trained_tokens_and_the_measured_generation_factor():
    model, args, state = tiny_model(), grpo_args(), TrainerState()
    callback = FlopsCallback()  # a generating trainer, recognised by its arguments
    callback.on_train_begin(args, state, TrainerControl(), model=model)
    assert callback.generates
    n = count_parameters(model)
    state.num_input_tokens_seen = 68  # 4 rollouts of 17 tokens: 9 prompt + 8 completion
    first = log_step(callback, args, state, 1, {"completions/mean_length": 8.0, "num_tokens": 68})
    trained, buffer = 2 * 68, 4 * 9 * 8  # two passes over each rollout; E·d_i·d_o
    assert first["compute/tokens_trained"] == trained and first["compute/buffer_tokens"] == buffer
    assert first["compute/flops"] == pytest.approx(6 * n * trained + 2 * n * buffer)
    assert first["compute/lambda"] == pytest.approx(9 * 8 / (2 * 17))
    second = log_step(callback, args, state, 2, {"loss": 0.1})  # the second pass: nothing generated
    assert second["compute/flops"] == first["compute/flops"]
    assert state.log_history[-1]["compute/flops"] == first["compute/flops"]  # saved with checkpoints too


def test_rl_flops_with_a_configured_lambda_follow_the_formula_and_include_the_start():
    model, args, state = tiny_model(), grpo_args(num_iterations=1), TrainerState()
    callback = FlopsCallback(lam=6.0, start_flops=1e6)
    callback.on_train_begin(args, state, TrainerControl(), model=model)
    n = count_parameters(model)
    state.num_input_tokens_seen = 100
    logs = log_step(callback, args, state, 1, {"completions/mean_length": 8.0})
    assert logs["compute/flops"] == pytest.approx(1e6 + 6 * n * 100 + 2 * n * 6.0 * 100)
    assert logs["compute/lambda"] == 6.0


def test_sft_flops_count_trls_logged_tokens_and_continue_after_a_resume():
    model, args, state = tiny_model(), SimpleNamespace(include_num_input_tokens_seen="no"), TrainerState()
    callback = FlopsCallback()
    callback.on_train_begin(args, state, TrainerControl(), model=model)
    assert not callback.generates
    n = count_parameters(model)
    log_step(callback, args, state, 1, {"loss": 1.0, "num_tokens": 50})
    logs = log_step(callback, args, state, 2, {"loss": 1.0, "num_tokens": 120})
    assert logs["compute/flops"] == 6 * n * 120 and "compute/lambda" not in logs
    assert args.include_num_input_tokens_seen == "no"  # left alone: turning it on changes every log line
    # a new session resumed from step 2: TRL's count restarts at 0, the callback adds what was done
    resumed = FlopsCallback()
    resumed.on_train_begin(args, state, TrainerControl(), model=model)
    logs = log_step(resumed, args, state, 3, {"loss": 1.0, "num_tokens": 60})
    assert logs["compute/tokens_trained"] == 180


def test_a_stage_can_say_it_generates_when_its_arguments_do_not_show_it():
    model, args, state = tiny_model(), SimpleNamespace(generation_batch_size=2), TrainerState()
    callback = FlopsCallback(generates=True, lam=2.0)
    callback.on_train_begin(args, state, TrainerControl(), model=model)
    state.num_input_tokens_seen = 10
    logs = log_step(callback, args, state, 1, {"loss": 0.0})
    assert logs["compute/buffer_tokens"] == 20.0 and logs["compute/tokens_generated"] == 10.0


def test_the_end_of_training_totals_get_no_compute_numbers():
    model, args, state = tiny_model(), SimpleNamespace(include_num_input_tokens_seen="no"), TrainerState()
    callback = FlopsCallback()
    callback.on_train_begin(args, state, TrainerControl(), model=model)
    totals = {"train_runtime": 1.0, "train_loss": 0.5}
    callback.on_log(args, state, TrainerControl(), logs=totals)
    assert totals == {"train_runtime": 1.0, "train_loss": 0.5}


@pytest.mark.parametrize(("kwargs", "needle"), [({"generates": "rl"}, "generates must be"),
                                                ({"lam": -1.0}, "lam"), ({"passes": 0}, "passes"),
                                                ({"start_flops": -5.0}, "start_flops")])
def test_bad_settings_are_refused_with_the_setting_named(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        FlopsCallback(**kwargs)


# -- inside the real trainers ------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory, one_torch_thread_per_module):
    from transformers import AutoTokenizer

    from habits.models.tiny import TinyModelConfig, build_tiny_model

    texts = ["User: 3 + 5 = ? Assistant: 8", "cards 4 5 K Q formula 10 * 10 / 5 + 4 = 24"] * 4
    config = TinyModelConfig(vocab_size=320, hidden_size=32, num_layers=2, num_heads=2, num_kv_heads=1,
                             intermediate_size=64)
    path = build_tiny_model(tmp_path_factory.mktemp("tiny"), config, texts=texts)
    return path, AutoTokenizer.from_pretrained(path)


class Recorder(TrainerCallback):
    """Collects log lines after the compute callback has added its numbers (as MetricsJsonl would)."""

    def __init__(self):
        self.rows = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if "train_loss" not in logs:
            self.rows.append({"step": state.global_step, **logs})


# A few seconds each: they are the check that TRL still reports the token counts the callback reads.
def test_sft_trainer_logs_six_n_flops_per_trained_token(tiny, tmp_path):
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    path, tokenizer = tiny
    model = AutoModelForCausalLM.from_pretrained(path)
    recorder = Recorder()
    data = Dataset.from_list([{"prompt": "User: 3 + 5 = ?", "completion": " Assistant: 8"}] * 12)
    args = SFTConfig(output_dir=str(tmp_path), max_steps=3, per_device_train_batch_size=4, report_to=[],
                     logging_steps=1, save_strategy="no", use_cpu=True)
    SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
               callbacks=[FlopsCallback(), recorder]).train()
    n = count_parameters(model)
    assert [row["step"] for row in recorder.rows] == [1, 2, 3]
    for row in recorder.rows:
        assert row["compute/flops"] == 6 * n * row["num_tokens"] > 0
    assert recorder.rows[0]["compute/flops"] < recorder.rows[-1]["compute/flops"]


def test_grpo_trainer_logs_flops_with_the_generation_factor_measured_from_its_rollouts(tiny, tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    path, tokenizer = tiny
    model = AutoModelForCausalLM.from_pretrained(path)
    recorder = Recorder()
    data = Dataset.from_list([{"prompt": "User: 3 + 5 = ?"}] * 16)
    args = GRPOConfig(output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=4, num_generations=4,
                      max_completion_length=8, report_to=[], logging_steps=1, save_strategy="no",
                      use_cpu=True)

    def reward(completions, **_):
        return [float(len(c)) for c in completions]

    GRPOTrainer(model=model, reward_funcs=reward, args=args, train_dataset=data, processing_class=tokenizer,
                callbacks=[FlopsCallback(), recorder]).train()
    n = count_parameters(model)
    row = recorder.rows[-1]
    rollouts = 2 * args.generation_batch_size
    prompt = row["num_tokens"] / rollouts - row["completions/mean_length"]  # every prompt is the same here
    completion = row["completions/mean_length"]
    assert row["compute/tokens_trained"] == row["num_tokens"]  # one pass over each rollout
    assert row["compute/lambda"] == pytest.approx(prompt * completion / (prompt + completion))
    expected = 6 * n * row["num_tokens"] + 2 * n * rollouts * prompt * completion
    assert row["compute/flops"] == pytest.approx(expected)
