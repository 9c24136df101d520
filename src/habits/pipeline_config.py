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
    params: float | None = _help("Parameter count N for planning compute points (null: counted from the model's "
                                 "config; needed for a hub model not on disk or a base still to be pretrained).",
                                 None)

    def __post_init__(self) -> None:
        if (self.pretrain is None) == (self.model is None):
            raise ValueError("each base needs exactly one of `pretrain:` (settings) or `model:` (a directory)")


@dataclass
class PrimingSpec:
    """How each primed arm's SFT data is written (``habits prime-data`` settings)."""

    n: int = _help("Priming rows per arm (one per decision: a problem, or a decision point of a route; from "
                   "the train split's `prime` stream).", 1000)
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
class ComputeSpec:
    """Evaluation points at equal training compute (the SFT-vs-RL study's x-axis), planned before training."""

    points: list[float] = _help("Training FLOPs at which the listed arms are evaluated (increasing); empty: "
                                "each arm evaluates every eval_every steps.", factory=list)
    arms: list[str] | None = _help("The arms placed on the points (null: every arm).", None)
    tolerance: float = _help("How far (relative) an arm's nearest step may be from a point.", 0.25)

    def __post_init__(self) -> None:
        if not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in self.points):
            raise ValueError(f"compute.points must be numbers of FLOPs, got {self.points!r}")
        self.points = [float(p) for p in self.points]
        if not 0 <= self.tolerance < 1:
            raise ValueError(f"compute.tolerance must be in [0, 1), got {self.tolerance}")


CHECKPOINTS = ("final", "early", "peak")  # or step-N


@dataclass
class StartSpec:
    """An arm that starts from another arm's trained model: its final model or one of its checkpoints."""

    arm: str = _help("The arm whose training stage this arm starts from (same seed).", "")
    stage: str = _help("Which of that arm's training stages: sft or rl.", "sft")
    checkpoint: str = _help("final (the stage's model), early (its first evaluated checkpoint), peak (the "
                            "checkpoint with the best OOD accuracy in its periodic evaluation), or step-N.", "final")

    def __post_init__(self) -> None:
        if not self.arm:
            raise ValueError("start.arm is required: the arm whose model this arm starts from")
        if self.checkpoint not in CHECKPOINTS and not re.fullmatch(r"step-[1-9][0-9]*", self.checkpoint):
            raise ValueError(f"start.checkpoint must be one of {', '.join(CHECKPOINTS)} or step-N, "
                             f"got {self.checkpoint!r}")

    @property
    def needs_checkpoints(self) -> bool:
        """Whether the source stage must keep a checkpoint at each evaluation (all but ``final``)."""
        return self.checkpoint != "final"


@dataclass
class ArmSpec:
    """One arm: a start (a base, or another arm's model), then a sequence of training stages.

    The first paper's arms are ``[sft, rl]`` (priming, then RL) or ``[rl]``; the SFT-vs-RL study's
    are ``[sft]`` or ``[rl]`` from a shared checkpoint, each with its own evaluation schedule.
    """

    base: str = _help("Which base (a key of `bases`).", "base")
    condition: str | None = _help("SFT data: the priming condition of its traces (habits prime-conditions); "
                                  "null: RL straight from the start.", None)
    stages: list[str] | None = _help("Training stages in order (sft, rl); null: [sft, rl] with a condition, "
                                     "else [rl].", None)
    start: StartSpec | None = _help("Start from another arm's trained model instead of the base: {arm, stage, "
                                    "checkpoint: final|early|peak|step-N}.", None)
    data_args: dict[str, Any] | list[dict[str, Any]] = _help(
        "Task settings of this arm's SFT data only (evaluation keeps the recipe's task_args): a mapping, or a "
        "list of them whose rows are mixed equally (e.g. [{rule: id}, {rule: ood}]; {template: mixed}).", factory=dict)
    sft: dict[str, Any] = _help("Overrides of the shared `sft` section for this arm.", factory=dict)
    rl: dict[str, Any] = _help("Overrides of the shared `rl` section for this arm.", factory=dict)

    def __post_init__(self) -> None:
        if self.stages is None:
            self.stages = ["sft", "rl"] if self.condition is not None else ["rl"]
        known = ("sft", "rl")
        bad = [s for s in self.stages if s not in known]
        if bad or not self.stages or len(set(self.stages)) != len(self.stages):
            raise ValueError(f"stages must be a non-empty sequence of distinct training stages ({', '.join(known)}), "
                             f"got {self.stages!r}" + ("; a base's pretraining is `bases.<name>.pretrain`"
                                                       if "pretrain" in bad else ""))
        if "sft" in self.stages and self.condition is None:
            raise ValueError("stages has sft, which trains on priming data: set `condition` (e.g. plain)")
        if "sft" not in self.stages and self.condition is not None:
            raise ValueError(f"condition {self.condition!r} is SFT data, but stages {self.stages} has no sft")
        if self.data_args and "sft" not in self.stages:
            raise ValueError(f"data_args shape SFT data, but stages {self.stages} has no sft")

    def data_parts(self) -> list[dict[str, Any]]:
        """The task settings of each part of this arm's SFT data (one part unless data_args is a list)."""
        return list(self.data_args) if isinstance(self.data_args, list) else [self.data_args]


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
    compute: ComputeSpec = _help("Equal-compute evaluation points: points (FLOPs), arms, tolerance.",
                                 factory=ComputeSpec)
    parallel: int = _help("Arm chains (arm x seed) run as this many processes, one torch thread each; "
                          "1: one after another in this process.", 1)
    source: str | None = None  # the recipe file, for error messages

    def __post_init__(self) -> None:
        from habits.tasks import get_task
        from habits.traces import condition_names

        self._eval_steps: dict[str, dict[str, list[int]]] = {}  # arm -> stage -> steps (compute.points)
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
            if arm.start is not None:
                self._check_start(name, arm)
            if arm.condition is not None:  # SFT data are program-written traces: the task must write them
                from habits.traces.conditions import get_condition

                condition = get_condition(arm.condition)
                planned = bool(condition.generated_behaviors & {"subgoal_setting", "backward_chaining"})
                try:
                    get_task(self.task, **self.task_args).check_traceable(planned, condition.answer)
                except ValueError as exc:
                    raise where.error(f"arm {name!r} trains SFT on priming data, but {exc}", "condition") from None
                for part in arm.data_parts():
                    if not isinstance(part, dict) or (isinstance(arm.data_args, list) and not part):
                        raise where.error(f"arm {name!r}: each data_args part must be a non-empty mapping of task "
                                          f"settings, got {part!r}", "data_args")
                    try:
                        get_task(self.task, **{**self.task_args, **part})
                    except (TypeError, ValueError) as exc:
                        raise where.error(f"arm {name!r}: data_args {part}: {exc}", "data_args") from None
        self._check_start_order()
        for key, kind in (("priming", PrimingSpec), ("diagnose", DiagnoseSpec), ("report", ReportSpec),
                          ("compute", ComputeSpec)):
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
        if self.compute.points:  # equal compute: refuse a grid an arm cannot match, before any training
            unknown = [arm for arm in self.compute.arms or () if arm not in self.arms]
            if unknown:
                raise self.where("compute", ("compute",)).error(
                    f"compute.arms names {', '.join(map(repr, unknown))}, which no arm is; arms: {', '.join(self.arms)}",
                    "arms")
            from habits.compute_plan import plan_eval_steps

            self._eval_steps = plan_eval_steps(self)

    def _check_start(self, name: str, arm: ArmSpec) -> None:
        start = arm.start
        where = self.where(f"arms.{name}.start", ("arms", name, "start"))
        source = self.arms.get(start.arm)
        if source is None:
            raise where.error(f"arm {name!r} starts from arm {start.arm!r}, which no arm is; arms: "
                              f"{', '.join(self.arms)}", "arm")
        if start.arm == name:
            raise where.error(f"arm {name!r} cannot start from itself", "arm")
        if start.stage not in source.stages:
            raise where.error(f"arm {name!r} starts from {start.arm}'s {start.stage} model, but arm {start.arm!r} "
                              f"trains only {source.stages}; no arm produces that checkpoint", "stage")
        if start.needs_checkpoints:
            settings = {**getattr(self, start.stage), **getattr(source, start.stage)}  # shared, then the arm's
            if not settings.get("eval_every"):
                raise where.error(f"checkpoint {start.checkpoint!r} of {start.arm}'s {start.stage} needs its periodic "
                                  f"evaluation: set eval_every in arms.{start.arm}.{start.stage} (or the shared "
                                  f"{start.stage} section)", "checkpoint")
            step = start.checkpoint.removeprefix("step-")
            if step.isdigit() and int(step) % int(settings["eval_every"]):
                raise where.error(f"{start.checkpoint} is not an evaluation step of {start.arm}'s {start.stage} "
                                  f"(every {settings['eval_every']} steps), so no checkpoint is kept there",
                                  "checkpoint")

    def _check_start_order(self) -> None:
        """Refuse a cycle of arms starting from each other (no arm could ever begin)."""
        for name in self.arms:
            seen, current = [name], self.arms[name].start
            while current is not None:
                if current.arm in seen:
                    raise self.where(None, ("arms", name, "start")).error(
                        f"arms start from each other in a cycle: {' -> '.join(seen + [current.arm])}", "arm")
                seen.append(current.arm)
                current = self.arms[current.arm].start

    def checkpointed(self, arm: str, stage: str) -> bool:
        """Whether another arm starts from a checkpoint of ``arm``'s ``stage`` (so it keeps one per evaluation)."""
        return any(other.start is not None and other.start.arm == arm and other.start.stage == stage
                   and other.start.needs_checkpoints for other in self.arms.values())

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
                        data=str(layout.priming(arm, seed)), **task),
            "rl": dict(apply_overrides({"report_to": [], **self.rl}, spec.rl), **task),
        }
        for stage, steps in self._eval_steps.get(arm, {}).items():
            values[stage]["eval_at_steps"] = steps
        for stage, settings in values.items():
            if self.checkpointed(arm, stage):  # another arm starts from one of these checkpoints: keep each
                settings.update(save_steps=settings["eval_every"], save_total_limit=None)
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
        """A section of an older config.yaml as this version writes it (``diagnose`` was a plain mapping;
        ``compute``, an arm's ``data_args`` and a base's ``params`` did not exist, and take their defaults)."""
        kinds = {"priming": PrimingSpec, "diagnose": DiagnoseSpec, "compute": ComputeSpec}
        if key == "compute" and value is None:
            value = {}
        if key in kinds and isinstance(value, dict):
            try:
                return dataclasses.asdict(kinds[key](**value))
            except (TypeError, ValueError):
                return value
        if key in ("arms", "bases") and isinstance(value, dict):
            kind = ArmSpec if key == "arms" else BaseSpec
            return {name: _with_defaults(kind, spec) for name, spec in value.items()}
        return value


def _with_defaults(kind: type, values: Any) -> Any:
    """``values`` with every field of ``kind`` it lacks at its default (an older recipe's section)."""
    if not isinstance(values, dict):
        return values
    missing = {f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
               for f in dataclasses.fields(kind) if f.name not in values}
    return {**missing, **values}


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
