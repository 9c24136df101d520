"""Run configurations for SFT priming and RL: dataclasses with help text, loaded from YAML.

A recipe is a YAML file whose keys are the fields below (``stage: sft`` or ``stage: rl`` says
which); ``--set key=value`` overrides any field, dotted for nested ones (``lora.r=8``,
``task_args.max_numbers=3``, ``trl.warmup_steps=5``). Every value is checked in ``__post_init__``
-- before torch is imported or a model is loaded -- and errors say what to change.

The fields cover what the papers vary. Anything else TRL offers goes through ``trl:``, a mapping
passed unchanged to ``trl.SFTConfig`` / ``trl.GRPOConfig`` (so nothing TRL can do is hidden).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from habits.fieldcheck import load_yaml
from habits.fields import described as _help

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
# GRPO loss aggregations TRL implements (trl.GRPOConfig.loss_type).
LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")
SFT_COLUMNS = ("auto", "prompt_completion", "messages")




@dataclass
class LoraArgs:
    """Optional LoRA adapters (peft). Off by default: the papers fine-tune all weights."""

    enabled: bool = _help("Train LoRA adapters instead of all weights.", False)
    r: int = _help("LoRA rank.", 16)
    alpha: int = _help("LoRA alpha (scaling = alpha / r).", 32)
    dropout: float = _help("Dropout on the LoRA branch.", 0.05)
    target_modules: Any = _help("Modules to adapt: 'all-linear' or a list of module names.", "all-linear")

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"lora.r must be >= 1, got {self.r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"lora.dropout must be in [0, 1), got {self.dropout}")


@dataclass
class RunConfig:
    """Fields shared by every training stage."""

    model: str = _help("Model to start from: a local directory (config.json + weights) or a hub id.", "")
    output_dir: str = _help("Run directory: resolved config, checkpoints, metrics.jsonl, summary.json, model/.",
                            "runs/train")
    seed: int = _help("Random seed (data order, sampling, initialisation of adapters).", 0)
    learning_rate: float = _help("Peak learning rate.", 1e-5)
    lr_scheduler_type: str = _help("Learning-rate schedule (transformers name: cosine, linear, constant, ...).",
                                   "cosine")
    warmup_ratio: float = _help("Share of the steps spent warming the learning rate up.", 0.03)
    weight_decay: float = _help("AdamW weight decay.", 0.0)
    max_grad_norm: float = _help("Gradient clipping norm.", 1.0)
    per_device_train_batch_size: int = _help("Sequences per device per micro-step.", 8)
    gradient_accumulation_steps: int = _help("Micro-steps per optimizer step.", 1)
    max_steps: int = _help("Optimizer steps; -1 means use num_train_epochs.", -1)
    num_train_epochs: float = _help("Passes over the data (when max_steps is -1).", 1.0)
    logging_steps: int = _help("Log (metrics.jsonl, TensorBoard) every this many steps.", 1)
    save_steps: int = _help("Save a resumable checkpoint every this many steps.", 50)
    save_total_limit: int | None = _help("Keep at most this many checkpoints (oldest deleted); null keeps all.", 2)
    precision: str = _help("auto (bf16 on GPUs that support it, else fp32), bf16, fp16 or fp32.", "auto")
    gradient_checkpointing: bool = _help("Recompute activations in the backward pass (saves memory on GPUs).",
                                         False)
    report_to: list[str] = _help("Loggers besides metrics.jsonl: tensorboard, wandb, trackio, or [] for none.",
                                 factory=lambda: ["tensorboard"])
    run_name: str | None = _help("Name shown in TensorBoard / wandb; defaults to the output directory name.", None)
    resume: str = _help("'auto': continue from the last complete checkpoint in output_dir if there is one; "
                        "'never': start over; or a checkpoint directory.", "auto")
    torch_threads: int | None = _help("CPU threads for torch (null: torch's default). 1 is fastest on a busy "
                                      "2-core machine.", None)
    lora: LoraArgs = _help("LoRA settings.", factory=LoraArgs)
    trl: dict[str, Any] = _help("Extra keyword arguments for the TRL config class, passed unchanged.",
                                factory=dict)

    stage: str = ""  # set by subclasses; a recipe's `stage:` must match

    def __post_init__(self) -> None:
        if isinstance(self.lora, dict):
            self.lora = build(LoraArgs, self.lora, "lora")
        if not self.model or not isinstance(self.model, str):
            raise ValueError("model is required: a model directory (e.g. runs/tiny/model) or a hub id "
                             "(e.g. Qwen/Qwen2.5-3B)")
        if not self.output_dir:
            raise ValueError("output_dir is required")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        for name in ("per_device_train_batch_size", "gradient_accumulation_steps", "logging_steps", "save_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_steps == 0 or self.max_steps < -1:
            raise ValueError(f"max_steps must be -1 (use num_train_epochs) or >= 1, got {self.max_steps}")
        if self.max_steps == -1 and self.num_train_epochs <= 0:
            raise ValueError("num_train_epochs must be > 0 when max_steps is -1")
        if isinstance(self.report_to, str):
            self.report_to = [] if self.report_to in ("none", "") else [self.report_to]
        if not isinstance(self.trl, dict):
            raise ValueError(f"trl must be a mapping of extra TRL config arguments, got {type(self.trl).__name__}")
        if self.torch_threads is not None and self.torch_threads < 1:
            raise ValueError(f"torch_threads must be >= 1 or null, got {self.torch_threads}")

    # -- checks that touch the filesystem (run by main(), not by loading a recipe) -------------
    def check_inputs(self) -> None:
        """Raise ValueError if the model is a path that does not exist (done before loading anything)."""
        check_model_path(self.model)
        if self.resume not in ("auto", "never") and not Path(self.resume).is_dir():
            raise ValueError(f"resume: checkpoint directory {self.resume} does not exist; use 'auto' or 'never'")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (callables given from Python appear as ``module:name``), for config.yaml."""
        return _plain(dataclasses.asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or type(value).__qualname__
    return f"{getattr(value, '__module__', type(value).__module__)}:{name}"


def check_model_path(model: str) -> None:
    """Accept an existing model directory or something shaped like a hub id; reject a missing local path."""
    path = Path(model).expanduser()
    if path.is_dir():
        from habits.preflight import model_dir_problem

        problem = model_dir_problem(path)  # config.json readable, weights present and whole
        if problem:
            raise ValueError(f"model directory {model} {problem}; point `model` at a saved Hugging Face model "
                             "(save_pretrained output), e.g. <run>/model or a checkpoint-N directory")
        return
    looks_local = model.startswith((".", "/", "~")) or model.count("/") != 1 or path.parent.is_dir()
    if looks_local or not re.fullmatch(r"[\w.-]+/[\w.-]+", model):
        raise ValueError(f"model directory {model} does not exist; build the tiny model first "
                         "(see docs/training.md) or give a hub id such as Qwen/Qwen2.5-3B")



@dataclass
class SFTConfig(RunConfig):
    """SFT priming (``habits train sft``): TRL SFTTrainer on prompt/completion rows, loss on the completion.

    Defaults follow the first paper's priming: 5 epochs, learning rate 1e-5, cosine schedule with warm-up.
    """

    data: str = _help("Priming rows: JSONL or Parquet with prompt + completion columns, or chat `messages`.", "")
    eval_data: str | None = _help("Optional held-out rows in the same format (loss logged at each save).", None)
    columns: str = _help("Which columns to train on: 'auto' (prompt/completion if present, else messages), "
                         "'prompt_completion' or 'messages'.", "auto")
    limit: int | None = _help("Use only the first N rows (null: all).", None)
    max_length: int = _help("Truncate prompt + completion to this many tokens.", 2048)
    completion_only_loss: bool = _help("Loss on the completion tokens only (the prompt is context).", True)
    packing: bool = _help("Pack several rows into one sequence (faster on GPUs; off keeps rows separate).", False)
    num_train_epochs: float = _help("Passes over the priming data.", 5.0)
    warmup_ratio: float = _help("Share of the steps spent warming the learning rate up.", 0.1)
    stage: str = "sft"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.data:
            raise ValueError("data is required: a JSONL/Parquet file of priming rows (prompt + completion, or "
                             "messages), e.g. written by `habits traces` / the priming-data step")
        if self.columns not in SFT_COLUMNS:
            raise ValueError(f"columns must be one of {', '.join(SFT_COLUMNS)}, got {self.columns!r}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 or null, got {self.limit}")
        if self.max_length < 16:
            raise ValueError(f"max_length must be at least 16 tokens, got {self.max_length}")

    def check_inputs(self) -> None:
        super().check_inputs()
        for name in ("data", "eval_data"):
            value = getattr(self, name)
            if value and not Path(value).is_file():
                raise ValueError(f"{name}: {value} does not exist")


@dataclass
class RLConfig(RunConfig):
    """Outcome-reward RL (``habits train rl``): TRL GRPOTrainer with the task's exact reward.

    Defaults follow the first paper where GRPO allows (lr 1e-6, KL 0.001, 4 rollouts, temperature 1.0,
    1,024-token responses); the batch size is per device -- see the GPU recipes for 256 prompts/step.
    """

    task: str = _help("Task name (habits tasks list): countdown, general_points, ...", "countdown")
    task_args: dict[str, Any] = _help("Task config fields, e.g. {max_numbers: 3, prompt_style: chat}.",
                                      factory=dict)
    reward: str | None = _help("Reward scheme of the task (tinyzero, binary, paper, ...); null: task default.",
                               None)
    format_reward: float = _help("Weight of a format reward (1 if the completion closes </think> and has an "
                                 "<answer> block, DOTALL); 0 disables it. Countdown only.", 0.0)
    extra_rewards: list[Any] = _help("More reward functions as 'module:function' import paths (TRL contract); "
                                     "from Python, callables too. Each has weight 1.", factory=list)
    train_size: int | None = _help("Training problems from the task's train split; null: exactly as many as "
                                   "max_steps uses (generated once, cached in the run directory).", None)
    train_file: str | None = _help("Use problems from this JSONL/Parquet (a `problem` column, as written by "
                                   "`habits tasks generate`) instead of generating them.", None)
    train_stream: str | None = _help("Generate training problems from one stream of the train split (pretrain, "
                                     "prime or rl: disjoint problem sets); null: the whole train split.", None)
    num_generations: int = _help("Completions per prompt (the GRPO group); the paper's PPO used 4 rollouts.", 4)
    temperature: float = _help("Sampling temperature for rollouts.", 1.0)
    top_p: float = _help("Nucleus sampling for rollouts (1.0: off).", 1.0)
    max_completion_length: int = _help("Most tokens per completion (per attempt when revise_attempts > 1).", 1024)
    loss_type: str = _help(f"GRPO loss aggregation: {', '.join(LOSS_TYPES)}.", "dapo")
    beta: float = _help("KL coefficient against the initial model (0 skips the reference model).", 0.001)
    epsilon: float = _help("PPO-style clipping range of the importance ratio.", 0.2)
    num_iterations: int = _help("Optimisation passes over each generated batch (mu).", 1)
    scale_rewards: str = _help("Advantage scaling: group (std within the group), batch, or none (Dr. GRPO).",
                               "group")
    mask_truncated_completions: bool = _help("Leave completions cut at max_completion_length out of the loss.",
                                             False)
    revise_attempts: int = _help("Verify-and-revise attempts per rollout: after a wrong answer the verifier's "
                                 "reason is sent back and the model tries again (1: single attempt).", 1)
    revise_feedback: str = _help("Feedback message after a wrong attempt; {detail} and {reason} are filled in.",
                                 "You failed this trial because {detail}. Please try again.")
    eval_every: int = _help("Greedy evaluation on eval_splits every this many steps (0: never).", 10)
    eval_at_start: bool = _help("Also evaluate at step 0, before any update, so curves start at the initial "
                                "model (one evaluation more; only when eval_every > 0).", True)
    eval_n: int = _help("Problems per split in the periodic evaluation.", 32)
    eval_splits: list[str] = _help("Splits for the periodic evaluation (test = ID, ood = OOD).",
                                   factory=lambda: ["test", "ood"])
    eval_max_new_tokens: int | None = _help("Token budget of the periodic evaluation (null: max_completion_length).",
                                            None)
    behaviors: bool = _help("Count the four behaviors in every step's completions (offline lexical classifier).",
                            True)
    use_vllm: bool = _help("Generate rollouts with vLLM (GPU; pip install -e '.[vllm]').", False)
    vllm_mode: str = _help("colocate (vLLM inside the training processes) or server (`trl vllm-serve`).",
                           "colocate")
    vllm_server_base_url: str | None = _help("Server mode: URL of `trl vllm-serve` (e.g. http://host:8000).", None)
    vllm_gpu_memory_utilization: float = _help("Colocate mode: share of GPU memory vLLM may take.", 0.3)
    log_completions: bool = _help("Print / log a sample of completions at each logging step.", False)
    learning_rate: float = _help("Peak learning rate (paper: 1e-6 actor).", 1e-6)
    lr_scheduler_type: str = _help("Learning-rate schedule.", "constant")
    warmup_ratio: float = _help("Share of the steps spent warming the learning rate up.", 0.0)
    max_steps: int = _help("Optimizer steps (paper: ~250).", 250)
    per_device_train_batch_size: int = _help("Completions per device per micro-step (prompts x num_generations).",
                                             8)
    stage: str = "rl"

    def __post_init__(self) -> None:
        super().__post_init__()
        from habits.tasks import task_names

        names = task_names()
        if self.task not in names:
            raise ValueError(f"unknown task {self.task!r}; choose one of: {', '.join(names)}")
        if not isinstance(self.task_args, dict):
            raise ValueError(f"task_args must be a mapping of task config fields, got {type(self.task_args).__name__}")
        self.build_task()  # validates task_args and the reward scheme now, not after the model is loaded
        if self.max_steps < 1:
            raise ValueError("max_steps must be >= 1 for RL (problems are generated, there are no epochs)")
        if self.loss_type not in LOSS_TYPES:
            raise ValueError(f"loss_type must be one of {', '.join(LOSS_TYPES)}, got {self.loss_type!r}")
        if self.scale_rewards not in ("group", "batch", "none"):
            raise ValueError(f"scale_rewards must be group, batch or none, got {self.scale_rewards!r}")
        if self.beta < 0:
            raise ValueError(f"beta (KL coefficient) must be >= 0, got {self.beta}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0 for sampling rollouts, got {self.temperature}")
        if self.max_completion_length < 1:
            raise ValueError(f"max_completion_length must be >= 1, got {self.max_completion_length}")
        if self.revise_attempts < 1:
            raise ValueError(f"revise_attempts must be >= 1, got {self.revise_attempts}")
        if self.format_reward < 0:
            raise ValueError(f"format_reward is a weight and must be >= 0, got {self.format_reward}")
        if self.format_reward and self.task != "countdown":
            raise ValueError(f"format_reward checks <think>/<answer> tags, which {self.task} prompts do not ask "
                             "for; set format_reward: 0")
        if self.train_size is not None and self.train_size < 1:
            raise ValueError(f"train_size must be >= 1, got {self.train_size}")
        from habits.tasks.base import STREAMS

        if self.train_stream is not None and self.train_stream not in STREAMS:
            raise ValueError(f"train_stream must be one of {', '.join(STREAMS)} (or null), got {self.train_stream!r}")
        if self.eval_every < 0 or self.eval_n < 1:
            raise ValueError("eval_every must be >= 0 and eval_n >= 1")
        from habits.tasks import SPLITS

        bad = [s for s in self.eval_splits if s not in SPLITS]
        if bad:
            raise ValueError(f"eval_splits: unknown split(s) {', '.join(bad)}; choose from {', '.join(SPLITS)}")
        if self.vllm_mode not in ("colocate", "server"):
            raise ValueError(f"vllm_mode must be colocate or server, got {self.vllm_mode!r}")
        self.check_batch()

    def build_task(self) -> Any:
        from habits.tasks import get_task

        args = dict(self.task_args)
        if self.reward is not None:
            args["reward"] = self.reward
        return get_task(self.task, **args)

    def check_batch(self, processes: int | None = None) -> None:
        """GRPO needs whole groups: completions per generation batch must be a multiple of num_generations."""
        g = self.num_generations
        if g < 2:
            raise ValueError(f"num_generations must be >= 2 (GRPO compares completions within a group), got {g}")
        processes = processes or world_size()
        steps = self.trl.get("steps_per_generation") or self.gradient_accumulation_steps
        batch = self.trl.get("generation_batch_size") or self.per_device_train_batch_size * processes * steps
        if batch % g:
            per_device = self.per_device_train_batch_size
            suggestion = max(g, (per_device // g) * g) if per_device >= g else g
            raise ValueError(
                f"GRPO cannot split {batch} completions per generation batch (per_device_train_batch_size "
                f"{per_device} x {processes} process(es) x {steps} accumulation steps) into groups of "
                f"num_generations={g}; set per_device_train_batch_size to a multiple of {g} "
                f"(e.g. {suggestion}) or change num_generations")

    def prompts_needed(self, processes: int | None = None) -> int:
        """Distinct prompts ``max_steps`` optimizer steps consume (each is sampled num_generations times)."""
        processes = processes or world_size()
        completions = self.per_device_train_batch_size * processes * self.gradient_accumulation_steps
        return -(-self.max_steps * completions // (self.num_generations * self.num_iterations))

    def check_inputs(self) -> None:
        super().check_inputs()
        if self.train_file and not Path(self.train_file).is_file():
            raise ValueError(f"train_file: {self.train_file} does not exist")
        from habits.vision import check_vision

        task = self.build_task()
        check_vision(self.model, task)
        if task.shows_images and self.revise_attempts > 1:
            raise ValueError("revise_attempts > 1 is not supported for image tasks yet (the revise rollout tokenises "
                             "text only); set revise_attempts: 1")
        if self.use_vllm:  # TRL needs vllm installed in colocate and server mode alike
            from importlib.util import find_spec

            if find_spec("vllm") is None:
                raise ValueError("use_vllm: vLLM is not installed; pip install -e '.[vllm]' on a GPU machine, "
                                 "or set use_vllm: false")

# -- loading ------------------------------------------------------------------------------------
def build(cls: type, values: dict[str, Any], where: str = "config") -> Any:
    """``cls(**values)`` with unknown keys reported by name, with the closest known field suggested."""
    if not isinstance(values, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(values).__name__}")
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - known)
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        from habits.fieldcheck import place

        raise ValueError(place(f"{where}: unknown field(s) {', '.join(hints)}; known fields: {', '.join(sorted(known))}",
                               where, unknown[0]))
    from habits.fieldcheck import construct

    return construct(cls, values, where)  # value types checked; errors placed at file:line


def apply_overrides(values: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Set dotted keys (``lora.r``) in a nested dict; returns a new dict."""
    out = {key: (dict(value) if isinstance(value, dict) else value) for key, value in values.items()}
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        target = out
        for part in parts[:-1]:
            node = target.get(part)
            if node is None:
                node = target[part] = {}
            elif not isinstance(node, dict):
                raise ValueError(f"--set {dotted}: {part} is not a mapping")
            else:
                node = target[part] = dict(node)
            target = node
        target[parts[-1]] = value
    return out


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such config file")
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}  # 1e-5 is a number; duplicate keys refused
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValueError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a recipe must be a mapping of field: value, got {type(data).__name__}")
    return data


def config_classes() -> dict[str, type]:
    """Stage name -> config class of every stage a recipe can name (:mod:`habits.stages`)."""
    from habits.stages import get_stage, stage_names

    return {name: get_stage(name).config_class() for name in stage_names()}


def stage_of(path: str | Path, data: dict[str, Any]) -> str | None:
    """The stage a recipe belongs to: its ``stage:`` key, else the name of its directory (configs/rl/...)."""
    from habits.stages import stage_names

    if "stage" in data:
        return str(data["stage"])
    parent = Path(path).parent.name
    return parent if parent in stage_names() else None


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None, stage: str | None = None,
                base: dict[str, Any] | None = None) -> Any:
    """Read a recipe (or start from ``base``), apply overrides, validate, return the stage's config object."""
    data = dict(base or {})
    if path is not None:
        data.update(read_yaml(path))
    data = apply_overrides(data, overrides or {})
    found = stage_of(path or "", data) or stage
    if stage is not None and found != stage:
        raise ValueError(f"{path}: this is a {found!r} recipe, not {stage!r}; use `habits {_command(found)}`")
    from habits.stages import STAGES, get_stage

    if found not in STAGES:
        raise ValueError(f"{path}: unknown stage {found!r}; set `stage:` to one of {', '.join(STAGES)}")
    data.pop("stage", None)
    return build(get_stage(found).config_class(), data, str(path) if path else found)


def _command(stage: str | None) -> str:
    from habits.stages import STAGES, get_stage

    return get_stage(stage).command if stage in STAGES else f"<{stage}>"


def describe(cls: type) -> list[tuple[str, str, str]]:
    """(name, default, help) for each field: the text of ``--help-config``."""
    rows = []
    for f in dataclasses.fields(cls):
        if not f.init or f.name == "stage":
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
            default = repr(dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value)
        else:
            default = "(required)"
        rows.append((f.name, default, f.metadata.get("help", "")))
    return rows


def world_size() -> int:
    """Processes this run will use (accelerate/torchrun set WORLD_SIZE), for batch checks before launch."""
    return int(os.environ.get("WORLD_SIZE", "1"))
