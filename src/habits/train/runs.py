"""The run directory, shared by SFT and RL: resolved config, resume point, final model, summary.

A run directory holds ``config.yaml`` (the resolved config), ``checkpoint-N/`` (resumable),
``metrics.jsonl``, TensorBoard event files under ``runs/``, ``summary.json`` and, once training finishes,
``model/`` -- a plain Hugging Face model directory (LoRA adapters merged in) that the next stage
or ``habits eval`` loads. Everything is written atomically: a killed run never leaves a
half-written ``model/`` or ``summary.json``, and a checkpoint counts only once its trainer state
(written last) is there.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

from habits.io import atomic_write, write_json
from habits.train.config import RunConfig

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def complete_checkpoints(output_dir: str | Path) -> list[Path]:
    """Checkpoints whose save finished (``trainer_state.json`` is written last), oldest first."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir()
             if p.is_dir() and (m := _CHECKPOINT.match(p.name)) and (p / "trainer_state.json").is_file()]
    return [p for _, p in sorted(found)]


def resume_point(config: RunConfig) -> str | None:
    """The checkpoint to resume from under ``config.resume`` (auto: the last complete one, if any)."""
    if config.resume == "never":
        return None
    if config.resume != "auto":
        return config.resume
    found = complete_checkpoints(config.output_dir)
    return str(found[-1]) if found else None


def prepare_run_dir(config: RunConfig) -> Path:
    """Create the run directory and write the resolved config and ``versions.json`` (what this run used)."""
    from habits.versions import write_versions

    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / "config.yaml") as handle:
        yaml.safe_dump({"stage": config.stage, **config.to_dict()}, handle, sort_keys=False, allow_unicode=True)
    write_versions(out)
    return out


def setup_torch(config: RunConfig) -> None:
    import torch

    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)


def peft_config(config: RunConfig) -> Any:
    if not config.lora.enabled:
        return None
    from peft import LoraConfig

    lora = config.lora
    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=lora.target_modules, task_type="CAUSAL_LM")


def save_final_model(trainer: Any, output_dir: str | Path) -> Path:
    """Save the trained model and tokenizer to ``<output_dir>/model`` atomically (adapters merged)."""
    out = Path(output_dir)
    final = out / "model"
    tmp = out / f".model.tmp-{os.getpid()}"
    if trainer.accelerator.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    trainer.accelerator.wait_for_everyone()
    model = trainer.accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):  # LoRA: later stages load a plain model directory
        if trainer.accelerator.is_main_process:
            merged = model.merge_and_unload()
            merged.save_pretrained(tmp, safe_serialization=True)
    else:
        trainer.save_model(str(tmp))  # handles DeepSpeed ZeRO-3 gathering on every process
    if trainer.accelerator.is_main_process:
        trainer.processing_class.save_pretrained(tmp)
        if final.exists():
            old = out / f".model.old-{os.getpid()}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    trainer.accelerator.wait_for_everyone()
    return final


def write_summary(output_dir: str | Path, summary: dict[str, Any]) -> Path:
    path = Path(output_dir) / "summary.json"
    write_json(path, {"written_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **summary})
    return path


def last_logged(trainer: Any, *keys: str) -> dict[str, Any]:
    """The most recent logged value of each key (for summary.json)."""
    found: dict[str, Any] = {}
    for entry in reversed(trainer.state.log_history):
        for key in keys:
            if key not in found and key in entry:
                found[key] = entry[key]
    return found
