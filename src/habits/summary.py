"""``summary.json`` of a pipeline run: per arm, accuracy and behaviors before and after RL.

Reads only files in the run directory (the evaluation JSONs and diagnoses), so a summary can be
rebuilt at any time. With several seeds, each number is the mean over seeds with a 95% interval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from habits.pipeline_config import PipelineConfig

BEHAVIORS = ("verification", "backtracking", "subgoal_setting", "backward_chaining")


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _interval(values: list[float]) -> dict[str, Any]:
    from habits.behaviors.profile import mean_interval

    if not values:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = sum(values) / len(values)
    if len(values) == 1:
        return {"mean": mean, "low": None, "high": None, "n": 1}
    low, high = mean_interval(values)
    return {"mean": mean, "low": low, "high": high, "n": len(values)}


def _split_stats(evaluation: dict[str, Any] | None, split: str) -> dict[str, Any] | None:
    if evaluation is None or split not in evaluation.get("splits", {}):
        return None
    result = evaluation["splits"][split]
    behaviors = result.get("behaviors") or {}
    return {"accuracy": result["accuracy"], "format_error": result.get("format_error"),
            "length": result.get("mean_length_chars"), "truncated": result.get("truncated"),
            "behaviors": {name: (behaviors.get(name) or {}).get("mean") for name in BEHAVIORS}}


def summarize(config: PipelineConfig) -> dict[str, Any]:
    """Build and write ``<run>/summary.json``."""
    from habits.io import write_json

    run = config.run_dir
    splits = list(config.eval.get("splits", ["test", "ood"]))
    summary: dict[str, Any] = {"name": config.name, "task": config.task, "task_args": config.task_args,
                               "seeds": config.seeds, "splits": splits, "bases": {}, "arms": {}}
    for base in dict.fromkeys(arm.base for arm in config.arms.values()):
        folder = run / "bases" / base
        diagnosis = _read(folder / "diagnosis.json")
        evaluation = _read(folder / "eval.json")
        summary["bases"][base] = {
            "diagnosis": diagnosis,
            "accuracy": {s: (_split_stats(evaluation, s) or {}).get("accuracy") for s in splits},
        }
    for name, arm in config.arms.items():
        entry: dict[str, Any] = {"base": arm.base, "condition": arm.condition, "accuracy": {}, "behaviors": {},
                                 "length": {}, "format_error": {}, "per_seed": {}}
        for when in ("before", "after"):
            per_seed = {seed: _read(run / "arms" / name / f"seed{seed}" / f"eval_{when}.json") for seed in config.seeds}
            for split in splits:
                stats = [s for s in (_split_stats(e, split) for e in per_seed.values()) if s is not None]
                entry["accuracy"].setdefault(when, {})[split] = _interval([s["accuracy"] for s in stats])
                entry["length"].setdefault(when, {})[split] = _interval([s["length"] for s in stats if s["length"] is not None])
                entry["format_error"].setdefault(when, {})[split] = _interval(
                    [s["format_error"] for s in stats if s["format_error"] is not None])
                entry["behaviors"].setdefault(when, {})[split] = {
                    b: _interval([s["behaviors"][b] for s in stats if s["behaviors"][b] is not None]) for b in BEHAVIORS}
                entry["per_seed"].setdefault(when, {})[split] = {
                    str(seed): (_split_stats(e, split) or {}).get("accuracy") for seed, e in per_seed.items()}
        entry["gain"] = {split: _gain(entry["accuracy"], split) for split in splits}
        summary["arms"][name] = entry
    write_json(run / "summary.json", summary)
    return summary


def _gain(accuracy: dict[str, Any], split: str) -> float | None:
    before, after = accuracy["before"][split]["mean"], accuracy["after"][split]["mean"]
    return None if before is None or after is None else after - before
