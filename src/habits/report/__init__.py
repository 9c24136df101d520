"""The report of a pipeline run: PNG plots and one self-contained ``report.html``.

Reads only the run directory (``summary.json``, each RL run's ``metrics.jsonl``, the bases'
diagnoses, the arms' greedy completions after their last stage), so it can be rebuilt at any time
with ``habits report RUN_DIR``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from habits.layout import RunLayout
from habits.report.findings import expectation, findings
from habits.report.html import render_html
from habits.report.plots import (
    BEHAVIORS,
    TITLES,
    before_after_figure,
    curves_figure,
    paper_figure,
    pass_at_k_figure,
    read_metrics,
)


def build_report(config: Any) -> Path:
    """Draw the plots and write ``<run>/report.html``; returns its path."""
    from habits.io import atomic_write, read_json

    layout = RunLayout(config.run_dir)
    summary = read_json(layout.summary)
    plots = layout.plots
    plots.mkdir(parents=True, exist_ok=True)
    runs = {arm: [read_metrics(layout.rl_metrics(arm, seed)) for seed in config.seeds] for arm in config.arms}
    splits = summary["splits"]
    figures: dict[str, Path | None] = {
        "before_after": before_after_figure(summary, plots / "accuracy_before_after.png"),
        "accuracy": curves_figure(runs, [(f"eval_{s}/accuracy", f"{s} accuracy ({'ID' if s == 'test' else 'OOD'})")
                                         for s in splits] + [("accuracy", "training rollouts accuracy")],
                                  plots / "accuracy_over_steps.png", "accuracy"),
        "behaviors": curves_figure(runs, [(f"behaviors/{b}", TITLES[b]) for b in BEHAVIORS],
                                   plots / "behaviors_over_steps.png", "mean count per completion",
                                   "Behaviors in the RL rollouts (offline classifier)"),
        "length": curves_figure(runs, [("completions/mean_length", "completion length (tokens)"),
                                       ("reward", "mean reward")], plots / "length_over_steps.png"),
        "pass_at_k": pass_at_k_figure(summary, plots / "pass_at_k.png"),
        "paper": paper_figure({arm: spec.condition for arm, spec in config.arms.items()},
                              config.report.paper_model, plots / "paper_curves.png"),
    }
    diagnoses = {base: layout.diagnosis_plot(base) for base in summary["bases"]}
    from habits.report.study_section import has_study, study_section

    extra = [study_section(config, summary, plots)] if has_study(summary) else []
    from habits.report.samples import samples_section

    completions = {arm: RunLayout.completions_of(layout.evaluation(arm, config.seeds[0], "after"))
                   for arm in config.arms}
    html = render_html(summary, {k: v for k, v in figures.items() if v is not None},
                       {k: v for k, v in diagnoses.items() if v.is_file()}, findings(summary),
                       expectation(summary), extra, samples_section(completions))
    with atomic_write(layout.report) as handle:
        handle.write(html)
    return layout.report
