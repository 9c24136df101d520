"""Matplotlib figures of a pipeline run, drawn from its run directory's files only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS, TAXONOMY

TITLES = {name: TAXONOMY[name].title.lower() for name in BEHAVIORS}  # axis and table labels


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Rows of a metrics.jsonl (lines cut short by a kill are skipped)."""
    rows = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def series(rows: Sequence[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """(steps, values) of ``key`` where it was logged."""
    points = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
    return [p[0] for p in points], [p[1] for p in points]


def curves_figure(runs: dict[str, list[list[dict[str, Any]]]], panels: Sequence[tuple[str, str]], path: Path,
                  ylabel: str = "", suptitle: str = "") -> Path | None:
    """One panel per (metric key, title); one line per arm (mean over its seeds at shared steps)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    drawn = False
    for ax, (key, title) in zip(axes[0], panels, strict=True):
        for arm, seeds in runs.items():
            steps, values = _mean_over_seeds(seeds, key)
            if steps:
                ax.plot(steps, values, marker="o" if len(steps) < 15 else None, markersize=3, label=arm)
                drawn = True
        ax.set_title(title)
        ax.set_xlabel("RL step")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    if not drawn:
        plt.close(fig)
        return None
    axes[0][-1].legend(fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _mean_over_seeds(seeds: list[list[dict[str, Any]]], key: str) -> tuple[list[float], list[float]]:
    per_step: dict[float, list[float]] = {}
    for rows in seeds:
        for step, value in zip(*series(rows, key), strict=True):
            per_step.setdefault(step, []).append(value)
    steps = sorted(s for s, v in per_step.items() if len(v) == len(seeds))
    return steps, [sum(per_step[s]) / len(per_step[s]) for s in steps]


def paper_figure(arms: dict[str, str | None], model: str, path: Path) -> Path | None:
    """The paper's accuracy and behavior curves for the conditions our arms use."""
    from habits.report.paper import PAPER_BEHAVIOR, PAPER_CONDITION, paper_curves

    curves = paper_curves(model)
    wanted = {arm: PAPER_CONDITION.get(condition) for arm, condition in arms.items()}
    wanted = {arm: name for arm, name in wanted.items() if name in curves}
    if not wanted:
        return None
    plt = _pyplot()
    panels = [("accuracy", "accuracy"), ("response_length", "response length (chars)")] + \
             [(PAPER_BEHAVIOR[b], TITLES[b]) for b in BEHAVIORS]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.2), squeeze=False)
    for ax, (column, title) in zip(axes[0], panels, strict=True):
        for arm, name in wanted.items():
            rows = curves[name]
            ax.plot([r["step"] for r in rows], [r.get(column, float("nan")) for r in rows], label=f"{arm} ({name})")
        ax.set_title(title)
        ax.set_xlabel("RL step")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(f"Paper: {model}, PPO on Countdown (released result tables)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def before_after_figure(summary: dict[str, Any], path: Path) -> Path | None:
    """Bars: accuracy before and after RL per arm and split, with 95% intervals when there are seeds."""
    plt = _pyplot()
    arms = list(summary["arms"])
    splits = summary["splits"]
    if not arms:
        return None
    fig, axes = plt.subplots(1, len(splits), figsize=(max(4.0, 1.5 * len(arms)) * len(splits), 3.6), squeeze=False)
    width = 0.38
    for ax, split in zip(axes[0], splits, strict=True):
        for offset, when, color in ((-width / 2, "before", "#9bb7d4"), (width / 2, "after", "#1f5f9e")):
            stats = [summary["arms"][a]["accuracy"][when][split] for a in arms]
            means = [s["mean"] if s["mean"] is not None else 0.0 for s in stats]
            errors = [[m - s["low"] if s["low"] is not None else 0 for m, s in zip(means, stats, strict=True)],
                      [s["high"] - m if s["high"] is not None else 0 for m, s in zip(means, stats, strict=True)]]
            ax.bar([i + offset for i in range(len(arms))], means, width, yerr=errors, color=color,
                   label=f"{when} RL", capsize=3)
        ax.set_xticks(range(len(arms)), arms, rotation=20)
        ax.set_title(f"{split} accuracy ({'ID' if split == 'test' else 'OOD'})")
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def pass_at_k_figure(summary: dict[str, Any], path: Path) -> Path | None:
    """pass@k against k (log scale) per arm, before and after RL, on the same problems; the base too.

    RL that amplifies a habit the model can already execute turns its pass@k into pass@1: the
    after-RL curve rises at small k towards where the before-RL curve was at large k.
    """
    plt = _pyplot()
    splits = summary["splits"]
    fig, axes = plt.subplots(1, len(splits), figsize=(5.2 * len(splits), 3.8), squeeze=False)
    drawn = False
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, split in zip(axes[0], splits, strict=True):
        for index, (arm, entry) in enumerate(summary["arms"].items()):
            for when, style in (("before", "--"), ("after", "-")):
                curve = (entry.get("pass_at_k") or {}).get(when, {}).get(split) or {}
                ks = sorted(int(k.split("@")[1]) for k in curve)
                if len(ks) > 1:
                    ax.plot(ks, [curve[f"pass@{k}"] for k in ks], style, marker="o", markersize=3,
                            color=colors[index % len(colors)], label=f"{arm} {when} RL")
                    drawn = True
        ax.set_xscale("log", base=2)
        ax.set_xlabel("k (samples per problem)")
        ax.set_ylabel("pass@k")
        ax.set_ylim(0, 1)
        ax.set_title(f"{split} ({'ID' if split == 'test' else 'OOD'}): pass@k")
        ax.grid(alpha=0.3)
    if not drawn:
        plt.close(fig)
        return None
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
