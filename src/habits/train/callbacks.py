"""Trainer callbacks shared by SFT and RL: metrics.jsonl, stop-and-save on Ctrl-C, periodic task eval.

* :class:`MetricsJsonl` appends every log (one JSON line per logged step) to ``metrics.jsonl`` and
  flushes it, so the paper's curves can be read from a run that is still going or was killed.
  On resume it first drops lines past the checkpoint, so the file never holds a step twice.
* :class:`StopOnSignal` turns the first Ctrl-C (SIGINT) or SIGTERM into "save a checkpoint after
  this step and stop"; the same command then resumes from it. A second Ctrl-C aborts at once.
* :class:`PeriodicEval` runs greedy evaluation on ID/OOD splits every N steps and hands the numbers
  to the trainer's next log line (they land in metrics.jsonl and TensorBoard like any metric).
* :class:`SolveRatesCheckpoint` keeps the solve-rate curriculum's measurements with each checkpoint.
"""

from __future__ import annotations

import json
import math
import signal
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from habits.io import atomic_write


def _clean(value: Any) -> Any:
    """JSON-safe scalars: NaN/inf become null (JSON has no NaN), tensors become numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class MetricsJsonl(TrainerCallback):
    """One JSON object per logged step in ``<output_dir>/metrics.jsonl``, appended and flushed."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero or not self.path.exists():
            return
        # Resuming from checkpoint N: steps after N will be logged again, so drop their old lines.
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
            if row.get("step", 0) <= state.global_step:
                kept.append(line)
        with atomic_write(self.path) as handle:
            handle.write("".join(line + "\n" for line in kept))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs or "train_loss" in logs:
            # The end-of-training totals go to summary.json, keeping one line per step here. Keyed on
            # train_loss: with include_num_input_tokens_seen every step's line carries train_runtime.
            return
        row = {"step": state.global_step, **{key: _clean(value) for key, value in logs.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()


class StopOnSignal(TrainerCallback):
    """First SIGINT/SIGTERM: checkpoint after the current step, then stop cleanly. Second: abort."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
        self.signals = signals
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum, frame):
        if self.requested:  # second signal: the user means it
            self.restore()
            raise KeyboardInterrupt
        self.requested = True
        print(f"\n[habits] {signal.Signals(signum).name}: saving a checkpoint after this step, then stopping "
              "(press Ctrl-C again to abort without saving)", flush=True)

    def on_train_begin(self, args, state, control, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be installed from the main thread
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._handle)

    def on_step_end(self, args, state, control, **kwargs):
        if _any_process(self.requested, args.device):
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self.restore()

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


def _any_process(flag: bool, device) -> bool:
    """True if ``flag`` is set on any process: all processes must stop at the same step, or they deadlock."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return flag
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def evaluation_due(step: int, every: int, steps: Collection[int] = ()) -> bool:
    """Whether the periodic evaluation falls on ``step``: one of ``steps`` when given (points placed at
    equal compute, :mod:`habits.compute_plan`), else every ``every`` steps (0: never)."""
    if steps:
        return step in steps
    return bool(every) and step % every == 0


class PeriodicEval(TrainerCallback):
    """Greedy accuracy (and format errors, length, behaviors) on fixed ID/OOD problems every N steps.

    ``evaluate_fn(model, tokenizer) -> {name: value}`` does the work; the numbers are queued on the
    trainer (:meth:`habits.train.trl_seam.HabitsGRPOTrainer.queue_logs`) so they are written with
    the step's own metrics. With ``at_start`` the step-0 numbers (before any update) are logged at
    the start of a fresh run, so every curve starts at the model RL started from -- one evaluation
    more than ``max_steps / every``.
    """

    def __init__(self, trainer: Any, every: int, evaluate_fn: Any, at_start: bool = True,
                 steps: Collection[int] = ()) -> None:
        self.trainer = trainer
        self.every = every
        self.steps = frozenset(steps)
        self.evaluate_fn = evaluate_fn
        self.at_start = at_start

    def _run(self) -> dict[str, float]:
        import torch

        from habits.train.trl_seam import generation_model

        trainer = self.trainer
        devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
        # Evaluation seeds its own sampling; fork the RNG so that rollouts after it do not replay
        # the random stream of the rollouts after the previous evaluation.
        with torch.random.fork_rng(devices=devices), generation_model(trainer) as model:
            was_training = model.training
            model.eval()
            try:
                return self.evaluate_fn(model, trainer.processing_class)
            finally:
                model.train(was_training)

    def on_train_begin(self, args, state, control, **kwargs):
        if (self.every or self.steps) and self.at_start and state.global_step == 0:
            self.trainer.log(self._run())

    def on_step_end(self, args, state, control, **kwargs):
        if evaluation_due(state.global_step, self.every, self.steps):
            self.trainer.queue_logs(self._run())
            control.should_log = True
        return control


class SolveRatesCheckpoint(TrainerCallback):
    """The curriculum's solve-rate table, saved with each checkpoint and restored when a run resumes from it.

    Without it a resumed run would restart the curriculum from no measurements.
    """

    FILE = "solve_rates.json"

    def __init__(self, rates: Any, resume_from: str | None) -> None:
        self.rates = rates
        self.resume_from = resume_from

    def on_train_begin(self, args, state, control, **kwargs):
        path = Path(self.resume_from) / self.FILE if self.resume_from else None
        if path is not None and path.is_file():
            saved = json.loads(path.read_text(encoding="utf-8"))
            self.rates.attempts.update(saved.get("attempts", {}))
            self.rates.solved.update(saved.get("solved", {}))

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            with atomic_write(checkpoint / self.FILE) as handle:
                json.dump(self.rates.to_dict(), handle)
