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

from habits.configs import Where, apply_overrides, build, described as _help, load_recipe
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

        top = self.where()
        if not self.name or not _NAME.match(self.name):
            raise top.error(f"`name` is required (letters, digits, _ . -), got {self.name!r}", "name")
        try:
            get_task(self.task, **self.task_args)
        except ValueError as exc:
            raise top.error(str(exc), "task_args" if self.task_args else "task") from None
        if not isinstance(self.parallel, int) or self.parallel < 1:
            raise top.error(f"parallel must be a whole number >= 1, got {self.parallel!r}", "parallel")
        if not self.seeds or not all(isinstance(s, int) for s in self.seeds):
            raise top.error("`seeds` must be a non-empty list of integers", "seeds")
        self.bases = {k: build(BaseSpec, v, self.where(f"bases.{k}", ("bases", k))) for k, v in self.bases.items()}
        self.arms = {k: build(ArmSpec, v or {}, self.where(f"arms.{k}", ("arms", k))) for k, v in self.arms.items()}
        for name, spec in self.bases.items():
            if spec.pretrain is not None:  # a typo in a base's pretraining settings fails now, not after other work
                from habits.models.pretrain import PretrainConfig

                values = {**spec.pretrain, "task": self.task,
                          "task_args": {**self.task_args, **spec.pretrain.get("task_args", {})}}
                build(PretrainConfig, values, self.where(f"bases.{name}.pretrain", ("bases", name, "pretrain")))
            if spec.cpt is not None:
                from habits.curate.cpt import CPTConfig

                build(CPTConfig, dict(spec.cpt), self.where(f"bases.{name}.cpt", ("bases", name, "cpt")))
        if not self.bases:
            raise top.error("`bases` is empty; add e.g. `bases: {base: {pretrain: {}}}`", "bases")
        if not self.arms:
            raise top.error("`arms` is empty; add e.g. `arms: {no_priming: {}, all: {condition: all}}`", "arms")
        conditions = condition_names()
        for name, arm in self.arms.items():
            where = self.where(None, ("arms", name))
            if not _NAME.match(name):
                raise self.where(None, ("arms",)).error(f"arm name {name!r} must be letters, digits, _ . -", name)
            if arm.base not in self.bases:
                raise where.error(f"arm {name!r} uses unknown base {arm.base!r}; bases: {', '.join(self.bases)}",
                                  "base")
            if arm.condition is not None and arm.condition not in conditions:
                raise where.error(f"arm {name!r} has unknown condition {arm.condition!r}; choose one of: "
                                  f"{', '.join(conditions)} (or null for no priming)", "condition")
        for key, kind in (("priming", PrimingSpec), ("diagnose", DiagnoseSpec), ("report", ReportSpec)):
            if isinstance(getattr(self, key), dict):  # built from Python rather than a recipe
                setattr(self, key, build(kind, getattr(self, key), self.where(key, (key,))))
        for name, arm in self.arms.items():
            if arm.condition == "length_matched" and self.priming.tokenizer == "regex":
                raise self.where(None, ("priming",)).error(
                    f"arm {name!r} is length_matched, which replaces the thoughts by one dot per token of the "
                    "model's own tokenizer, but priming.tokenizer is 'regex' (an estimate); set "
                    "priming.tokenizer: base", "tokenizer")
        self._check_no_training_on_evaluation()
        # Build every stage config once now with a placeholder model, so typos fail before any work.
        for name in self.arms:
            self.stage_configs(name, self.seeds[0], model="<model>")

    def where(self, label: str | None = None, *prefixes: tuple[str, ...]) -> Where:
        """Where a section of this recipe is, for error messages (file and line from the YAML marks)."""
        source = _source(self.source)
        path = self.source or "pipeline config"
        return Where(label=label or path, source=source, prefixes=prefixes or ((),))

    def _check_no_training_on_evaluation(self) -> None:
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
            where = self.where(None, ("arms", name, "rl"), ("rl",))
            if not Path(path).is_file():
                raise where.error(f"rl.train_file {path} does not exist", "train_file")
            shared = sum(task.key(p) in held for p in problems_from_file(path, task=task))
            if shared:
                raise where.error(f"arm {name!r} would train on evaluation problems: {shared} problems of "
                                  f"rl.train_file {path} are among the test/ood problems the arms are evaluated on; "
                                  "use train-split problems (habits tasks generate --split train)", "train_file")

    # -- derived settings ----------------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return Path(self.output_root) / self.name

    @property
    def layout(self) -> RunLayout:
        """Where each file of this run lives (:mod:`habits.layout`)."""
        return RunLayout(self.run_dir)

    def stage_configs(self, arm: str, seed: int, model: str) -> dict[str, Any]:
        """The configs of ``arm``'s training stages (:attr:`ArmSpec.stages`) and its evaluation for ``seed``.

        Each training stage starts from ``model``; the pipeline passes the previous stage's model.
        Errors name the recipe's file and the line of the offending key (the arm's own section first).
        """
        from habits.stages import get_stage

        spec = self.arms[arm]
        layout = self.layout
        task = {"task": self.task, "task_args": self.task_args}
        values = {
            "sft": dict(apply_overrides({"report_to": [], **self.sft}, spec.sft),
                        data=str(layout.priming(arm, seed))),
            "rl": dict(apply_overrides({"report_to": [], **self.rl}, spec.rl), **task),
        }
        if not values["rl"].get("train_file"):
            values["rl"].setdefault("train_stream", "rl")  # never the problems the arm was primed on
        configs = {}
        for stage in spec.stages:
            run = dict(model=model, output_dir=str(layout.stage(arm, seed, stage)), seed=seed)
            configs[stage] = build(get_stage(stage).config_class(), {**values[stage], **run},
                                   self.where(f"arm {arm}: {stage}", ("arms", arm, stage), (stage,)))
        configs["eval"] = build(get_stage("eval").config_class(), dict(self.eval, model=model, seed=seed, **task),
                                self.where(f"arm {arm}: eval", ("eval",)))
        return configs

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
    return apply_overrides(dict(shared), arm)


def _source(path: str | None) -> Any:
    """The recipe's key lines (None when the config did not come from a file)."""
    if not path or not Path(path).is_file():
        return None
    return load_recipe(path).source


def load_pipeline(path: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """Read and validate a pipeline recipe; ``overrides`` are dotted keys (``rl.max_steps=5``)."""
    recipe = load_recipe(path)
    data = dict(recipe.values)
    where = Where(label=str(path), source=recipe.source, overrides=frozenset(overrides or {}))
    if data.pop("stage", "pipeline") != "pipeline":
        raise where.error("not a pipeline recipe (its `stage:` is not pipeline)", "stage")
    data = apply_overrides(data, overrides or {})
    data["source"] = str(path)
    return build(PipelineConfig, data, where)


def dump(config: PipelineConfig) -> str:
    data = dataclasses.asdict(config)
    data.pop("source")
    return yaml.safe_dump({"stage": "pipeline", **data}, sort_keys=False)
