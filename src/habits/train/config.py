"""Run configurations for SFT priming and RL: habits' own fields, plus TRL's, forwarded by name.

A recipe is a YAML file (``stage: sft`` or ``stage: rl``) read by :mod:`habits.configs`. Its keys
are either the fields below -- what habits adds: the task, rewards, verify-and-revise, periodic
ID/OOD evaluation, the run directory, LoRA, precision -- or **any field of** ``trl.SFTConfig`` /
``trl.GRPOConfig`` under its TRL name (``epsilon_high: 0.28``, ``importance_sampling_level:
sequence``, ``steps_per_generation: 4``, ``use_vllm: true``, ...). TRL's fields are collected into
``config.trl`` and validated by constructing TRL's own config class when the recipe is loaded, so
a typo fails before any model is loaded, naming the file, the line and the closest known field.

Where habits' default for a TRL field differs from TRL's, it is in ``TRL_DEFAULTS`` below with the
reason (the first paper's settings; a metrics line per step). An RL recipe may start from a named
``preset`` (:mod:`habits.train.presets`); the recipe's own values win over the preset's.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from habits.configs import ConfigError, Forwarding, Where, apply_overrides, build, described, load_recipe, plain

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
SFT_COLUMNS = ("auto", "prompt_completion", "messages")
CURRICULA = ("uniform", "solve_rate")


@dataclass
class LoraArgs:
    """Optional LoRA adapters (peft). Off by default: the papers fine-tune all weights."""

    enabled: bool = described("Train LoRA adapters instead of all weights.", False)
    r: int = described("LoRA rank.", 16)
    alpha: int = described("LoRA alpha (scaling = alpha / r).", 32)
    dropout: float = described("Dropout on the LoRA branch.", 0.05)
    target_modules: Any = described("Modules to adapt: 'all-linear' or a list of module names.", "all-linear")

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ConfigError(f"lora.r must be >= 1, got {self.r}", "r")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"lora.dropout must be in [0, 1), got {self.dropout}", "dropout")


@dataclass
class RunConfig:
    """Fields habits adds to every training stage; every other field is TRL's (see ``trl``)."""

    # Habits' defaults for TRL fields, where they differ from TRL's; each subclass adds its own.
    TRL_DEFAULTS: ClassVar[dict[str, Any]] = {
        "logging_steps": 1,  # metrics.jsonl holds every step, as the papers' curves need
        "logging_first_step": True,
        "save_steps": 50,  # resumable often enough on a CPU
        "save_total_limit": 2,
        "report_to": ["tensorboard"],
        "activation_checkpointing": False,  # TRL turns it on; it only pays on GPUs (the GPU recipes set it)
        "disable_tqdm": False,
    }
    # TRL fields habits sets from its own fields: field -> what to set instead.
    RESERVED: ClassVar[dict[str, str]] = {
        "bf16": "set `precision: bf16` (auto, bf16, fp16 or fp32)",
        "fp16": "set `precision: fp16` (auto, bf16, fp16 or fp32)",
    }

    model: str = described("Model to start from: a local directory (config.json + weights) or a hub id; the "
                           "default is the tiny base shipped with the repository.", "models/tiny-countdown")
    output_dir: str = described("Run directory: resolved config, checkpoints, metrics.jsonl, summary.json, model/.",
                                "runs/train")
    seed: int = described("Random seed (problems, data order, sampling, initialisation of adapters).", 0)
    precision: str = described("auto (bf16 on GPUs that support it, else fp32), bf16, fp16 or fp32.", "auto")
    resume: str = described("'auto': continue from the last complete checkpoint in output_dir if there is one; "
                            "'never': start over; or a checkpoint directory.", "auto")
    torch_threads: int | None = described("CPU threads for torch (null: torch's default). 1 is fastest on a busy "
                                          "2-core machine.", None)
    lora: LoraArgs = described("LoRA settings.", factory=LoraArgs)
    start_flops: float = described("Training FLOPs the arm spent before this stage (the pipeline sets it), so "
                                   "compute/flops in metrics.jsonl is the arm's running total.", 0.0)
    drift_probes: int = described("Probe prompts for drift/kl_to_start (KL to the start model, logged at each "
                                  "periodic evaluation); 0: off.", 16)
    trl: dict[str, Any] = described("TRL fields (written at the top level of a recipe), validated by TRL's "
                                    "config class and passed to it unchanged.", factory=dict)

    stage: str = ""  # set by subclasses; a recipe's `stage:` must match

    @classmethod
    def trl_class(cls) -> type:
        raise NotImplementedError

    @classmethod
    def forwarding(cls) -> Forwarding:
        target = cls.trl_class()
        names = {f.name for f in dataclasses.fields(target)}
        # Older spellings, kept so recipes written for transformers 4 stay valid.
        aliases = {"warmup_ratio": "warmup_steps", "gradient_checkpointing": "activation_checkpointing"}
        return Forwarding(into="trl", target=target, reserved=cls.RESERVED,
                          aliases={old: new for old, new in aliases.items() if new in names and old != new})

    @classmethod
    def trl_defaults(cls) -> dict[str, Any]:
        names = {f.name for f in dataclasses.fields(cls.trl_class())}
        defaults: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):  # a subclass's defaults win over its parent's
            defaults.update(vars(klass).get("TRL_DEFAULTS", {}))
        if "activation_checkpointing" not in names:  # transformers < 5 has only the old name
            defaults["gradient_checkpointing"] = defaults.pop("activation_checkpointing")
        return defaults

    def preset_values(self) -> dict[str, Any]:
        return {}

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        """Named settings a recipe may start from (``preset: NAME``), for ``--help-config``."""
        return {}

    def __post_init__(self) -> None:
        if isinstance(self.lora, dict):
            self.lora = build(LoraArgs, self.lora, "lora")
        if not self.model or not isinstance(self.model, str):
            raise ConfigError("model is required: a model directory (e.g. runs/tiny/model) or a hub id "
                              "(e.g. Qwen/Qwen2.5-3B)", "model")
        if not self.output_dir:
            raise ConfigError("output_dir is required", "output_dir")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}", "precision")
        if self.start_flops < 0 or self.drift_probes < 0:
            raise ConfigError("start_flops and drift_probes must be >= 0", "start_flops" if self.start_flops < 0
                              else "drift_probes")
        if self.torch_threads is not None and self.torch_threads < 1:
            raise ConfigError(f"torch_threads must be >= 1 or null, got {self.torch_threads}", "torch_threads")
        if not isinstance(self.trl, dict):
            raise ConfigError(f"trl must be a mapping of TRL fields, got {type(self.trl).__name__}", "trl")
        given = dict(self.trl)
        defaults = self.trl_defaults()
        if "gradient_checkpointing" in given and "activation_checkpointing" in defaults:
            defaults.pop("activation_checkpointing")
        self.trl = {**defaults, **self.preset_values(), **given}
        self.args = self.trl_args()  # TRL validates its own fields now, before any model is loaded
        _check_documented_choices(self.trl_class(), self.args, given)

    def trl_args(self, **derived: Any) -> Any:
        """The TRL config object (``trl.SFTConfig`` / ``trl.GRPOConfig``) this run trains with."""
        import torch

        cls = self.trl_class()
        values = {**self.trl, "output_dir": self.output_dir, "seed": self.seed, **precision_flags(self.precision),
                  **self.derived_trl(), **derived}
        values.setdefault("run_name", Path(self.output_dir).name)
        values.setdefault("use_cpu", not torch.cuda.is_available())
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"trl.{cls.__name__} refuses these settings: {exc}") from None

    def derived_trl(self) -> dict[str, Any]:
        """TRL fields this stage sets from its own fields."""
        return {}

    # -- checks that touch the filesystem (run by main(), not by loading a recipe) -------------
    def check_inputs(self) -> None:
        """Raise ValueError if the model is a path that does not exist (done before loading anything)."""
        check_model_path(self.model)
        if self.resume not in ("auto", "never") and not Path(self.resume).is_dir():
            raise ConfigError(f"resume: checkpoint directory {self.resume} does not exist; use 'auto' or 'never'")

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as a flat recipe (TRL fields at the top level), for config.yaml and --check."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("trl", "stage")}
        return plain({**values, **self.trl})


def precision_flags(precision: str) -> dict[str, bool]:
    """bf16/fp16 flags for the TRL config; 'auto' picks bf16 on GPUs that support it, else fp32.

    Weights load in float32 (TRL's default; no dtype is passed) and bf16 is autocast only: pure-bf16
    weights would round away the paper's 1e-6-learning-rate updates.
    """
    import torch

    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def _check_documented_choices(cls: type, args: Any, given: dict[str, Any]) -> None:
    """Refuse a value outside the choices TRL's own help text lists (e.g. ``loss_type: dapoo``).

    TRL checks some of these only when the loss is first computed, after the model is loaded. Only
    string fields TRL itself declares are checked, and only where the help text quotes the default
    among the choices, so an incomplete help text never refuses a value TRL accepts.
    """
    import difflib

    for f in dataclasses.fields(cls):
        if f.name not in given or f.type not in (str, "str") or not isinstance(f.default, str):
            continue
        owner = next((k for k in cls.__mro__ if f.name in vars(k).get("__annotations__", {})), None)
        if owner is None or not owner.__module__.startswith("trl."):
            continue
        text = f.metadata.get("help", "")
        listed = [s for s in re.split(r"(?<=\.)\s", text) if "Supported values" in s]
        choices = sorted(set(re.findall(r"'([A-Za-z0-9_\-]+)'", listed[0] if listed else text)))
        value = getattr(args, f.name)
        if len(choices) < 2 or f.default not in choices or value in choices:
            continue
        close = difflib.get_close_matches(str(value), choices, n=1)
        raise ConfigError(f"{value!r} is not one of the values TRL documents for {f.name} ({', '.join(choices)})"
                          + (f"; did you mean {close[0]!r}?" if close else ""), f.name)


def check_model_path(model: str) -> None:
    """Accept an existing model directory or something shaped like a hub id; reject a missing local path."""
    path = Path(model).expanduser()
    if path.is_dir():
        from habits.preflight import model_dir_problem

        problem = model_dir_problem(path)  # config.json readable, weights present and whole
        if problem:
            raise ConfigError(f"model directory {model} {problem}; point `model` at a saved Hugging Face model "
                              "(save_pretrained output), e.g. <run>/model or a checkpoint-N directory", "model")
        return
    looks_local = model.startswith((".", "/", "~")) or model.count("/") != 1 or path.parent.is_dir()
    if looks_local or not re.fullmatch(r"[\w.-]+/[\w.-]+", model):
        raise ConfigError(f"model directory {model} does not exist; build the tiny model first "
                          "(see docs/training.md) or give a hub id such as Qwen/Qwen2.5-3B")


@dataclass
class SFTConfig(RunConfig):
    """SFT priming (``habits train sft``): TRL SFTTrainer on prompt/completion rows, loss on the completion.

    Defaults follow the first paper's priming: 5 epochs, learning rate 1e-5, cosine schedule with warm-up.
    """

    TRL_DEFAULTS: ClassVar[dict[str, Any]] = {
        "num_train_epochs": 5.0,  # the first paper's priming
        "learning_rate": 1e-5,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 0.1,  # below 1: a share of the total steps
        "max_length": 2048,  # a whole priming trace (TRL: 1024)
        "completion_only_loss": True,  # the prompt is context; only the trace is learned
    }
    RESERVED: ClassVar[dict[str, str]] = {
        **RunConfig.RESERVED,
        "eval_strategy": "give `eval_data`; the held-out loss is then logged every eval_steps (default save_steps)",
    }

    data: str = described("Priming rows: JSONL or Parquet with prompt + completion columns, or chat `messages`.", "")
    eval_data: str | None = described("Optional held-out rows in the same format (loss logged at each save).", None)
    columns: str = described("Which columns to train on: 'auto' (prompt/completion if present, else messages), "
                             "'prompt_completion' or 'messages'.", "auto")
    limit: int | None = described("Use only the first N rows (null: all).", None)
    task: str | None = described("Task of the periodic ID/OOD evaluation (null: none), as in RL: the SFT-vs-RL "
                                 "study follows held-out accuracy along SFT too.", None)
    task_args: dict[str, Any] = described("Task config fields of that evaluation.", factory=dict)
    eval_every: int = described("Greedy evaluation on eval_splits every this many steps (0: never; needs task).", 0)
    eval_at_start: bool = described("Also evaluate at step 0, before any update (only when eval_every > 0).", True)
    eval_at_steps: list[int] = described("Evaluate at these steps instead of every eval_every (the pipeline sets them "
                                         "from its equal-compute `compute.points`).", factory=list)
    eval_n: int = described("Problems per split in the periodic evaluation.", 32)
    eval_splits: list[str] = described("Splits for the periodic evaluation (test = ID, ood = OOD).",
                                       factory=lambda: ["test", "ood"])
    eval_max_new_tokens: int = described("Token budget of the periodic evaluation.", 512)
    behaviors: bool = described("Count the four behaviors in the periodic evaluation's completions.", True)
    stage: str = "sft"

    @classmethod
    def trl_class(cls) -> type:
        import trl

        return trl.SFTConfig

    def __post_init__(self) -> None:
        if not self.data:
            raise ConfigError("data is required: a JSONL/Parquet file of priming rows (prompt + completion, or "
                              "messages), e.g. written by `habits traces` / the priming-data step", "data")
        if self.columns not in SFT_COLUMNS:
            raise ConfigError(f"columns must be one of {', '.join(SFT_COLUMNS)}, got {self.columns!r}", "columns")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be >= 1 or null, got {self.limit}", "limit")
        if self.eval_every and not self.task:
            raise ConfigError("eval_every needs `task` (the task whose test/ood problems are evaluated)", "eval_every")
        if self.task:
            _check_task(self.task, self.task_args)
        _check_eval_schedule(self)
        super().__post_init__()

    def build_task(self) -> Any:
        from habits.tasks import get_task

        return get_task(self.task, **self.task_args)

    def derived_trl(self) -> dict[str, Any]:
        if not self.eval_data:
            return {"eval_strategy": "no"}
        return {"eval_strategy": "steps", "eval_steps": self.trl.get("eval_steps") or self.trl.get("save_steps")}

    def check_inputs(self) -> None:
        super().check_inputs()
        for name in ("data", "eval_data"):
            value = getattr(self, name)
            if value and not Path(value).is_file():
                raise ConfigError(f"{name}: {value} does not exist")


@dataclass
class RLConfig(RunConfig):
    """Outcome-reward RL (``habits train rl``): TRL GRPOTrainer with the task's exact reward.

    Defaults follow the first paper where GRPO allows (lr 1e-6, KL 0.001, 4 rollouts, temperature 1.0,
    1,024-token responses); the batch size is per device -- see the GPU recipes for 256 prompts/step.
    """

    TRL_DEFAULTS: ClassVar[dict[str, Any]] = {
        "learning_rate": 1e-6,  # the first paper's actor learning rate
        "lr_scheduler_type": "constant",
        "max_steps": 250,  # ~the first paper's run; problems are generated, there are no epochs
        "num_generations": 4,  # the paper's PPO used 4 rollouts per prompt
        "max_completion_length": 1024,  # the paper's response length
        "beta": 0.001,  # the paper's KL coefficient (TRL: 0, no reference model)
    }
    RESERVED: ClassVar[dict[str, str]] = {
        **RunConfig.RESERVED,
        "remove_unused_columns": "the reward reads the `problem` column, so habits keeps every column",
        "reward_weights": "set by `format_reward` (its weight) and `extra_rewards` (weight 1 each)",
        "eval_strategy": "habits evaluates greedily on ID/OOD problems: set eval_every, eval_n, eval_splits",
    }

    preset: str | None = described("A published GRPO variant to start from: dapo, dr_grpo or gspo (habits train rl "
                                   "--help-config lists their settings); the recipe's own values win.", None)
    task: str = described("Task name (habits tasks list): countdown, general_points, ...", "countdown")
    task_args: dict[str, Any] = described("Task config fields, e.g. {max_numbers: 3, prompt_style: chat}.",
                                          factory=dict)
    reward: str | None = described("Reward scheme of the task (tinyzero, binary, paper, ...); null: task default.",
                                   None)
    format_reward: float = described("Weight of a format reward (1 if the completion closes </think> and has an "
                                      "<answer> block, DOTALL); 0 disables it. Countdown only.", 0.0)
    extra_rewards: list[Any] = described("More reward functions as 'module:function' import paths (TRL contract); "
                                         "from Python, callables too. Each has weight 1.", factory=list)
    train_size: int | None = described("Training problems from the task's train split; null: exactly as many as "
                                       "max_steps uses (generated once, cached in the run directory).", None)
    train_file: str | None = described("Use problems from this JSONL/Parquet (a `problem` column, as written by "
                                       "`habits tasks generate`) instead of generating them.", None)
    train_stream: str | None = described("Generate training problems from one stream of the train split (pretrain, "
                                         "prime or rl: disjoint problem sets); null: the whole train split.", None)
    revise_attempts: int = described("Verify-and-revise attempts per rollout: after a wrong answer the verifier's "
                                     "reason is sent back and the model tries again (1: single attempt).", 1)
    revise_feedback: str = described("Feedback message after a wrong attempt; {detail} and {reason} are filled in.",
                                     "You failed this trial because {detail}. Please try again.")
    dynamic_sampling: bool | None = described(
        "DAPO's dynamic sampling: drop groups whose completions are all correct or all wrong (the verifier's "
        "binary verdict, never a shaped reward) and refill the batch with new problems; null: on with "
        "preset dapo, else off.", None)
    sampling_rounds: int = described("Most generation rounds per batch under dynamic_sampling; groups still missing "
                                     "after them are kept out of the loss (logged as sampling/filler_groups).", 4)
    curriculum: str = described("Which problems each batch draws: uniform (TRL's shuffled order) or solve_rate "
                                "(by measured solve rate, favouring problems solved sometimes but not always).",
                                "uniform")
    eval_every: int = described("Greedy evaluation on eval_splits every this many steps (0: never; "
                                "see eval_at_start).", 10)
    eval_at_start: bool = described("Also evaluate at step 0, before any update, so curves start at the initial "
                                    "model (one evaluation more; only when eval_every > 0).", True)
    eval_at_steps: list[int] = described("Evaluate at these steps instead of every eval_every (the pipeline sets them "
                                         "from its equal-compute `compute.points`).", factory=list)
    eval_n: int = described("Problems per split in the periodic evaluation.", 32)
    eval_splits: list[str] = described("Splits for the periodic evaluation (test = ID, ood = OOD).",
                                       factory=lambda: ["test", "ood"])
    eval_max_new_tokens: int | None = described("Token budget of the periodic evaluation (null: "
                                                "max_completion_length).", None)
    behaviors: bool = described("Count the four behaviors in every step's completions (offline lexical "
                                "classifier).", True)
    generation_factor: float | None = described("λ of the compute estimate (generation reads λ·D_RL tokens; the "
                                                "paper: 6 for GeneralPoints, 5.1 for V-IRL); null: measured from "
                                                "the rollouts.", None)
    reward_control: str | None = described("Replace the task's reward by a control: random (reward 1 with "
                                           "probability 0.5, whatever the answer) or format_only (1 unless the "
                                           "answer cannot be read); null: the task's reward.", None)
    stage: str = "rl"

    @classmethod
    def trl_class(cls) -> type:
        import trl

        return trl.GRPOConfig

    def preset_values(self) -> dict[str, Any]:
        from habits.train.presets import preset_settings

        return preset_settings(self.preset)

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        from habits.train.presets import PRESETS, dynamic_sampling_default

        return {name: {**values, **({"dynamic_sampling": True} if dynamic_sampling_default(name) else {})}
                for name, values in PRESETS.items()}

    def __post_init__(self) -> None:
        from habits.tasks.base import STREAMS
        from habits.train.presets import check_preset

        check_preset(self.preset)
        _check_task(self.task, self.task_args)
        try:
            self.build_task()
        except ValueError as exc:
            raise ConfigError(str(exc), "reward") from None
        if self.revise_attempts < 1:
            raise ConfigError(f"revise_attempts must be >= 1, got {self.revise_attempts}", "revise_attempts")
        if self.format_reward < 0:
            raise ConfigError(f"format_reward is a weight and must be >= 0, got {self.format_reward}", "format_reward")
        if self.format_reward and self.task != "countdown":
            raise ConfigError(f"format_reward checks <think>/<answer> tags, which {self.task} prompts do not ask "
                              "for; set format_reward: 0", "format_reward")
        if self.train_size is not None and self.train_size < 1:
            raise ConfigError(f"train_size must be >= 1, got {self.train_size}", "train_size")
        if self.train_stream is not None and self.train_stream not in STREAMS:
            raise ConfigError(f"train_stream must be one of {', '.join(STREAMS)} (or null), got "
                              f"{self.train_stream!r}", "train_stream")
        _check_eval_schedule(self)
        if self.curriculum not in CURRICULA:
            raise ConfigError(f"curriculum must be one of {', '.join(CURRICULA)}, got {self.curriculum!r}",
                              "curriculum")
        if self.generation_factor is not None and self.generation_factor < 0:
            raise ConfigError(f"generation_factor must be >= 0 or null, got {self.generation_factor}",
                              "generation_factor")
        if self.reward_control not in (None, "random", "format_only"):
            raise ConfigError(f"reward_control must be random, format_only or null, got {self.reward_control!r}",
                              "reward_control")
        if self.sampling_rounds < 1:
            raise ConfigError(f"sampling_rounds must be >= 1, got {self.sampling_rounds}", "sampling_rounds")
        if self.dynamic_sampling is None:
            from habits.train.presets import dynamic_sampling_default

            self.dynamic_sampling = dynamic_sampling_default(self.preset)
        if self.reward_control is not None and (self.dynamic_sampling or self.curriculum != "uniform"):
            raise ConfigError("reward_control replaces the verifier's reward, which dynamic sampling and the "
                              "solve-rate curriculum filter on; turn those off for a control run", "reward_control")
        super().__post_init__()
        args = self.args
        if args.max_steps < 1:
            raise ConfigError("max_steps must be >= 1 for RL (problems are generated, there are no epochs)",
                              "max_steps")
        local = args.per_device_train_batch_size * args.steps_per_generation
        if self.dynamic_sampling and local % args.num_generations:
            raise ConfigError(f"dynamic_sampling keeps or drops whole groups on each process, so each process's "
                              f"generation batch (per_device_train_batch_size x steps_per_generation = {local}) "
                              f"must be a multiple of num_generations ({args.num_generations})",
                              "per_device_train_batch_size")

    def derived_trl(self) -> dict[str, Any]:
        return {"remove_unused_columns": False,  # the reward needs the `problem` column
                "eval_strategy": "no"}  # ID/OOD evaluation is habits' greedy PeriodicEval

    def build_task(self) -> Any:
        from habits.tasks import get_task

        args = dict(self.task_args)
        if self.reward is not None:
            args["reward"] = self.reward
        return get_task(self.task, **args)

    def prompts_needed(self) -> int:
        """Distinct prompts ``max_steps`` optimizer steps consume (each is sampled num_generations times)."""
        args = self.args
        completions = args.per_device_train_batch_size * args.world_size * args.gradient_accumulation_steps
        return -(-args.max_steps * completions // (args.num_generations * args.num_iterations))

    def check_inputs(self) -> None:
        super().check_inputs()
        if self.train_file and not Path(self.train_file).is_file():
            raise ConfigError(f"train_file: {self.train_file} does not exist", "train_file")
        from habits.vision import check_vision

        task = self.build_task()
        check_vision(self.model, task)
        if self.args.use_vllm:  # TRL needs vllm installed in colocate and server mode alike
            from importlib.util import find_spec

            if find_spec("vllm") is None:
                raise ConfigError("use_vllm: vLLM is not installed; pip install -e '.[vllm]' on a GPU machine, "
                                  "or set use_vllm: false", "use_vllm")
        from habits.train.trl_seam import check_trl  # one sentence now, not a traceback on step 1

        check_trl(rollout=self.revise_attempts > 1, batches=bool(self.dynamic_sampling) or self.curriculum != "uniform")


# -- loading a stage recipe ---------------------------------------------------------------------
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
    where = Where(label="config", overrides=frozenset(overrides or {}))
    if path is not None:
        recipe = load_recipe(path)
        data.update(recipe.values)
        where = Where(label=str(path), source=recipe.source, overrides=frozenset(overrides or {}))
    data = apply_overrides(data, overrides or {})
    found = stage_of(path or "", data) or stage
    if stage is not None and found != stage:
        raise where.error(f"this is a {found!r} recipe, not {stage!r}; use `habits {_command(found)}`", "stage")
    classes = config_classes()
    if found not in classes:
        raise where.error(f"unknown stage {found!r}; set `stage:` to one of {', '.join(classes)}", "stage")
    data.pop("stage", None)
    return build(classes[found], data, where)


def _command(stage: str | None) -> str:
    from habits.stages import STAGES, get_stage

    return get_stage(stage).command if stage in STAGES else f"<{stage}>"


def _check_task(task: str, task_args: Any) -> None:
    from habits.tasks import get_task, task_names

    names = task_names()
    if task not in names:
        raise ConfigError(f"unknown task {task!r}; choose one of: {', '.join(names)}", "task")
    if not isinstance(task_args, dict):
        raise ConfigError(f"task_args must be a mapping of task config fields, got {type(task_args).__name__}",
                          "task_args")
    try:  # the task validates its own config now, not after the model is loaded
        get_task(task, **task_args)
    except ValueError as exc:
        raise ConfigError(str(exc), "task_args") from None


def _check_eval_schedule(config: Any) -> None:
    """The periodic-evaluation fields SFT and RL share."""
    from habits.tasks import SPLITS

    if config.eval_every < 0 or config.eval_n < 1:
        raise ConfigError("eval_every must be >= 0 and eval_n >= 1", "eval_every" if config.eval_every < 0
                          else "eval_n")
    if any(not isinstance(step, int) or step < 1 for step in config.eval_at_steps):
        raise ConfigError(f"eval_at_steps must be steps >= 1, got {config.eval_at_steps!r}", "eval_at_steps")
    if config.eval_at_steps and not config.task:
        raise ConfigError("eval_at_steps needs `task` (the task whose test/ood problems are evaluated)", "eval_at_steps")
    bad = [s for s in config.eval_splits if s not in SPLITS]
    if bad:
        raise ConfigError(f"eval_splits: unknown split(s) {', '.join(bad)}; choose from {', '.join(SPLITS)}",
                          "eval_splits")
