"""The TRL seam: every use of TRL beyond its documented, stable API lives here, checked at start-up.

habits trains with TRL's ``GRPOTrainer`` and needs a few things TRL does not promise to keep:

* the private ``_tokenize_prompts`` and ``_generate_single_turn`` (verify-and-revise generates
  each attempt with the trainer's own backend: transformers, paged, or vLLM);
* the experimental ``rollout_func`` argument and its undocumented ``env_mask`` output key (which
  tokens the model wrote, 1, and which the environment inserted, 0, kept out of the loss);
* the private ``_generate_and_score_completions(inputs)``, overridden to hand the batch's own rows
  to the rollout (no prompt -> problem lookup) and to reshape batches for dynamic sampling and the
  solve-rate curriculum (:mod:`habits.train.sampling`);
* ``log(logs, start_time)``, overridden so numbers computed outside the loss (periodic ID/OOD
  evaluation, sampling statistics) land on the step's own log line;
* the ``log_metric`` argument TRL hands reward functions (accuracy, format errors, behaviors);
* ``unwrap_model_for_generation`` and the trainer's ``model_wrapped``, for greedy evaluation.

:func:`check_trl` verifies the installed release and each of these before any model is loaded, and
fails with one sentence naming what is missing. A TRL upgrade touches only this module.

TRL's public ``environment_factory`` does not serve verify-and-revise (TRL 1.16): it drives
*tool calls* -- the model must call an environment method through a chat template that supports
tool calling, and the environment's answer comes back as a tool turn. Verify-and-revise sends the
verifier's reason as a *user* turn after an answer the model gives unprompted, works with
base-style (plain text) prompts, and runs on the embedded tiny model, whose template has no tool
calling. So the rollout stays a ``rollout_func``; the rows reach it through this module instead.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from trl import GRPOTrainer

from habits.configs import ConfigError

TESTED = ((1, 16), (1, 17))  # trl >= 1.16, < 1.17: what CI runs the RL tests with
INSTALL = "pip install 'trl>=1.16,<1.17'"
ENV_MASK = "env_mask"  # rollout output key TRL reads as "model wrote this token" (1) vs inserted (0)


class IncompatibleTRL(ConfigError):
    """The installed TRL lacks something habits' RL stage uses."""


# -- start-up check -----------------------------------------------------------------------------
def _params(func: Any) -> list[str]:
    return [p for p in inspect.signature(func).parameters if p != "self"]


def _source_mentions(func: Any, text: str) -> bool:
    try:
        return text in inspect.getsource(func)
    except (OSError, TypeError):
        return False


def _requirements(rollout: bool, batches: bool) -> list[tuple[str, Callable[[], bool]]]:
    """(what, is it there?) for each piece of TRL the configured run uses."""
    cls = GRPOTrainer
    needs: list[tuple[str, Callable[[], bool]]] = [
        ("GRPOTrainer.log(logs, start_time)", lambda: _params(cls.log)[:2] == ["logs", "start_time"]),
        ("reward functions receiving log_metric",
         lambda: _source_mentions(getattr(cls, "_calculate_rewards", None), "log_metric")),
        ("trl.models.unwrap_model_for_generation", lambda: hasattr(importlib.import_module("trl.models"),
                                                                   "unwrap_model_for_generation")),
    ]
    if rollout or batches:
        needs.append(("GRPOTrainer._generate_and_score_completions(inputs)",
                      lambda: _params(getattr(cls, "_generate_and_score_completions"))[:1] == ["inputs"]))
    if rollout:
        needs += [
            ("the rollout_func argument of GRPOTrainer", lambda: "rollout_func" in _params(cls.__init__)),
            ("GRPOTrainer._tokenize_prompts(prompts)", lambda: _params(getattr(cls, "_tokenize_prompts")) == ["prompts"]),
            ("GRPOTrainer._generate_single_turn(prompt_ids, images, multimodal_fields, num_generations)",
             lambda: _params(getattr(cls, "_generate_single_turn"))[:4]
             == ["prompt_ids", "images", "multimodal_fields", "num_generations"]),
            (f"the {ENV_MASK!r} key of rollout_func output",
             lambda: _source_mentions(getattr(cls, "_generate", None), f'"{ENV_MASK}"')),
        ]
    return needs


def _version() -> tuple[str, tuple[int, ...]]:
    text = importlib.metadata.version("trl")
    numbers = []
    for part in text.split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits or 0))
    return text, tuple(numbers)


def check_trl(rollout: bool = False, batches: bool = False) -> str:
    """Fail with one sentence unless the installed TRL has what this run uses; returns its version.

    ``rollout``: verify-and-revise (a rollout function); ``batches``: dynamic sampling or a curriculum.
    """
    text, version = _version()
    missing = []
    for what, present in _requirements(rollout, batches):
        try:
            ok = present()
        except (AttributeError, TypeError, ValueError, ImportError):
            ok = False
        if not ok:
            missing.append(what)
    low, high = TESTED
    if version < low or missing:
        lacks = f"it lacks {'; '.join(missing)}" if missing else "it is older than the release habits is built on"
        raise IncompatibleTRL(f"habits cannot train RL with the installed trl {text}: {lacks}; "
                              f"install the tested release with {INSTALL}")
    if version >= high:
        import warnings

        warnings.warn(f"trl {text} is newer than the release habits is tested with (>=1.16,<1.17); every piece "
                      "the RL stage uses is present, but results may differ", stacklevel=2)
    return text


# -- the trainers -------------------------------------------------------------------------------
class QueuedLogs:
    """Trainer mixin: numbers computed outside the loss land on the step's own log line."""

    pending_logs: dict[str, float]
    window: dict[str, list[float]]

    def _init_logs(self) -> None:
        self.pending_logs = {}
        self.window = defaultdict(list)

    def queue_logs(self, values: dict[str, float]) -> None:
        """Point values (e.g. a periodic evaluation) written with the next log line."""
        self.pending_logs.update(values)

    def record(self, name: str, value: float) -> None:
        """A per-batch value, averaged over the logging window like TRL's own metrics."""
        self.window[name].append(float(value))

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        extra = {name: sum(values) / len(values) for name, values in self.window.items() if values}
        if "loss" in logs and extra:  # a training step's line: the window's averages belong to it
            logs = {**logs, **extra}
            self.window.clear()
        if self.pending_logs:
            logs = {**logs, **self.pending_logs}
            self.pending_logs = {}
        super().log(logs, start_time)  # type: ignore[misc]


class HabitsGRPOTrainer(QueuedLogs, GRPOTrainer):
    """GRPOTrainer that hands each batch's rows to the rollout, can reshape batches, and logs extra numbers.

    ``sampler`` (a :class:`habits.train.sampling.GroupSampler`) turns on dynamic sampling and/or the
    solve-rate curriculum; without it batches are exactly TRL's.
    """

    def __init__(self, *args: Any, sampler: Any = None, **kwargs: Any) -> None:
        self._init_logs()  # before TRL's __init__, which may log
        super().__init__(*args, **kwargs)
        self.sampler = sampler
        self.batch_rows: list[dict[str, Any]] = []

    # -- batches -----------------------------------------------------------------------------------
    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        if self.sampler is None or not self.model.training:
            return self._score(inputs)
        return _sampled_batch(self, inputs)

    def _score(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        self.batch_rows = rows  # the rollout reads the problem of each prompt from here, in order
        return super()._generate_and_score_completions(rows)


def sft_trainer(*args: Any, **kwargs: Any) -> Any:
    """TRL's SFTTrainer with :class:`QueuedLogs` (periodic ID/OOD evaluation on the step's line)."""
    from trl import SFTTrainer

    class HabitsSFTTrainer(QueuedLogs, SFTTrainer):
        def __init__(self, *a: Any, **k: Any) -> None:
            self._init_logs()
            super().__init__(*a, **k)

    return HabitsSFTTrainer(*args, **kwargs)


# -- dynamic sampling / curriculum on TRL's batch dict -----------------------------------------
def _sampled_batch(trainer: HabitsGRPOTrainer, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Generate, keep groups with a right and a wrong completion, refill; every process agrees on rounds."""
    from habits.train.sampling import groups_with_spread

    sampler = trainer.sampler
    size = sampler.num_generations
    process = trainer.accelerator.process_index
    needed = len(inputs) // size
    rows = sampler.first(inputs, process)
    parts: list[tuple[dict[str, Any], list[int]]] = []
    kept = generated = with_signal = fillers = rounds = 0
    while True:
        rounds += 1
        batch = trainer._score(rows)
        correct = list(sampler.correctness())
        if len(correct) != len(rows):
            raise RuntimeError(f"dynamic sampling: {len(correct)} verdicts for {len(rows)} completions")
        _observe_everywhere(trainer, rows, correct)
        signal = groups_with_spread(correct, size) if sampler.dynamic else [True] * (len(rows) // size)
        generated += len(signal)
        with_signal += sum(signal)
        take = [g for g, ok in enumerate(signal) if ok][:needed - kept]
        kept += len(take)
        parts.append((batch, take))
        most_short = _max_over_processes(trainer, needed - kept)  # the same on every process: same branch
        if most_short == 0:
            break
        if rounds >= sampler.max_rounds:  # out of rounds: keep the batch's size, keep the rest out of the loss
            spare = [g for g in range(len(signal)) if g not in take][:needed - kept]
            if spare:
                parts.append((_without_signal(batch, spare, size), spare))
            fillers = len(spare)
            break
        rows = sampler.draw(most_short, process)  # every process generates the same number of groups
    trainer.record("sampling/rounds", rounds)
    trainer.record("sampling/groups_with_signal", with_signal / max(generated, 1))
    trainer.record("sampling/filler_groups", fillers / max(needed, 1))
    return _merge(trainer, parts, size)


def _observe_everywhere(trainer: HabitsGRPOTrainer, rows: Sequence[dict[str, Any]], correct: list[bool]) -> None:
    """Update the solve-rate table with every process's verdicts, so all processes draw from the same rates."""
    from accelerate.utils import gather_object

    local = [(str(row["problem"]), bool(ok)) for row, ok in zip(rows, correct, strict=True)]
    pairs = gather_object(local) if trainer.accelerator.num_processes > 1 else local
    trainer.sampler.rates.observe([key for key, _ in pairs], [ok for _, ok in pairs])


def _max_over_processes(trainer: HabitsGRPOTrainer, value: int) -> int:
    if trainer.accelerator.num_processes == 1:
        return value
    found = trainer.accelerator.gather(torch.tensor([value], device=trainer.accelerator.device))
    return int(found.max().item())


def _without_signal(batch: dict[str, Any], groups: list[int], size: int) -> dict[str, Any]:
    """``batch`` with the completions of ``groups`` masked out of the loss (fillers)."""
    out = dict(batch)
    rows = torch.tensor([g * size + i for g in groups for i in range(size)], dtype=torch.long)
    if len(rows):
        mask = batch["completion_mask"].clone()
        mask[rows.to(mask.device)] = 0
        out["completion_mask"] = mask
        advantages = batch["advantages"].clone()
        advantages[rows.to(advantages.device)] = 0
        out["advantages"] = advantages
    return out


# How each per-row tensor of TRL's batch is padded when batches of different lengths are joined.
_LEFT_PADDED = {"prompt_ids", "prompt_mask"}
_PAD_WITH_ONE = {"tool_mask"}
_PER_ROW = {"prompt_ids", "prompt_mask", "completion_ids", "completion_mask", "advantages", "old_per_token_logps",
            "ref_per_token_logps", "sampling_per_token_logps", "importance_sampling_ratio", "tool_mask"}


def _merge(trainer: HabitsGRPOTrainer, parts: list[tuple[dict[str, Any], list[int]]], size: int) -> dict[str, Any]:
    """One batch from the kept groups of several generated batches (TRL's layout: pad, then stack rows)."""
    keys = set().union(*(batch.keys() for batch, _ in parts))
    unknown = keys - _PER_ROW - {"num_items_in_batch"}
    if unknown:
        raise RuntimeError(f"dynamic sampling and the curriculum support text-only batches; this batch also holds "
                           f"{', '.join(sorted(unknown))}")
    pad_id = trainer.processing_class.pad_token_id if hasattr(trainer.processing_class, "pad_token_id") else 0
    out: dict[str, Any] = {}
    for key in sorted(keys - {"num_items_in_batch"}):
        pieces = []
        for batch, groups in parts:
            rows = [g * size + i for g in groups for i in range(size)]
            if batch.get(key) is not None:
                pieces.append(batch[key][torch.tensor(rows, dtype=torch.long, device=batch[key].device)])
        if not pieces:
            continue
        if pieces[0].dim() == 1:
            out[key] = torch.cat(pieces)
            continue
        width = max(p.shape[1] for p in pieces)
        value = pad_id if key in ("prompt_ids", "completion_ids") else 1 if key in _PAD_WITH_ONE else 0
        padded = []
        for piece in pieces:
            gap = width - piece.shape[1]
            if gap:
                side = (gap, 0) if key in _LEFT_PADDED else (0, gap)
                piece = torch.nn.functional.pad(piece, side, value=value)
            padded.append(piece)
        out[key] = torch.cat(padded)
    loss_mask = out["completion_mask"] * out["tool_mask"] if "tool_mask" in out else out["completion_mask"]
    out["num_items_in_batch"] = trainer.accelerator.gather(loss_mask.sum()).sum()
    return out


# -- generation for rollouts and evaluation ----------------------------------------------------
class TRLEngine:
    """The trainer's own prompt tokenisation and one-turn generation (transformers, paged, or vLLM).

    Prompts with images (a vision-language model) are re-tokenised with their images for each
    generation call, for the prompts the contexts continue: TRL returns the image inputs of a batch
    flattened over its images, so they cannot be sliced per prompt reliably. Per-token fields (a
    processor's token type ids) are extended with zeros over the text the context added after the
    prompt; the attempts and the feedback are text.
    """

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.tokenizer = trainer.processing_class
        self.eos_token_ids = list(trainer.eos_token_ids)
        self.chat_template_kwargs = dict(getattr(trainer, "chat_template_kwargs", None) or {})
        self.prompts: list[Any] = []
        self.has_images = False

    def tokenize(self, prompts: list[Any]) -> list[list[int]]:
        prompt_ids, images, _ = self.trainer._tokenize_prompts(prompts)
        self.prompts, self.has_images = list(prompts), images is not None
        return [list(ids) for ids in prompt_ids]

    def generate(self, contexts: list[list[int]],
                 which: list[int] | None = None) -> tuple[list[list[int]], list[list[float]] | None]:
        images, fields = None, {}
        if self.has_images:
            if which is None or len(which) != len(contexts):
                raise RuntimeError("generation with images needs the prompt index of every context")
            _, images, fields = self.trainer._tokenize_prompts([self.prompts[i] for i in which])
            fields = _extend_per_token(fields, [len(c) for c in contexts])
        completion_ids, logprobs = self.trainer._generate_single_turn(contexts, images, fields, 1)
        return [list(ids) for ids in completion_ids], logprobs


def _extend_per_token(fields: dict[str, Any], lengths: list[int]) -> dict[str, Any]:
    """Per-token fields (one list per prompt, e.g. token type ids) padded with 0 to each context's length."""
    out = dict(fields)
    for key, value in fields.items():
        if isinstance(value, list) and value and isinstance(value[0], list):
            out[key] = [list(row) + [0] * (n - len(row)) for row, n in zip(value, lengths, strict=True)]
    return out


def rollout_func(rollout: Callable[..., dict[str, Any]],
                 engine_factory: Callable[[Any], Any] = TRLEngine) -> Callable[[list[Any], Any], dict[str, Any]]:
    """Adapt ``rollout(prompts, problems, engine)`` to TRL's ``rollout_func(prompts, trainer)``.

    The problems come from the rows of the batch being generated (same order as the prompts); the
    rollout's ``model_mask`` becomes TRL's ``env_mask``; its other keys reach the rewards as columns.
    """
    from habits.tasks.base import as_problem

    def run(prompts: list[Any], trainer: Any) -> dict[str, Any]:
        rows = trainer.batch_rows
        if len(rows) != len(prompts):
            raise RuntimeError(f"rollout: {len(prompts)} prompts but {len(rows)} rows in the batch")
        out = dict(rollout(prompts, [as_problem(row["problem"]) for row in rows], engine_factory(trainer)))
        out[ENV_MASK] = out.pop("model_mask")
        return out

    run.__name__ = getattr(rollout, "__name__", "rollout")
    return run


@contextlib.contextmanager
def generation_model(trainer: Any) -> Iterator[Any]:
    """The trained model, unwrapped (and gathered under ZeRO-3) for generation outside the loss."""
    from trl.models import unwrap_model_for_generation

    with unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator) as model:
        yield model
