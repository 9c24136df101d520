"""Figures of the SFT-vs-RL study: accuracy against training FLOPs, VIter bars, the pass@k boundary.

Each function draws one PNG from the study's ``summary.json`` shape (see :mod:`habits.report.study`)
or from numbers derived from it, and returns its path, or None when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from habits.report.plots import _pyplot
from habits.report.study import arm_curve, last_stage, paper_ood, paper_viter_gains

SPLIT_TITLES = {"test": "in-distribution (test)", "ood": "out-of-distribution (ood)"}
LINE_STYLES = {"sft": "--"}  # by the stage an arm ends with; solid otherwise (RL)


def _interval(entry: Mapping[str, Any], split: str) -> tuple[list[float], list[float], list[float]] | None:
    """``(flops, low, high)`` where every point of ``split`` has an interval, else None."""
    rows = []
    for point in entry.get("points") or []:
        value = (point.get("accuracy") or {}).get(split)
        if not isinstance(value, Mapping) or value.get("low") is None or value.get("high") is None:
            return None
        rows.append((float(point["flops"]), float(value["low"]), float(value["high"])))
    rows.sort()
    return ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]) if rows else None


def compute_figure(summary: Mapping[str, Any], path: Path, splits: Sequence[str] = ("ood", "test"),
                   paper_setting: str | None = None) -> Path | None:
    """The paper's main figure: accuracy against training FLOPs, one line per arm, a panel per split.

    Lines are styled by the arm's last stage (RL solid, SFT dashed). With ``paper_setting`` (e.g.
    ``"GP-L"``), a last panel shows the paper's OOD numbers for it: the start checkpoint and where
    RL and SFT ended at equal compute -- beside ours, not on our axis, as its FLOPs are not ours.
    """
    plt = _pyplot()
    arms = summary.get("arms") or {}
    paper = paper_ood(paper_setting) if paper_setting else {}
    panels = len(splits) + (1 if paper else 0)
    fig, axes = plt.subplots(1, panels, figsize=(4.8 * panels, 3.8), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    drawn = False
    for ax, split in zip(axes[0], splits, strict=False):
        for index, (name, entry) in enumerate(arms.items()):
            curve = arm_curve(entry, split)
            if not curve:
                continue
            stages = entry.get("stages") or []
            style = LINE_STYLES.get(last_stage(entry), "-")
            color = colors[index % len(colors)]
            label = f"{name} ({' → '.join(stages)})" if stages else name
            ax.plot([f for f, _ in curve], [v for _, v in curve], style, marker="o", markersize=3,
                    color=color, label=label)
            band = _interval(entry, split)
            if band:
                ax.fill_between(band[0], band[1], band[2], color=color, alpha=0.15, linewidth=0)
            drawn = True
        ax.set_title(SPLIT_TITLES.get(split, split))
        ax.set_xlabel("training compute (FLOPs)")
        ax.set_ylabel("accuracy")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    if not drawn:
        plt.close(fig)
        return None
    axes[0][0].legend(fontsize=7)
    if paper:
        _paper_panel(axes[0][-1], paper, paper_setting or "")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _paper_panel(ax: Any, paper: Mapping[str, Mapping[str, float]], setting: str) -> None:
    for kind, row in paper.items():
        for method, style in (("rl", "-"), ("sft", "--")):
            ax.plot([0, 1], [row["init"], row[method]], style, marker="o", markersize=4,
                    label=f"{kind} OOD: {method.upper()} {row['init']:.1%} → {row[method]:.1%}")
    ax.set_xticks([0, 1], ["start (SFT init)", "equal compute"])
    ax.set_ylim(0, 1)
    ax.set_title(f"paper: {setting} (Chu et al. 2025)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def viter_figure(bars: Mapping[int, Mapping[str, Any]], path: Path, split: str = "ood",
                 paper_setting: str | None = "GP-L") -> Path | None:
    """Bars per verify-and-revise budget (1/3/5/10) trained with: greedy accuracy at the start and at the end.

    ``bars``: :func:`habits.report.study.viter_bars`. A second panel sets our gains beside the
    paper's OOD gains for the same budgets (``paper_setting``; None leaves it out).
    """
    if not bars:
        return None
    plt = _pyplot()
    budgets = sorted(bars)
    gains = paper_viter_gains(paper_setting) if paper_setting else {}
    panels = 2 if gains or any(bars[b].get("gain") is not None for b in budgets) else 1
    fig, axes = plt.subplots(1, panels, figsize=(4.8 * panels, 3.6), squeeze=False)
    ax = axes[0][0]
    where = range(len(budgets))
    width = 0.38
    ax.bar([i - width / 2 for i in where], [bars[b]["start"] for b in budgets], width, color="#9bb7d4",
           label="start")
    ax.bar([i + width / 2 for i in where], [bars[b]["end"] for b in budgets], width, color="#1f5f9e",
           label="last point")
    ax.set_xticks(list(where), [f"VIter {b}" for b in budgets])
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"{split} accuracy (greedy, first attempt)")
    ax.set_title(f"{SPLIT_TITLES.get(split, split)}: success by budget")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    if panels == 2:
        ax = axes[0][1]
        ours = [bars[b].get("gain") for b in budgets]
        ax.bar([i - width / 2 for i in where], [g or 0.0 for g in ours], width, color="#1f5f9e", label="ours")
        if gains:
            ax.bar([i + width / 2 for i in where], [gains.get(b, 0.0) for b in budgets], width,
                   color="#d98c3f", label=f"paper ({paper_setting})")
        ax.axhline(0, color="#444", linewidth=0.8)
        ax.set_xticks(list(where), [f"VIter {b}" for b in budgets])
        ax.set_ylabel(f"{split} gain over the start")
        ax.set_title("gain at equal compute")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def boundary_figure(curves: Mapping[str, Mapping[int, float]], path: Path, title: str = "") -> Path | None:
    """pass@k against k (log scale, up to 256) per checkpoint -- start, after SFT, after RL -- same problems.

    ``curves``: :func:`habits.report.study.boundary_curves`. Where the after-RL curve ends below the
    start's at large k, RL narrowed what the model can solve at all while sharpening pass@1.
    """
    drawn = {label: curve for label, curve in curves.items() if len(curve) > 1}
    if not drawn:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for label, curve in drawn.items():
        ks = sorted(curve)
        ax.plot(ks, [curve[k] for k in ks], marker="o", markersize=3, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k (samples per problem)")
    ax.set_ylabel("pass@k")
    ax.set_ylim(0, 1)
    ax.set_title(title or "pass@k: start vs after SFT vs after RL")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
