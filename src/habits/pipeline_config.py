"""Configuration of ``habits run``: bases, arms (priming conditions) and the stages' settings.

A pipeline recipe names a task, one or more base models (pretrained here or given as a
directory), and arms -- each a priming condition (or none) applied to a base before RL. The
``sft``, ``rl`` and ``eval`` sections hold fields of those stages' own configs
(:mod:`habits.train.config`, :mod:`habits.evaluate`), applied to every arm; an arm may override
them. ``priming``, ``diagnose`` and ``report`` are typed sections of their own (:class:`PrimingSpec`,
:class:`DiagnoseSpec`, :class:`ReportSpec`). Everything is validated here -- unknown keys, value
types, ranges -- before any model is loaded or the run directory is touched, and errors name the
recipe file, the line of the offending key and the field.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from habits.fields import described as _help
from habits.layout import RunLayout

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class BaseSpec:
    """A base model: pretrained by ``habits pretrain`` (settings in ``pretrain``) or an existing directory."""

    pretrain: dict[str, Any] | None = _help("PretrainConfig fields (task and output_dir are filled in).", None)
    model: str | None = _help("Or: an existing model directory / hub id to start from.", None)
    cpt: dict[str, Any] | None = _help("Continued pretraining of that model before the arms (CPTConfig fields: "
                                       "keep rich|minimal, budget_tokens, data or synthetic, ...).", None)

    def __post_init__(self) -> None:
        if (self.pretrain is None) == (self.model is None):
            raise ValueError("each base needs exactly one of `pretrain:` (settings) or `model:` (a directory)")


@dataclass
class PrimingSpec:
    """How each primed arm's SFT data is written (``habits prime-data`` settings)."""

    n: int = _help("Priming rows per arm (one per problem, from the train split's `prime` stream).", 1000)
    format: str = _help("completion (prompt/completion strings) or chat (messages).", "completion")
    register: str = _help("terse (one form per event: tiny models) or natural (sentences: real LLMs).", "natural")
    budget: int = _help("Most attempts a trace writes before answering its closest one.", 6)
    tokenizer: str = _help("Token counter for lengths and the length-matched dots: `base` (the arm's base "
                           "model's own tokenizer), a tokenizer directory, or `regex` (an estimate).", "base")

    def __post_init__(self) -> None:
        from habits.traces.data import PrimeConfig

        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"priming.n must be a whole number >= 1, got {self.n!r}")
        PrimeConfig(n=self.n, format=self.format, register=self.register, budget=self.budget)


@dataclass
class DiagnoseSpec:
    """How each base is diagnosed (``habits diagnose`` settings): sampled completions, then the four habits."""

    n: int = _help("Problems sampled from the base (test split).", 100)
    max_new_tokens: int = _help("Token budget per completion.", 512)
    temperature: float = _help("Sampling temperature (0: greedy).", 1.0)
    batch_size: int = _help("Prompts per generation batch.", 32)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"diagnose.n must be >= 1, got {self.n}")
        try:
            self.sampling()
        except ValueError as exc:
            raise ValueError(f"diagnose: {exc}") from None

    def sampling(self) -> Any:
        from habits.sample import SamplingConfig

        return SamplingConfig(temperature=self.temperature, max_new_tokens=self.max_new_tokens,
                              batch_size=self.batch_size)


@dataclass
class ReportSpec:
    """What the report draws besides this run's own numbers."""

    paper_model: str = _help("The first paper's curves to draw beside ours: llama3.2-3b or qwen2.5-3b.",
                             "llama3.2-3b")

    def __post_init__(self) -> None:
        from habits.report.paper import PAPER_MODELS

        if self.paper_model not in PAPER_MODELS:
            raise ValueError(f"report.paper_model must be one of {', '.join(PAPER_MODELS)}, "
                             f"got {self.paper_model!r}")


@dataclass
class ArmSpec:
    """One arm of the comparison: a base, an optional priming condition, then RL."""

    base: str = _help("Which base (a key of `bases`).", "base")
    condition: str | None = _help("Priming condition (habits prime-conditions); null: RL straight from the base.",
                                  None)
    sft: dict[str, Any] = _help("Overrides of the shared `sft` section for this arm.", factory=dict)
    rl: dict[str, Any] = _help("Overrides of the shared `rl` section for this arm.", factory=dict)

    @property
    def stages(self) -> tuple[str, ...]:
        """The training stages of this arm, in order: SFT priming (when it has a condition), then RL."""
        return ("sft", "rl") if self.condition is not None else ("rl",)


@dataclass
class PipelineConfig:
    """``habits run CONFIG.yaml``: base -> diagnose -> per arm: prime -> RL -> evaluate ID/OOD -> report."""

    name: str = _help("Run name; everything goes to <output_root>/<name>/.", "")
    output_root: str = _help("Directory holding run directories.", "runs")
    task: str = _help("Task name.", "countdown")
    task_args: dict[str, Any] = _help("Task config fields shared by every stage.", factory=dict)
    seeds: list[int] = _help("Replicates: every arm runs once per seed (priming data, SFT, RL, eval).",
                             factory=lambda: [0])
    bases: dict[str, BaseSpec] = _help("Base models by name.", factory=dict)
    arms: dict[str, ArmSpec] = _help("Arms by name (e.g. no_priming, all, incorrect, empty_cot).", factory=dict)
    priming: PrimingSpec = _help("Priming data: n, format, register, budget, tokenizer.", factory=PrimingSpec)
    sft: dict[str, Any] = _help("SFTConfig fields for priming (habits train sft --help-config).", factory=dict)
    rl: dict[str, Any] = _help("RLConfig fields for RL (habits train rl --help-config).", factory=dict)
    eval: dict[str, Any] = _help("EvalConfig fields for evaluation before and after RL.", factory=dict)
    diagnose: DiagnoseSpec = _help("Diagnosis of each base: n, max_new_tokens, temperature, batch_size.",
                                   factory=DiagnoseSpec)
    report: ReportSpec = _help("Report: paper_model (llama3.2-3b or qwen2.5-3b) for the reference curves.",
                               factory=ReportSpec)
    parallel: int = _help("Arm chains (arm x seed) run as this many processes, one torch thread each; "
                          "1: one after another in this process.", 1)
    source: str | None = None  # the recipe file, for error messages

    def __post_init__(self) -> None:
        from habits.tasks import get_task
        from habits.traces import condition_names

        where = self.source or "pipeline config"
        if not self.name or not _NAME.match(self.name):
            raise ValueError(f"{where}: `name` is required (letters, digits, _ . -), got {self.name!r}")
        get_task(self.task, **self.task_args)
        if not isinstance(self.parallel, int) or self.parallel < 1:
            raise ValueError(f"{where}{_line_of(self.source, 'parallel')}: parallel must be a whole number >= 1, "
                             f"got {self.parallel!r}")
        if not self.seeds or not all(isinstance(s, int) for s in self.seeds):
            raise ValueError(f"{where}: `seeds` must be a non-empty list of integers")
        self.bases = {k: _build(BaseSpec, v, f"{where}: bases.{k}", self.source, k) for k, v in self.bases.items()}
        self.arms = {k: _build(ArmSpec, v or {}, f"{where}: arms.{k}", self.source, k) for k, v in self.arms.items()}
        for name, spec in self.bases.items():
            if spec.pretrain is not None:  # a typo in a base's pretraining settings fails now, not after other work
                from habits.models.pretrain import PretrainConfig
                from habits.train.config import build

                values = {**spec.pretrain, "task": self.task,
                          "task_args": {**self.task_args, **spec.pretrain.get("task_args", {})}}
                try:
                    build(PretrainConfig, values, f"{where}: bases.{name}.pretrain")
                except ValueError as exc:
                    raise ValueError(f"{exc}{_line_hint(self.source, str(exc))}") from None
            if spec.cpt is not None:
                from habits.curate.cpt import CPTConfig
                from habits.train.config import build

                try:
                    build(CPTConfig, dict(spec.cpt), f"{where}: bases.{name}.cpt")
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"{exc}{_line_hint(self.source, str(exc))}") from None
        if not self.bases:
            raise ValueError(f"{where}: `bases` is empty; add e.g. `bases: {{base: {{pretrain: {{}}}}}}`")
        if not self.arms:
            raise ValueError(f"{where}: `arms` is empty; add e.g. `arms: {{no_priming: {{}}, all: {{condition: all}}}}`")
        conditions = condition_names()
        for name, arm in self.arms.items():
            line = _line_of(self.source, name)
            if not _NAME.match(name):
                raise ValueError(f"{where}{line}: arm name {name!r} must be letters, digits, _ . -")
            if arm.base not in self.bases:
                raise ValueError(f"{where}{line}: arm {name!r} uses unknown base {arm.base!r}; "
                                 f"bases: {', '.join(self.bases)}")
            if arm.condition is not None and arm.condition not in conditions:
                raise ValueError(f"{where}{_line_of(self.source, arm.condition)}: arm {name!r} has unknown condition "
                                 f"{arm.condition!r}; choose one of: {', '.join(conditions)} (or null for no priming)")
        self.priming = _build(PrimingSpec, self.priming, f"{where}: priming", self.source, "priming") \
            if isinstance(self.priming, dict) else self.priming
        self.diagnose = _build(DiagnoseSpec, self.diagnose, f"{where}: diagnose", self.source, "diagnose") \
            if isinstance(self.diagnose, dict) else self.diagnose
        self.report = _build(ReportSpec, self.report, f"{where}: report", self.source, "report") \
            if isinstance(self.report, dict) else self.report
        for name, arm in self.arms.items():
            if arm.condition == "length_matched" and self.priming.tokenizer == "regex":
                raise ValueError(f"{where}{_line_of(self.source, 'tokenizer')}: arm {name!r} is length_matched, which "
                                 "replaces the thoughts by one dot per token of the model's own tokenizer, but "
                                 "priming.tokenizer is 'regex' (an estimate); set priming.tokenizer: base")
        self._check_no_training_on_evaluation(where)
        # Build every stage config once now with a placeholder model, so typos fail before any work.
        for name in self.arms:
            self.stage_configs(name, self.seeds[0], model="<model>", check=True)

    def _check_no_training_on_evaluation(self, where: str) -> None:
        """Refuse a recipe whose RL problems include evaluation problems (before any training)."""
        from habits.evaluate import eval_problems
        from habits.tasks import get_task
        from habits.train.data import problems_from_file

        files = {name: apply_rl(self.rl, arm.rl).get("train_file") for name, arm in self.arms.items()}
        files = {name: path for name, path in files.items() if path}
        if not files:
            return
        task = get_task(self.task, **self.task_args)
        n = int(self.eval.get("n", 200))
        held = {task.key(p) for split in self.eval.get("splits", ["test", "ood"])
                for p in eval_problems(task, split, n, 0, bool(self.eval.get("distinct", True)))}
        for name, path in files.items():
            if not Path(path).is_file():
                raise ValueError(f"{where}{_line_of(self.source, 'train_file')}: arm {name!r}: rl.train_file {path} "
                                 "does not exist")
            shared = sum(task.key(p) in held for p in problems_from_file(path, task=task))
            if shared:
                raise ValueError(f"{where}{_line_of(self.source, 'train_file')}: arm {name!r} would train on "
                                 f"evaluation problems: {shared} problems of rl.train_file {path} are among the "
                                 "test/ood problems the arms are evaluated on; use train-split problems "
                                 "(habits tasks generate --split train)")

    # -- derived settings ----------------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return Path(self.output_root) / self.name

    @property
    def layout(self) -> RunLayout:
        """Where each file of this run lives (:mod:`habits.layout`)."""
        return RunLayout(self.run_dir)

    def stage_configs(self, arm: str, seed: int, model: str, check: bool = False) -> dict[str, Any]:
        """The configs of ``arm``'s training stages (:attr:`ArmSpec.stages`) and its evaluation for ``seed``.

        Each training stage starts from ``model``; the pipeline passes the previous stage's model.
        """
        from habits.stages import get_stage
        from habits.train.config import apply_overrides, build

        spec = self.arms[arm]
        where = f"{self.source or 'pipeline config'}: arm {arm}"
        layout = self.layout
        task = {"task": self.task, "task_args": self.task_args}
        values = {
            "sft": dict(apply_overrides({"report_to": [], **self.sft}, spec.sft),
                        data=str(layout.priming(arm, seed))),
            "rl": dict(apply_overrides({"report_to": [], **self.rl}, spec.rl), **task),
        }
        if not values["rl"].get("train_file"):
            values["rl"].setdefault("train_stream", "rl")  # never the problems the arm was primed on
        try:
            configs = {}
            for stage in spec.stages:
                run = dict(model=model, output_dir=str(layout.stage(arm, seed, stage)), seed=seed)
                configs[stage] = build(get_stage(stage).config_class(), {**values[stage], **run},
                                       f"{where}: {stage}")
            configs["eval"] = build(get_stage("eval").config_class(),
                                    dict(self.eval, model=model, seed=seed, **task), f"{where}: eval")
            return configs
        except ValueError as exc:
            if not check:
                raise
            raise ValueError(f"{exc}{_line_hint(self.source, str(exc))}") from None

    def fingerprint(self) -> dict[str, Any]:
        """The settings that determine finished stages' outputs (to refuse mixing configs in one run dir)."""
        data = dataclasses.asdict(self)
        for key in ("source", "output_root", "report", "parallel"):
            data.pop(key)
        return data

    @staticmethod
    def typed_section(key: str, value: Any) -> Any:
        """A section of an older config.yaml as this version writes it (``diagnose`` was a plain mapping)."""
        kinds = {"priming": PrimingSpec, "diagnose": DiagnoseSpec}
        if key in kinds and isinstance(value, dict):
            try:
                return dataclasses.asdict(kinds[key](**value))
            except (TypeError, ValueError):
                return value
        return value


def apply_rl(shared: dict[str, Any], arm: dict[str, Any]) -> dict[str, Any]:
    from habits.train.config import apply_overrides

    return apply_overrides(dict(shared), arm)


def _build(cls: type, values: Any, where: str, source: str | None, key: str) -> Any:
    from habits.train.config import build

    try:
        return build(cls, values if values is not None else {}, where)
    except ValueError as exc:
        raise ValueError(f"{exc}{_line_hint(source, key)}") from None


def _line_of(source: str | None, key: str) -> str:
    """``:LINE`` in ``source`` where ``key`` is defined (``key:``), else first mentioned, for messages."""
    if not source or not Path(source).is_file():
        return ""
    lines = Path(source).read_text(encoding="utf-8").splitlines()
    word = rf"(?<![\w-]){re.escape(key)}(?![\w-])"
    for pattern in (rf"^\s*{re.escape(key)}\s*:", rf"{word}\s*:", word):
        for number, line in enumerate(lines, start=1):
            if re.search(pattern, line.split("#", 1)[0]):
                return f":{number}"
    return ""


def _line_hint(source: str | None, message: str) -> str:
    if source and re.match(rf"{re.escape(source)}:\d+:", message):
        return ""  # already placed at its line
    match = re.search(r"'([A-Za-z_][A-Za-z0-9_]*)'", message)
    line = _line_of(source, match.group(1)) if match else ""
    return f" (see {source}{line})" if line else ""


def load_pipeline(path: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """Read and validate a pipeline recipe; ``overrides`` are dotted keys (``rl.max_steps=5``)."""
    from habits.train.config import apply_overrides, build, read_yaml

    data = read_yaml(path)
    if data.pop("stage", "pipeline") != "pipeline":
        raise ValueError(f"{path}: not a pipeline recipe (its `stage:` is not pipeline)")
    data = apply_overrides(data, overrides or {})
    data["source"] = str(path)
    return build(PipelineConfig, data, str(path))


def dump(config: PipelineConfig) -> str:
    data = dataclasses.asdict(config)
    data.pop("source")
    return yaml.safe_dump({"stage": "pipeline", **data}, sort_keys=False)
