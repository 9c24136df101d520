"""Saving the final model when several processes train: one directory, collective saves, whole weights."""

import json
import subprocess
import sys
import types
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from habits.train.runs import save_final_model


class FakeAccelerator:
    """The main process of a DeepSpeed ZeRO-3 run, as far as save_final_model can tell."""

    def __init__(self, zero_stage):
        self.is_main_process = True
        self.state = types.SimpleNamespace(deepspeed_plugin=types.SimpleNamespace(zero_stage=zero_stage))

    def wait_for_everyone(self):
        pass

    def unwrap_model(self, model):
        return model


class FakeLoraModel:
    """Stands for a PEFT model whose weights are shards unless gathered."""

    def __init__(self, gathered):
        self.gathered = gathered
        self.weights = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
        self.merged_while_gathered = None

    def parameters(self):
        return iter(self.weights)

    def merge_and_unload(self):
        self.merged_while_gathered = bool(self.gathered)
        return self

    def save_pretrained(self, path, safe_serialization=True):
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "config.json").write_text("{}")


def fake_trainer(model, zero_stage):
    def save_tokenizer(path):
        (Path(path) / "tokenizer.json").write_text("{}")

    tokenizer = types.SimpleNamespace(save_pretrained=save_tokenizer)
    return types.SimpleNamespace(accelerator=FakeAccelerator(zero_stage), model=model,
                                 processing_class=tokenizer)


def test_lora_merge_under_zero3_runs_on_gathered_weights_and_leaves_the_shards_alone(tmp_path, monkeypatch):
    gathered = []  # the parameters currently gathered, and how
    calls = []

    @contextmanager
    def gathered_parameters(params, modifier_rank=0):
        calls.append((len(params), modifier_rank))
        gathered.append(params)
        yield
        gathered.pop()

    fake_deepspeed = types.ModuleType("deepspeed")
    fake_deepspeed.zero = types.SimpleNamespace(GatheredParameters=gathered_parameters)
    monkeypatch.setitem(sys.modules, "deepspeed", fake_deepspeed)
    model = FakeLoraModel(gathered)
    final = save_final_model(fake_trainer(model, zero_stage=3), tmp_path)
    assert model.merged_while_gathered is True
    assert calls == [(2, None)]  # every weight at once; None: nothing is written back into the shards
    assert (final / "config.json").is_file() and (final / "tokenizer.json").is_file()
    assert not any(p.name.startswith(".model") for p in tmp_path.iterdir())


def test_lora_merge_without_zero3_needs_no_gathering(tmp_path):
    model = FakeLoraModel(gathered=[])
    save_final_model(fake_trainer(model, zero_stage=2), tmp_path)
    assert model.merged_while_gathered is False and (tmp_path / "model" / "config.json").is_file()


@pytest.mark.slow
def test_two_processes_train_and_save_one_plain_model_with_lora_merged(tmp_path):
    from habits.io import write_jsonl
    from habits.models.tiny import TinyModelConfig, build_tiny_model
    from habits.tasks import get_task
    from habits.traces import make_rows

    task = get_task("countdown")
    rows = list(make_rows(task, "all", task.generate(8, split="train", seed=3)))
    write_jsonl(tmp_path / "data.jsonl", rows)
    size = TinyModelConfig(num_layers=1, hidden_size=32, num_heads=2, num_kv_heads=1, intermediate_size=64)
    build_tiny_model(tmp_path / "base", size, texts=[r["prompt"] + r["completion"] for r in rows])
    run = tmp_path / "run"
    settings = [f"model={tmp_path / 'base'}", f"data={tmp_path / 'data.jsonl'}", f"output_dir={run}",
                "max_steps=2", "per_device_train_batch_size=2", "report_to=none", "torch_threads=1",
                "lora.enabled=true"]
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    command = [torchrun, "--nproc_per_node", "2", "-m", "habits", "train", "sft",
               *(arg for setting in settings for arg in ("--set", setting))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("done: model in") == 2  # both processes ran the stage to the end
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".model")) == []
    assert not (run / "model" / "adapter_config.json").exists()
    assert set(load_file(str(run / "model" / "model.safetensors"))) == set(load_file(str(tmp_path / "base" /
                                                                                      "model.safetensors")))
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]  # one process logs; the other does not write the same steps again
