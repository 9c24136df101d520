"""Where each file of a pipeline run lives: one object owns the run directory's layout.

::

    <run>/config.yaml, versions.json, summary.json, report.html, plots/
    <run>/bases/<base>/          the pretraining run (summary.json, model/), diagnosis.json + .png,
                                 eval.json, log.txt
    <run>/arms/<arm>/seed<k>/    priming.jsonl, sft/ (a training run), eval_before.json,
                                 rl/ (a training run: metrics.jsonl, model/), eval_after.json, log.txt

A *chain* -- the stages the parallel scheduler runs in order in one process -- is named by its
folder relative to the run directory: ``bases/<base>`` or ``arms/<arm>/seed<k>``. The pipeline
writes these paths, the summary and the report read them, and nothing else spells them out.

>>> layout = RunLayout("runs/demo")
>>> layout.arm_chain("all", 1), str(layout.rl_metrics("all", 1))
('arms/all/seed1', 'runs/demo/arms/all/seed1/rl/metrics.jsonl')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WHEN = ("before", "after")  # the evaluations of an arm: before RL (after priming, if any) and after RL


@dataclass(frozen=True)
class RunLayout:
    """The paths of one pipeline run directory (nothing is created here)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))  # a string is welcome too

    # -- the run as a whole -------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def versions(self) -> Path:
        return self.root / "versions.json"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    # -- chains ---------------------------------------------------------------------------------
    @staticmethod
    def base_chain(base: str) -> str:
        return f"bases/{base}"

    @staticmethod
    def arm_chain(arm: str, seed: int) -> str:
        return f"arms/{arm}/seed{seed}"

    def chain(self, chain: str) -> Path:
        """The folder of a chain (``bases/<base>`` or ``arms/<arm>/seed<k>``)."""
        return self.root / chain

    def log(self, chain: str) -> Path:
        """Where a chain run in its own process writes its output."""
        return self.chain(chain) / "log.txt"

    # -- a base ---------------------------------------------------------------------------------
    def base(self, base: str) -> Path:
        """The base's folder; when the base is pretrained here, also its training run directory."""
        return self.chain(self.base_chain(base))

    def base_model(self, base: str) -> Path:
        return self.base(base) / "model"

    def diagnosis(self, base: str) -> Path:
        return self.base(base) / "diagnosis.json"

    def diagnosis_plot(self, base: str) -> Path:
        return self.base(base) / "diagnosis.png"

    def base_eval(self, base: str) -> Path:
        return self.base(base) / "eval.json"

    # -- an arm, one seed -----------------------------------------------------------------------
    def arm(self, arm: str, seed: int) -> Path:
        return self.chain(self.arm_chain(arm, seed))

    def priming(self, arm: str, seed: int) -> Path:
        return self.arm(arm, seed) / "priming.jsonl"

    def stage(self, arm: str, seed: int, stage: str) -> Path:
        """The training run directory of one of the arm's training stages (``sft``, ``rl``)."""
        return self.arm(arm, seed) / stage

    def stage_model(self, arm: str, seed: int, stage: str) -> Path:
        return self.stage(arm, seed, stage) / "model"

    def rl_metrics(self, arm: str, seed: int) -> Path:
        return self.stage(arm, seed, "rl") / "metrics.jsonl"

    def evaluation(self, arm: str, seed: int, when: str) -> Path:
        """The evaluation JSON ``before`` or ``after`` RL."""
        if when not in WHEN:
            raise ValueError(f"evaluation is 'before' or 'after' RL, got {when!r}")
        return self.arm(arm, seed) / f"eval_{when}.json"

    @staticmethod
    def completions_of(evaluation: Path) -> Path:
        """The greedy completions (with their verdicts) written beside an evaluation JSON."""
        return evaluation.with_name(evaluation.stem + ".completions.jsonl")
