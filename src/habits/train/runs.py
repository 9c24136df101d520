"""The run directory, shared by SFT and RL: resolved config, resume point, final model, summary.

A run directory holds ``config.yaml`` (the resolved config), ``checkpoint-N/`` (resumable),
``metrics.jsonl``, TensorBoard event files under ``runs/``, ``summary.json`` and, once training finishes,
``model/`` -- a plain Hugging Face model directory (LoRA adapters merged in) that the next stage
or ``habits eval`` loads. Everything is written atomically: a killed run never leaves a
half-written ``model/`` or ``summary.json``, and a checkpoint counts only once its trainer state
(written last) is there.

Resuming is refused when it would not continue the same run: when the config changed in a field
that shapes training (anything but :data:`SAFE_TO_CHANGE`), or when the checkpoint lacks its
optimizer state. A damaged latest checkpoint (a cut weights or optimizer file) is skipped for the
one before it, with a warning.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


# Fields a resumed run may change: how long to train, how often to log / save / evaluate, and where
# to report. Everything else (optimizer, data, model, task, rewards, sampling) would make the resumed
# steps a different run than the one the checkpoint belongs to.
SAFE_TO_CHANGE = frozenset({
    "max_steps", "num_train_epochs", "save_steps", "save_total_limit", "logging_steps", "report_to", "run_name",
    "resume", "torch_threads", "eval_every", "eval_at_steps", "eval_n", "eval_splits", "eval_max_new_tokens",
    "log_completions", "behaviors", "output_dir",
})


def preflight(config: RunConfig) -> None:
    """Everything about the run directory that can be refused before torch is imported.

    The output directory must be creatable, a resume must not change the config, and the
    checkpoint it would resume from must be intact.
    """
    from habits.io import check_output_dir

    check_output_dir(config.output_dir, "output_dir")
    check_resume_config(config)
    resume_point(config, quiet=True)


def resume_point(config: RunConfig, quiet: bool = False) -> str | None:
    """The checkpoint to resume from under ``config.resume`` (auto: the last intact one, if any).

    A damaged checkpoint is skipped for the one before it (with a warning); one saved without its
    optimizer state is refused, as is an explicit ``resume:`` checkpoint that is damaged.
    """
    from habits.preflight import checkpoint_problem

    if config.resume == "never":
        return None
    if config.resume != "auto":
        found = checkpoint_problem(config.resume)
        if found:
            raise ValueError(f"resume: {config.resume} cannot be resumed: {found[1]}; use 'auto', 'never' or "
                             "another checkpoint directory")
        return config.resume
    skipped = []
    for checkpoint in reversed(complete_checkpoints(config.output_dir)):
        found = checkpoint_problem(checkpoint)
        if found is None:
            if skipped and not quiet:
                print(f"[habits] skipped damaged {'; '.join(skipped)}; resuming from {checkpoint.name}",
                      file=sys.stderr, flush=True)
            return str(checkpoint)
        kind, why = found
        if kind == "incomplete":
            raise ValueError(f"{checkpoint} cannot be resumed: {why}; resuming would restart the optimizer from "
                             f"scratch and silently change the run. Delete {checkpoint} to resume from an earlier "
                             "checkpoint, or set resume: never to start over")
        skipped.append(f"{checkpoint.name} ({why})")
    if skipped:
        raise ValueError(f"{config.output_dir}: no intact checkpoint to resume ({'; '.join(skipped)}); set "
                         "resume: never to start over, or restore the files")
    return None


def check_resume_config(config: RunConfig) -> None:
    """Refuse to resume a run directory's checkpoints under a config that changed more than SAFE_TO_CHANGE."""
    out = Path(config.output_dir)
    if config.resume == "never" or not complete_checkpoints(out) or not (out / "config.yaml").is_file():
        return
    try:
        old = yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        old = None
    if not isinstance(old, dict):
        print(f"[habits] {out / 'config.yaml'} is unreadable; cannot check that the resumed run has the same "
              "config", file=sys.stderr, flush=True)
        return
    new = config.to_dict()

    def text(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=str)

    changed = [key for key in new if key not in SAFE_TO_CHANGE and key in old and text(old[key]) != text(new[key])]
    if changed:
        details = ", ".join(f"{key} {text(old[key])} -> {text(new[key])}" for key in changed)
        raise ValueError(
            f"{out} holds an interrupted run made with a different config (changed: {details}); resuming would "
            "train its remaining steps with the checkpoint's optimizer and data but record the new values. Use "
            "the old values, another output_dir, or resume: never to start over (fields that may change on "
            f"resume: {', '.join(sorted(SAFE_TO_CHANGE - {'output_dir', 'resume'}))})")


def prepare_run_dir(config: RunConfig) -> Path:
    """Create the run directory and write the resolved config and ``versions.json`` (what this run used)."""
    from habits.versions import write_versions

    out = Path(config.output_dir)
    check_resume_config(config)
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
    """Save the trained model and tokenizer to ``<output_dir>/model`` atomically (adapters merged).

    Every process must call this: saving a sharded model (DeepSpeed ZeRO-3) and gathering LoRA
    weights are collective. All processes write into one temporary directory -- a sharded save
    puts each rank's part there -- and only the main process saves the tokenizer and swaps the
    directory into place.
    """
    accelerator = trainer.accelerator
    out = Path(output_dir)
    final, tmp, old = out / "model", out / ".model.tmp", out / ".model.old"
    if accelerator.is_main_process:
        for leftover in (tmp, old):  # from a run killed while saving
            if leftover.exists():
                shutil.rmtree(leftover)
    accelerator.wait_for_everyone()
    model = accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):  # LoRA: later stages load a plain model directory
        with _full_weights(model, accelerator):
            if accelerator.is_main_process:
                model.merge_and_unload().save_pretrained(tmp, safe_serialization=True)
    else:
        trainer.save_model(str(tmp))  # every process: gathers ZeRO-3 shards; the main process writes
    if accelerator.is_main_process:
        trainer.processing_class.save_pretrained(tmp)
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


@contextmanager
def _full_weights(model: Any, accelerator: Any) -> Iterator[None]:
    """Make every weight whole on every process for the duration (a collective under ZeRO-3).

    ZeRO-3 leaves each process a shard of each weight; merging LoRA into shards is wrong, so the
    weights are gathered first (as TRL does before merging for vLLM) and dropped again on exit,
    leaving the training shards unchanged. The gathered model must fit on one device. Elsewhere
    the weights are whole already and this does nothing.
    """
    plugin = getattr(accelerator.state, "deepspeed_plugin", None)
    if plugin is None or plugin.zero_stage != 3:
        yield
        return
    import deepspeed

    with deepspeed.zero.GatheredParameters(list(model.parameters()), modifier_rank=None):
        yield


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


def monitor_callbacks(config: RunConfig, task: Any | None, lam: float | None = None) -> list[Any]:
    """Callbacks that add to every log line, so they go before the one writing ``metrics.jsonl``.

    ``compute/*``: the stage's training FLOPs in the paper's estimate, from ``config.start_flops``
    (:class:`habits.train.flops.FlopsCallback`). ``drift/kl_to_start``: with a task and a periodic
    evaluation, KL to the start model on ``drift_probes`` fixed test-split prompts, at each evaluation
    (:class:`habits.train.drift.DriftCallback`).
    """
    from habits.train.flops import FlopsCallback

    callbacks: list[Any] = [FlopsCallback(lam=lam, start_flops=config.start_flops)]
    every, at_steps = getattr(config, "eval_every", 0), getattr(config, "eval_at_steps", [])
    if task is not None and (every or at_steps) and config.drift_probes:
        from habits.evaluate import eval_problems
        from habits.train.drift import DriftCallback

        if not task.shows_images:  # the probe is text; an image prompt's text alone says little
            steps = [step for p in eval_problems(task, "test", config.drift_probes, config.seed) for step in task.steps(p)]
            probes = [prompt_text(task.prompt(step)) for step in steps[:config.drift_probes]]
            callbacks.append(DriftCallback(probes, every, cache_path=Path(config.output_dir) / "drift_reference.pt",
                                           start_model=config.model, steps=at_steps))
    return callbacks


def prompt_text(prompt: Any) -> str:
    """A prompt as plain text: chat messages' text contents joined (the probe needs no template)."""
    if isinstance(prompt, str):
        return prompt
    parts = []
    for message in prompt:
        content = message.get("content", "")
        parts += [content] if isinstance(content, str) else [c.get("text", "") for c in content if isinstance(c, dict)]
    return "\n".join(part for part in parts if part)
