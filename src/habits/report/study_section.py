"""The SFT-vs-RL section of a run's report: accuracy against compute, the paper's signs, the boundary.

Drawn when the run's arms have compute points (``points`` in ``summary.json``: each periodic
evaluation of an arm's stages with its FLOPs). Reads only the run directory, like the rest of the
report.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from habits.report.study import (
    ablation_table,
    boundary_findings,
    curve_from_keys,
    paper_signs,
    reward_heldout_divergence,
    viter_bars,
)
from habits.report.study_plots import boundary_figure, compute_figure, viter_figure


def has_study(summary: dict[str, Any]) -> bool:
    """Whether any arm has evaluation points labelled with compute."""
    return any(point.get("flops") is not None for entry in summary["arms"].values()
               for point in entry.get("points") or [])


def study_section(config: Any, summary: dict[str, Any], plots: Path) -> str:
    """HTML for the study: figures, signs as sentences computed from the numbers, flags, table."""
    from habits.report.html import _img
    from habits.report.plots import read_metrics

    splits = [s for s in ("ood", "test") if s in summary["splits"]]
    parts = ["<h2>SFT vs RL: held-out accuracy against training compute</h2>",
             "<p class=muted>Each point is one periodic evaluation (greedy, fixed problems) of an arm's stage; "
             "x is the arm's training FLOPs counted from the base (the paper's estimate: 6·N per trained "
             "token, plus 2·N·λ per generated token for RL).</p>"]
    setting = "GP-L" if summary.get("task") == "general_points" else None
    figure = compute_figure(summary, plots / "accuracy_vs_compute.png", splits, paper_setting=setting)
    if figure is not None:
        parts.append(_img(figure, "accuracy against compute"))
    signs = paper_signs(summary, "ood" if "ood" in splits else splits[0])
    if signs:
        parts.append("<h3>The paper's signs, from these numbers</h3><ul>" + "".join(
            f"<li>{html.escape(sentence)}</li>" for _, _, sentence in signs) + "</ul>")
    flags = []
    for arm, spec in config.arms.items():
        if {**config.rl, **spec.rl}.get("reward_control") == "random":
            continue  # a random reward says nothing about the task: its rises are not a finding
        for seed in config.seeds:
            for stage in spec.stages:
                rows = read_metrics(config.layout.stage(arm, seed, stage) / "metrics.jsonl")
                flags += reward_heldout_divergence(rows, run=f"{arm} seed {seed} ({stage})")
    parts.append("<h3>Reward against held-out accuracy</h3><p>" + (
        "<br>".join(html.escape(flag) for flag in flags) if flags
        else "No run's training reward rose while its held-out accuracy fell.") + "</p>")
    bars = viter_bars(summary, splits[0])
    figure = viter_figure(bars, plots / "viter.png", splits[0], paper_setting=setting)
    if figure is not None:
        parts.append("<h3>Verify-and-revise budgets (VIter)</h3>" + _img(figure, "VIter bars")
                     + "<p class=muted>Each RL arm's periodic greedy accuracy (first attempt) at its start and its "
                     "last point; the arms differ in how many attempts their training episodes allowed.</p>")
    parts.append("<h3>Arms</h3>" + ablation_table(summary, splits))
    curves = _boundary(summary, splits[0])
    figure = boundary_figure(curves, plots / "boundary.png", f"pass@k on the same {splits[0]} problems")
    if figure is not None:
        notes = boundary_findings(curves, start="start")
        parts.append("<h3>The boundary: pass@k at large k</h3>" + _img(figure, "pass@k boundary")
                     + "".join(f"<p>{html.escape(note)}</p>" for note in notes))
    return "".join(parts)


def _boundary(summary: dict[str, Any], split: str) -> dict[str, dict[int, float]]:
    """pass@k of the shared start checkpoint and of every arm after its last stage, on one split."""
    curves: dict[str, dict[int, float]] = {}
    for arm, entry in summary["arms"].items():
        after = curve_from_keys((entry.get("pass_at_k") or {}).get("after", {}).get(split) or {})
        if after:
            curves[f"{arm} (after {entry['stages'][-1].upper()})"] = after
        if entry.get("start") and "start" not in curves:
            before = curve_from_keys((entry.get("pass_at_k") or {}).get("before", {}).get(split) or {})
            if before:
                curves["start"] = before
    return curves
