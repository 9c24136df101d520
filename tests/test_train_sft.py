"""SFT priming on tiny Qwen2 and Llama models built in the test: weights move, metrics land, resume works."""

import json
import os
import signal

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, TrainerCallback

from habits.io import write_jsonl
from habits.models.tiny import TinyModelConfig, build_tiny_model
from habits.tasks import get_task
from habits.traces import make_rows
from habits.train.config import load_config
from habits.train.sft import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def one_thread(one_torch_thread_per_module):
    """Every test here, and the module fixtures that build models, on one torch thread."""


@pytest.fixture(scope="module")
def priming(tmp_path_factory):
    """Priming rows in both formats (text prompt/completion and chat messages) and a tokenizer corpus."""
    root = tmp_path_factory.mktemp("priming")
    base, chat = get_task("countdown"), get_task("countdown", prompt_style="chat")
    problems = base.generate(16, split="train", seed=3)
    text_rows = list(make_rows(base, "all", problems))
    chat_rows = list(make_rows(chat, "all", problems, fmt="chat"))
    write_jsonl(root / "text.jsonl", text_rows)
    write_jsonl(root / "chat.jsonl", chat_rows)
    corpus = [r["prompt"] + r["completion"] for r in text_rows] + [r["messages"][0]["content"] for r in chat_rows]
    return root, corpus


@pytest.fixture(scope="module")
def models(tmp_path_factory, priming):
    _, corpus = priming
    root = tmp_path_factory.mktemp("models")
    return {arch: build_tiny_model(root / arch, TinyModelConfig(arch=arch, num_layers=2), texts=corpus)
            for arch in ("qwen2", "llama")}


def sft_config(model, data, out, **extra):
    values = {"model": str(model), "data": str(data), "output_dir": str(out), "max_steps": 3, "save_steps": 2,
              "per_device_train_batch_size": 4, "learning_rate": 1e-3, "report_to": [], "max_length": 512}
    values.update(extra)
    return load_config(None, values, stage="sft")


def weights(model_dir):
    return load_file(str(model_dir / "model.safetensors"))


@pytest.mark.parametrize(("arch", "data"), [("qwen2", "text.jsonl"), ("llama", "chat.jsonl")])
def test_sft_steps_change_weights_and_write_metrics_and_a_loadable_model(models, priming, tmp_path, arch, data):
    root, _ = priming
    summary = main(sft_config(models[arch], root / data, tmp_path / "run"))
    assert summary["status"] == "completed" and summary["global_step"] == 3
    before, after = weights(models[arch]), weights(tmp_path / "run" / "model")
    assert any(not torch.equal(before[name], after[name]) for name in before if name in after)
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3]
    assert all("loss" in line and "learning_rate" in line for line in lines)
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["model_dir"] == str(tmp_path / "run" / "model")
    assert (tmp_path / "run" / "config.yaml").is_file()
    AutoModelForCausalLM.from_pretrained(tmp_path / "run" / "model")  # a plain HF model directory


class InterruptAt(TrainerCallback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C delivers


def test_sft_interrupted_by_ctrl_c_saves_a_checkpoint_and_the_same_command_resumes(models, priming, tmp_path):
    root, _ = priming
    config = sft_config(models["qwen2"], root / "text.jsonl", tmp_path / "run", max_steps=4, save_steps=100)
    first = main(config, callbacks=[InterruptAt(1)])
    assert first["status"] == "interrupted"
    stopped = first["global_step"]
    assert stopped < 4 and first["checkpoint"].endswith(f"checkpoint-{stopped}")
    assert not (tmp_path / "run" / "model").exists()
    second = main(sft_config(models["qwen2"], root / "text.jsonl", tmp_path / "run", max_steps=4, save_steps=100))
    assert second["status"] == "completed" and second["resumed_from"] == first["checkpoint"]
    assert second["global_step"] == 4
    steps = [json.loads(line)["step"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]


def test_sft_with_lora_saves_a_plain_model_with_the_adapters_merged(models, priming, tmp_path):
    root, _ = priming
    summary = main(sft_config(models["llama"], root / "chat.jsonl", tmp_path / "run", max_steps=2,
                              lora={"enabled": True, "r": 4, "alpha": 8}))
    model_dir = tmp_path / "run" / "model"
    assert summary["status"] == "completed" and not (model_dir / "adapter_config.json").exists()
    before, after = weights(models["llama"]), weights(model_dir)
    assert set(before) == set(after)  # same parameter names: no LoRA leftovers
    assert any(not torch.equal(before[name], after[name]) for name in before)


def test_sft_with_a_task_logs_held_out_id_and_ood_accuracy_along_the_run(priming, models, tmp_path):
    root, _ = priming
    config = sft_config(models["qwen2"], root / "text.jsonl", tmp_path / "run", max_steps=4, logging_steps=1,
                        task="countdown", eval_every=2, eval_n=3, eval_max_new_tokens=8)
    main(config)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    evaluated = [row["step"] for row in rows if "eval_test/accuracy" in row and "eval_ood/accuracy" in row]
    assert evaluated == [0, 2, 4]  # at the start (the model SFT starts from) and every 2 steps


def test_sft_periodic_evaluation_without_a_task_is_refused_naming_the_field(priming, models, tmp_path):
    root, _ = priming
    with pytest.raises(ValueError, match="eval_every needs `task`"):
        sft_config(models["qwen2"], root / "text.jsonl", tmp_path / "run", eval_every=2)
