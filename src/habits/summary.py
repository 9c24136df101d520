"""``summary.json`` of a pipeline run: per arm, accuracy and behaviors before and after RL.

Reads only files in the run directory (the evaluation JSONs and diagnoses), so a summary can be
rebuilt at any time. With several seeds, each number is the mean over seeds with a 95% interval
over seeds (``over: "seeds"``); with one seed, accuracy intervals are over problems (Wilson for
greedy accuracy, a t-interval for sampled pass@1; ``over: "problems"``, ``n`` = problems).

Per arm and split: ``accuracy`` (greedy), ``sampled`` (pass@1 at the evaluation temperature, the
first paper's metric) and ``pass_at_k`` (pass@j for j = 1, 2, 4, ... k, means over seeds), before
and after RL, plus behaviors, lengths and format errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS
from habits.pipeline_config import PipelineConfig

FIDELITY = ("arithmetic_ok", "with_checks", "checks_agree", "stops_at_hit")


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _read(path: Path) -> dict[str, Any] | None:
    from habits.io import read_json

    return read_json(path) if path.is_file() else None  # a damaged file is an error naming it


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
    return {"accuracy": result["accuracy"], "accuracy_interval": result.get("accuracy_interval"),
            "problems": result.get("n"), "sampled": result.get("pass@1"),
            "sampled_interval": result.get("pass@1_interval"),
            "pass_at_k": {key: value for key, value in result.items()
                          if key.startswith("pass@") and not key.endswith("interval")},
            "fidelity": result.get("fidelity") or {},
            "format_error": result.get("format_error"),
            "length": result.get("mean_length_chars"), "truncated": result.get("truncated"),
            "behaviors": {name: (behaviors.get(name) or {}).get("mean") for name in BEHAVIORS}}


def _metric(stats: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Mean over seeds with a seed interval, or with one seed the evaluation's interval over problems."""
    present = [s for s in stats if s.get(key) is not None]
    if len(present) == 1 and present[0].get(f"{key}_interval"):
        low, high = present[0][f"{key}_interval"]
        return {"mean": present[0][key], "low": low, "high": high, "n": present[0].get("problems"), "over": "problems"}
    return {**_interval([s[key] for s in present]), "over": "seeds"}


def _mean_curve(stats: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k in (stats[0]["pass_at_k"] if stats else {}) if all(k in s["pass_at_k"] for s in stats)]
    return {k: sum(s["pass_at_k"][k] for s in stats) / len(stats) for k in keys}


def summarize(config: PipelineConfig) -> dict[str, Any]:
    """Build and write ``<run>/summary.json``."""
    from habits.io import write_json

    layout = config.layout
    splits = list(config.eval.get("splits", ["test", "ood"]))
    summary: dict[str, Any] = {"name": config.name, "task": config.task, "task_args": config.task_args,
                               "seeds": config.seeds, "splits": splits, "bases": {}, "arms": {},
                               "versions": _read(layout.versions)}
    for base in dict.fromkeys(arm.base for arm in config.arms.values()):
        diagnosis = _read(layout.diagnosis(base))
        evaluation = _read(layout.base_eval(base))
        summary["bases"][base] = {
            "diagnosis": diagnosis,
            "accuracy": {s: (_split_stats(evaluation, s) or {}).get("accuracy") for s in splits},
            "sampled": {s: (_split_stats(evaluation, s) or {}).get("sampled") for s in splits},
            "pass_at_k": {s: (_split_stats(evaluation, s) or {}).get("pass_at_k") for s in splits},
        }
    budgets = revise_budgets(config)
    for name, arm in config.arms.items():
        entry: dict[str, Any] = {"base": arm.base, "condition": arm.condition,
                                 "stages": (["cpt"] if config.bases[arm.base].cpt is not None else [])
                                 + list(arm.stages), "accuracy": {},
                                 "sampled": {}, "pass_at_k": {}, "fidelity": {}, "behaviors": {}, "length": {},
                                 "format_error": {},
                                 "per_seed": {}}
        for when in ("before", "after"):
            per_seed = {seed: _read(layout.evaluation(name, seed, when)) for seed in config.seeds}
            for split in splits:
                stats = [s for s in (_split_stats(e, split) for e in per_seed.values()) if s is not None]
                entry["accuracy"].setdefault(when, {})[split] = _metric(stats, "accuracy")
                entry["sampled"].setdefault(when, {})[split] = _metric(stats, "sampled")
                entry["pass_at_k"].setdefault(when, {})[split] = _mean_curve(stats)
                entry["fidelity"].setdefault(when, {})[split] = {
                    key: _mean([s["fidelity"].get(key) for s in stats]) for key in FIDELITY}
                entry["length"].setdefault(when, {})[split] = _interval([s["length"] for s in stats if s["length"] is not None])
                entry["format_error"].setdefault(when, {})[split] = _interval(
                    [s["format_error"] for s in stats if s["format_error"] is not None])
                entry["behaviors"].setdefault(when, {})[split] = {
                    b: _interval([s["behaviors"][b] for s in stats if s["behaviors"][b] is not None]) for b in BEHAVIORS}
                entry["per_seed"].setdefault(when, {})[split] = {
                    str(seed): (_split_stats(e, split) or {}).get("accuracy") for seed, e in per_seed.items()}
        entry["gain"] = {split: _gain(entry["accuracy"], split) for split in splits}
        per_seed_points = {seed: arm_points(layout, name, seed, list(arm.stages), splits) for seed in config.seeds}
        entry["points"] = _mean_points(list(per_seed_points.values()), splits)
        if len(config.seeds) > 1:
            entry["points_per_seed"] = {str(seed): points for seed, points in per_seed_points.items()}
        if arm.start is not None:
            entry["start"] = {"arm": arm.start.arm, "stage": arm.start.stage, "checkpoint": arm.start.checkpoint}
        if name in budgets:
            entry["viter"] = budgets[name]
        summary["arms"][name] = entry
    write_json(layout.summary, summary)
    return summary


def revise_budgets(config: Any) -> dict[str, int]:
    """``{arm: revise_attempts}`` of the RL arms when any of them revises (VIter > 1); else empty."""
    budgets = {name: config.stage_configs(name, config.seeds[0], "<model>")["rl"].revise_attempts
               for name, arm in config.arms.items() if "rl" in arm.stages}
    return budgets if any(k > 1 for k in budgets.values()) else {}


def _gain(accuracy: dict[str, Any], split: str) -> float | None:
    before, after = accuracy["before"][split]["mean"], accuracy["after"][split]["mean"]
    return None if before is None or after is None else after - before


def arm_points(layout: Any, arm: str, seed: int, stages: list[str], splits: list[str]) -> list[dict[str, Any]]:
    """The arm's periodic evaluations in order: ``{"stage", "step", "flops", "accuracy": {split: value}}``.

    Read from each training stage's ``metrics.jsonl`` (rows with ``eval_<split>/accuracy``); FLOPs are
    the arm's cumulative training compute at that step (``compute/flops``, the paper's estimate).
    """
    from habits.io import read_jsonl

    points: list[dict[str, Any]] = []
    for stage in stages:
        metrics = layout.stage(arm, seed, stage) / "metrics.jsonl"
        if not metrics.is_file():
            continue
        for _, row in read_jsonl(metrics):
            accuracy = {split: row.get(f"eval_{split}/accuracy") for split in splits}
            if all(value is None for value in accuracy.values()):
                continue
            if points and stage != points[-1]["stage"] and row.get("step") == 0:
                continue  # the next stage's step-0 evaluation repeats the previous stage's last model
            points.append({"stage": stage, "step": row.get("step"), "flops": row.get("compute/flops"),
                           "accuracy": accuracy})
    return points


def _mean_points(per_seed: list[list[dict[str, Any]]], splits: list[str]) -> list[dict[str, Any]]:
    """Points averaged over seeds, matched by (stage, step); with one seed, the points as they are."""
    if len(per_seed) == 1:
        return per_seed[0]
    keys = list(dict.fromkeys((p["stage"], p["step"]) for points in per_seed for p in points))
    merged = []
    for stage, step in keys:
        found = [p for points in per_seed for p in points if (p["stage"], p["step"]) == (stage, step)]
        flops = [p["flops"] for p in found if p["flops"] is not None]
        merged.append({"stage": stage, "step": step, "flops": sum(flops) / len(flops) if flops else None,
                       "accuracy": {split: _interval([p["accuracy"][split] for p in found
                                                      if p["accuracy"].get(split) is not None]) for split in splits}})
    return merged
