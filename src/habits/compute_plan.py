"""Equal-compute evaluation points, planned before any training (the SFT-vs-RL study's x-axis).

The paper compares SFT and RL at equal training compute. A recipe lists the points in FLOPs
(``compute: {points: [...], arms: [...]}``); when it loads, this module estimates every listed
arm's FLOPs after each step of its stages -- the formula the runs log (:mod:`habits.compute`) --
and maps each point to a step of each arm with :func:`habits.compute.match_compute`. A point an
arm cannot reach or resolve is refused then, naming the recipe's file and line, before any model
is trained; the matched steps, and each stage's last step, become the stages' ``eval_at_steps``.
The evaluations are labelled with the FLOPs the runs *measure*, so a plan that was off shows in
the report's x positions.

What is estimated, and how:

* N: the base's parameters, counted from its config on the meta device (no weights are read), or
  ``bases.<name>.params`` (a hub model that is not here, a base still to be pretrained).
* SFT tokens per step: rows per step (batch x gradient accumulation) x the mean tokens of a sample
  of the arm's own SFT rows, written by the program and counted with the base's tokenizer (a regex
  estimate when the base is not on disk), each cut at ``max_length``.
* RL tokens per step: completions per step x (mean prompt tokens + ``max_completion_length`` x
  ``revise_attempts``): completions are planned at their budget, the most an RL step can cost -- a
  base that does not stop yet writes that much; a verify-and-revise episode may use every attempt.
* λ: ``generation_factor`` when set, else the paper's definition from those lengths.
* An arm that starts from another arm's checkpoint carries that stage's planned FLOPs there
  (``final``: its last step; ``step-N``; ``early``: its first evaluation). ``peak`` is only known
  after training and is refused here.

Planned for one process: with several, rows per step grow with the world size; give points for that.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from habits.compute import ComputeMatchError, cumulative_flops, match_compute, measured_lambda
from habits.train.runs import prompt_text

if TYPE_CHECKING:
    from habits.pipeline_config import PipelineConfig

SAMPLE = 24  # rows / prompts whose length stands for the rest


@dataclass
class StagePlan:
    """One training stage of an arm: planned FLOPs per step and the number of steps."""

    stage: str
    per_step: float
    steps: int
    first_eval: int  # the first periodic evaluation step (an ``early`` start's checkpoint)


def plan_eval_steps(config: PipelineConfig) -> dict[str, dict[str, list[int]]]:
    """``{arm: {stage: [steps]}}``: where each listed arm evaluates so that its points fall at ``compute.points``.

    Raises :class:`habits.configs.ConfigError` naming the file and line of ``compute.points``, the
    arm that cannot match it and every listed arm's planned range.
    """
    spec = config.compute
    plans: dict[str, list[StagePlan]] = {}
    series = {}
    for arm in spec.arms or list(config.arms):
        series[arm] = planned_series(config, arm, plans)
    try:
        matched = match_compute(series, spec.points, tolerance=spec.tolerance)
    except ComputeMatchError as exc:
        raise config.where("compute", ("compute",)).error(f"{exc} (planned FLOPs: {_ranges(series)})",
                                                          "points") from None
    out: dict[str, dict[str, list[int]]] = {}
    for arm, indices in matched.items():
        steps: dict[str, list[int]] = {}
        offset = 0
        for stage in plans[arm]:
            local = [i - offset for i in indices if offset < i <= offset + stage.steps]
            # and the stage's last step: the curve runs to the end of training, past the shared grid
            steps[stage.stage] = sorted({*local, stage.steps})
            offset += stage.steps
        out[arm] = steps
    return out


def _ranges(series: dict[str, list[float]]) -> str:
    return "; ".join(f"{arm} {values[0]:.3g} to {values[-1]:.3g}" for arm, values in series.items())


def arm_plan(config: PipelineConfig, arm: str) -> list[StagePlan]:
    """The planned stages of ``arm`` (per-step FLOPs and step counts), in order."""
    configs = config.stage_configs(arm, config.seeds[0], model="<model>")
    n_params = base_params(config, config.arms[arm].base)
    count = _counter(config, config.arms[arm].base)
    plans = []
    for stage in config.arms[arm].stages:
        settings = configs[stage]
        args = settings.args
        rows = args.per_device_train_batch_size * args.gradient_accumulation_steps
        if hasattr(args, "num_generations"):  # on-policy RL (TRL's generating trainers), as FlopsCallback decides
            prompt = _prompt_tokens(config, count)
            # a verify-and-revise rollout holds up to revise_attempts answers (and the feedback between)
            completion = float(args.max_completion_length) * settings.revise_attempts
            passes = int(args.num_iterations)
            tokens = rows * (prompt + completion)  # D_RL per step: a rollout is trained on in `passes` steps
            lam = settings.generation_factor
            if lam is None:
                lam = measured_lambda(prompt, completion, passes)
            steps = args.max_steps
            per_step = 6.0 * n_params * tokens + 2.0 * n_params * lam * tokens
        else:  # SFT on the arm's priming rows
            tokens = rows * _sft_row_tokens(config, arm, count, args.max_length)
            steps = args.max_steps if args.max_steps > 0 else math.ceil(
                args.num_train_epochs * math.ceil(config.priming.n / rows))
            per_step = 6.0 * n_params * tokens
        plans.append(StagePlan(stage, per_step, int(steps), int(getattr(settings, "eval_every", 0) or steps)))
    return plans


def planned_series(config: PipelineConfig, arm: str, plans: dict[str, list[StagePlan]] | None = None) -> list[float]:
    """Cumulative planned FLOPs of ``arm`` after step 0, 1, … of its stages, one after another.

    ``plans``: arms' stage plans made so far (filled in as needed, so shared starts are planned once).
    """
    plans = {} if plans is None else plans
    if arm not in plans:
        plans[arm] = arm_plan(config, arm)
    start = start_flops(config, arm, plans)
    series = [start]
    for stage in plans[arm]:
        series += cumulative_flops(stage.per_step, stage.steps, start=series[-1])[1:]
    return series


def start_flops(config: PipelineConfig, arm: str, plans: dict[str, list[StagePlan]]) -> float:
    """Planned FLOPs behind the model ``arm`` starts from (0 for a base)."""
    start = config.arms[arm].start
    if start is None:
        return 0.0
    if start.checkpoint == "peak":
        raise config.where(f"arms.{arm}.start", ("arms", arm, "start")).error(
            f"arm {arm!r} starts from the peak checkpoint, which is known only after training, so its compute "
            "cannot be planned; leave it out of compute.arms or start from final, early or step-N", "checkpoint")
    if start.arm not in plans:
        plans[start.arm] = arm_plan(config, start.arm)
    before = start_flops(config, start.arm, plans)
    for stage in plans[start.arm]:
        if stage.stage == start.stage:
            step = {"final": stage.steps, "early": stage.first_eval}.get(start.checkpoint)
            if step is None:
                step = int(start.checkpoint.removeprefix("step-"))
            return before + stage.per_step * min(step, stage.steps)
        before += stage.per_step * stage.steps
    return before


def base_params(config: PipelineConfig, base: str) -> float:
    """N of ``base``: its ``params`` setting, or counted from its config without loading weights."""
    from habits.pipeline import base_model_dir

    spec = config.bases[base]
    if spec.params:
        return float(spec.params)
    path = Path(base_model_dir(config, base))
    if spec.pretrain is not None or not (path / "config.json").is_file():
        raise config.where(f"bases.{base}", ("bases", base)).error(
            f"compute.points needs the parameter count of base {base!r} to plan FLOPs, but "
            f"{'it is still to be pretrained' if spec.pretrain is not None else f'{path} has no config.json here'}; "
            "set its `params` (e.g. params: 3.2e9)", "params" if spec.params is not None else "model")
    return float(count_from_config(path))


def count_from_config(path: str | Path) -> int:
    """Parameters of the model described by ``path``/config.json, built on the meta device."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText

    model_config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    with torch.device("meta"):
        try:
            model = AutoModelForCausalLM.from_config(model_config)
        except ValueError:  # a vision-language model
            model = AutoModelForImageTextToText.from_config(model_config)
    return sum(p.numel() for p in model.parameters())


def _counter(config: PipelineConfig, base: str) -> Any:
    from habits.pipeline import base_model_dir
    from habits.traces.tokens import token_counter

    path = Path(base_model_dir(config, base))
    return token_counter(path if (path / "tokenizer_config.json").is_file() else None)


def _sft_row_tokens(config: PipelineConfig, arm: str, count: Any, max_length: int | None) -> float:
    """Mean tokens of a sample of ``arm``'s SFT rows (prompt + completion), each cut at ``max_length``."""
    from habits.tasks import get_task
    from habits.traces.rows import make_rows

    spec = config.arms[arm]
    lengths = []
    for part in spec.data_parts():
        task = get_task(config.task, **{**config.task_args, **part})
        problems = task.iter_generate(max(1, SAMPLE // len(spec.data_parts())), split="train", stream="prime")
        for row in make_rows(task, spec.condition, problems, register=config.priming.register,
                             budget=config.priming.budget):
            length = count(prompt_text(row["prompt"]) + prompt_text(row["completion"]))
            lengths.append(min(length, max_length) if max_length else length)
    return statistics.fmean(lengths)


def _prompt_tokens(config: PipelineConfig, count: Any) -> float:
    from habits.tasks import get_task

    task = get_task(config.task, **config.task_args)
    return statistics.fmean(count(prompt_text(task.prompt(p))) for p in task.iter_generate(SAMPLE, split="train",
                                                                                      stream="rl"))
