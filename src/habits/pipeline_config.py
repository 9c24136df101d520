"""Configuration of ``habits run``: bases, arms (priming conditions) and the stages' settings.

A pipeline recipe names a task, one or more base models (pretrained here or given as a
directory), and arms -- each a priming condition (or none) applied to a base before RL. The
``sft``, ``rl``, ``eval`` and ``diagnose`` sections hold fields of those stages' own configs
(:mod:`habits.train.config`, :mod:`habits.evaluate`), applied to every arm; an arm may override
them. Everything is validated here, before any model is loaded, and errors name the recipe file
and the line of the offending key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from habits.configs import Where, apply_overrides, build, described as _help, load_recipe

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")




@dataclass
class BaseSpec:
    """A base model: pretrained by ``habits pretrain`` (settings in ``pretrain``) or an existing directory."""

    pretrain: dict[str, Any] | None = _help("PretrainConfig fields (task and output_dir are filled in).", None)
    model: str | None = _help("Or: an existing model directory / hub id to start from.", None)

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
class ArmSpec:
    """One arm of the comparison: a base, an optional priming condition, then RL."""

    base: str = _help("Which base (a key of `bases`).", "base")
    condition: str | None = _help("Priming condition (habits prime-conditions); null: RL straight from the base.",
                                  None)
    sft: dict[str, Any] = _help("Overrides of the shared `sft` section for this arm.", factory=dict)
    rl: dict[str, Any] = _help("Overrides of the shared `rl` section for this arm.", factory=dict)


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
    diagnose: dict[str, Any] = _help("Diagnosis of each base: n, max_new_tokens, temperature.",
                                     factory=lambda: {"n": 100})
    report: dict[str, Any] = _help("Report: paper_model (llama3.2-3b or qwen2.5-3b) for the reference curves.",
                                   factory=lambda: {"paper_model": "llama3.2-3b"})
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
        if isinstance(self.priming, dict):
            self.priming = build(PrimingSpec, self.priming, self.where("priming", ("priming",)))
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
            shared = sum(task.key(p) in held for p in problems_from_file(path))
            if shared:
                raise where.error(f"arm {name!r} would train on evaluation problems: {shared} problems of "
                                  f"rl.train_file {path} are among the test/ood problems the arms are evaluated on; "
                                  "use train-split problems (habits tasks generate --split train)", "train_file")

    # -- derived settings ----------------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return Path(self.output_root) / self.name

    def stage_configs(self, arm: str, seed: int, model: str) -> dict[str, Any]:
        """The SFT, RL and eval configs of ``arm`` for ``seed``, starting from ``model``."""
        from habits.evaluate import EvalConfig
        from habits.train.config import RLConfig, SFTConfig

        spec = self.arms[arm]
        seed_dir = self.run_dir / "arms" / arm / f"seed{seed}"
        sft_values = apply_overrides({"report_to": [], **self.sft}, spec.sft)
        sft_values.update(model=model, data=str(seed_dir / "priming.jsonl"), output_dir=str(seed_dir / "sft"), seed=seed)
        rl_values = apply_overrides({"report_to": [], **self.rl}, spec.rl)
        rl_values.update(model=model, task=self.task, task_args=self.task_args, output_dir=str(seed_dir / "rl"),
                         seed=seed)
        if not rl_values.get("train_file"):
            rl_values.setdefault("train_stream", "rl")  # never the problems the arm was primed on
        eval_values = dict(self.eval, model=model, task=self.task, task_args=self.task_args, seed=seed)
        return {"sft": build(SFTConfig, sft_values, self.where(f"arm {arm}: sft", ("arms", arm, "sft"), ("sft",)))
                if spec.condition else None,
                "rl": build(RLConfig, rl_values, self.where(f"arm {arm}: rl", ("arms", arm, "rl"), ("rl",))),
                "eval": build(EvalConfig, eval_values, self.where(f"arm {arm}: eval", ("eval",)))}

    def fingerprint(self) -> dict[str, Any]:
        """The settings that determine finished stages' outputs (to refuse mixing configs in one run dir)."""
        data = dataclasses.asdict(self)
        for key in ("source", "output_root", "report", "parallel"):
            data.pop(key)
        return data

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.fingerprint(), sort_keys=True, default=str).encode()).hexdigest()[:16]


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
