"""Diagnosis: does a model already show the four habits RL can amplify? (the first paper's step 1)

``main(DiagnoseConfig(...))`` takes completions -- from a JSONL file, or sampled here from a model
directory on a task -- counts the behaviors in each (lexical classifier or LLM judge), and reports
per behavior the share of responses showing it (Wilson 95% interval) and the mean count (t
interval); accuracy with the task's own verifier when rows carry a ``problem``; mean length in
characters and tokens; and a readiness verdict that names the missing behaviors. It writes a JSON
report, a PNG bar chart with error bars and, when it sampled, the completions with their counts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from habits.behaviors import BACKENDS, JudgeConfig, Thresholds, aggregate, classify
from habits.behaviors.profile import wilson_interval
from habits.configs import described
from habits.io import InputError, read_jsonl, write_json, write_jsonl
from habits.sample import SamplingConfig


@dataclass
class DiagnoseConfig:
    """``habits diagnose``: where the completions come from and how to judge them."""

    completions: str | None = described("JSONL with a `completion` per row (and optionally `problem`, `task`).", None)
    model: str | None = described("Or: a model directory to sample completions from.", None)
    task: str | None = described("Task for prompts and verification; default: each row's `task` field.", None)
    task_args: dict[str, Any] = described("Task config fields (e.g. {prompt_style: chat}).", factory=dict)
    n: int = described("Problems to sample with `model` (the paper: 200 per checkpoint).", 200)
    split: str = described("Problem split with `model`: train, test or ood.", "test")
    seed: int = described("Seed for the problems (the sampling has its own, sampling.seed).", 0)
    sampling: SamplingConfig = described("How completions are sampled from `model` (temperature, top_p, "
                                         "max_new_tokens, n per problem, seed, batch_size, backend, device).",
                                         factory=lambda: SamplingConfig(temperature=1.0, max_new_tokens=1024))
    backend: str = described("Behavior classifier: lexical (offline) or judge (LLM).", "lexical")
    judge: JudgeConfig | None = described("Judge settings when backend is judge (default: JudgeConfig's).", None)
    thresholds: Thresholds = described("When a behavior counts as present (min_share, strict) and which are "
                                       "required for 'ready'.", factory=Thresholds)
    interval: str = described("Mean-count intervals: t or bootstrap.", "t")
    tokenizer: str | None = described("Tokenizer directory to count tokens (default: the model's).", None)
    out: str | None = described("JSON report path; the PNG and sampled completions go beside it.", None)
    plot: str | None = described("PNG path (default: the report path with .png).", None)

    def __post_init__(self) -> None:
        if bool(self.completions) == bool(self.model):
            raise ValueError("diagnose needs exactly one source: --completions FILE.jsonl or --model DIR")
        if self.model and not self.task:
            raise ValueError("--model needs --task (e.g. --task countdown) to make prompts")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of: {', '.join(BACKENDS)}")
        if self.backend == "judge" and self.judge is None:
            self.judge = JudgeConfig()
        if self.n < 1:
            raise ValueError(f"--n must be >= 1, got {self.n}")
        if self.interval not in ("t", "bootstrap"):
            raise ValueError(f"interval must be t or bootstrap, got {self.interval!r}")
        if self.out and Path(self.out).suffix != ".json":
            raise ValueError(f"--out {self.out}: the report is JSON; give a path ending in .json")


def main(config: DiagnoseConfig) -> dict[str, Any]:
    """Run the diagnosis; returns the report (also written to ``config.out`` if set)."""
    if config.model:
        rows, tokenizer = _sample_rows(config)
    else:
        rows = [row for _, row in read_jsonl(config.completions, required=("completion",))]
        if not rows:
            raise InputError(
                f"{config.completions}: no rows; expected one JSON object per line with a `completion`"
            )
        tokenizer = _load_tokenizer(config.tokenizer)
    texts = [_text(row.get("completion")) for row in rows]
    problems = [_problem(row) for row in rows]
    task_name = config.task or _single_task(rows)
    counts = classify(
        texts,
        config.backend,
        judge=config.judge,
        problems=problems,
        task=task_name,
        progress=len(texts) > 200,
    )
    for row, row_counts in zip(rows, counts):
        row["behaviors"] = row_counts
    profile = aggregate(counts, config.thresholds, config.interval)
    report: dict[str, Any] = {
        "source": config.model or config.completions,
        "task": task_name,
        "n": len(rows),
        "classifier": config.backend
        if config.backend == "lexical"
        else f"judge:{(config.judge or JudgeConfig()).model}",
        "behaviors": {name: _stats(s) for name, s in profile.behaviors.items()},
        "accuracy": _accuracy(rows, problems, config),
        "length": _length(texts, tokenizer),
        "verdict": {
            "ready": profile.ready,
            "present": profile.present,
            "missing": profile.missing,
            "message": profile.verdict,
            "min_share": config.thresholds.min_share,
            "required": list(config.thresholds.required),
            "strict": config.thresholds.strict,
        },
    }
    if config.model:
        report["sampling"] = {
            "n": config.n,
            "split": config.split,
            "seed": config.seed,
            "temperature": config.sampling.temperature,
            "top_p": config.sampling.top_p,
            "max_new_tokens": config.sampling.max_new_tokens,
        }
    if config.out:
        out = Path(config.out)
        if config.model:
            completions_path = out.with_suffix(".completions.jsonl")
            write_jsonl(completions_path, rows)
            report["completions_file"] = str(completions_path)
        plot = Path(config.plot) if config.plot else out.with_suffix(".png")
        plot_profile(report, plot)
        report["plot"] = str(plot)
        write_json(out, report)
    elif config.plot:
        plot_profile(report, Path(config.plot))
        report["plot"] = config.plot
    return report


def _text(value: Any) -> str:
    from habits.tasks.base import completion_text

    return completion_text(value)


def _problem(row: Mapping[str, Any]) -> dict[str, Any] | None:
    value = row.get("problem")
    if value is None:
        return None
    from habits.tasks.base import as_problem

    try:
        return as_problem(value)
    except (TypeError, ValueError):
        return None


def _single_task(rows: Sequence[Mapping[str, Any]]) -> str | None:
    names = {row.get("task") for row in rows if row.get("task")}
    return names.pop() if len(names) == 1 else None


def _stats(stats) -> dict[str, Any]:
    return {
        "share": stats.share,
        "share_ci": [stats.share_low, stats.share_high],
        "mean": stats.mean,
        "mean_ci": [stats.mean_low, stats.mean_high],
        "with_behavior": stats.with_behavior,
        "n": stats.n,
        "missing": stats.missing,
        "present": stats.present,
    }


def _accuracy(
    rows: Sequence[Mapping[str, Any]], problems: Sequence[dict | None], config: DiagnoseConfig
) -> dict[str, Any] | None:
    """Share of rows the task's verifier accepts, over rows that carry a problem and a known task."""
    from habits.tasks import get_task, task_names

    tasks: dict[str, Any] = {}
    correct = total = 0
    for row, problem in zip(rows, problems):
        name = config.task or row.get("task")
        if problem is None or name not in task_names():
            continue
        if name not in tasks:
            tasks[name] = get_task(name, **config.task_args)
        verdict = tasks[name].verify(problem, _text(row.get("completion")))
        row["correct"] = verdict.correct
        correct += verdict.correct
        total += 1
    if not total:
        return None
    low, high = wilson_interval(correct, total)
    return {"value": correct / total, "ci": [low, high], "n": total}


def _length(texts: Sequence[str], tokenizer: Any) -> dict[str, float | None]:
    chars = sum(len(t) for t in texts) / len(texts) if texts else 0.0
    tokens = None
    if tokenizer is not None and texts:
        tokens = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts) / len(texts)
    return {"chars_mean": chars, "tokens_mean": tokens}


def _load_tokenizer(path: str | None):
    if not path:
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def _sample_rows(config: DiagnoseConfig) -> tuple[list[dict[str, Any]], Any]:
    from habits.progress import track
    from habits.sample import generate, load_model
    from habits.tasks import get_task

    task = get_task(config.task, **config.task_args)
    problems = list(
        track(
            task.iter_generate(config.n, config.split, config.seed),
            f"{config.task}: problems",
            total=config.n,
        )
    )
    prompts = [task.prompt(problem) for problem in problems]
    sampling = dataclasses.replace(config.sampling, seed=config.seed)
    loaded = load_model(config.model, sampling)
    groups = generate(loaded, prompts, sampling)
    rows = []
    for index, (problem, prompt, group) in enumerate(zip(problems, prompts, groups)):
        for k, completion in enumerate(group):
            rows.append(
                {
                    "id": f"{config.task}-{config.split}-{config.seed}-{index}-{k}",
                    "task": config.task,
                    "problem": problem,
                    "prompt": prompt,
                    "completion": completion.text,
                    "num_tokens": completion.num_tokens,
                    "finish_reason": completion.finish_reason,
                }
            )
    tokenizer = _load_tokenizer(config.tokenizer) if config.tokenizer else loaded.tokenizer
    return rows, tokenizer


def plot_profile(report: Mapping[str, Any], path: Path) -> Path:
    """Bar chart: share of responses with each behavior and mean count, with 95% error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from habits.io import atomic_write

    names = list(report["behaviors"])
    labels = [name.replace("_", "\n") for name in names]
    stats = report["behaviors"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    shares = [stats[n]["share"] for n in names]
    share_err = [
        [max(0.0, s - stats[n]["share_ci"][0]) for n, s in zip(names, shares)],  # rounding can cross 0
        [max(0.0, stats[n]["share_ci"][1] - s) for n, s in zip(names, shares)],
    ]
    colors = ["tab:green" if stats[n]["present"] else "tab:red" for n in names]
    left.bar(labels, shares, yerr=share_err, capsize=4, color=colors)
    left.axhline(
        report["verdict"]["min_share"], color="grey", linestyle="--", linewidth=1, label="present if above"
    )
    left.set_ylim(0, 1)
    left.set_ylabel("share of responses with >= 1 instance")
    left.legend(loc="upper right", fontsize=8)
    means = [stats[n]["mean"] for n in names]
    mean_err = [
        [max(0.0, m - stats[n]["mean_ci"][0]) for n, m in zip(names, means)],
        [max(0.0, stats[n]["mean_ci"][1] - m) for n, m in zip(names, means)],
    ]
    right.bar(labels, means, yerr=mean_err, capsize=4, color="tab:blue")
    right.set_ylim(0, max(1.0, 1.1 * max(stats[n]["mean_ci"][1] for n in names)))
    right.set_ylabel("mean instances per response")
    accuracy = report.get("accuracy")
    title = f"{report['source']} -- n={report['n']}"
    if accuracy:
        title += f", accuracy {accuracy['value']:.1%}"
    fig.suptitle(title + ("  [ready]" if report["verdict"]["ready"] else "  [not ready]"), fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=120)
    plt.close(fig)
    return path


def format_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)
